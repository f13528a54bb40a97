//! Socket.IO packets with attachments (`proto::sio::Decoder`), driven like a connection:
//! text messages and binary frames from the input; never panics, and an echo of what
//! decoded carries exactly the attachments that arrived (see `checks::sio_decoder`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::sio_decoder(data));
