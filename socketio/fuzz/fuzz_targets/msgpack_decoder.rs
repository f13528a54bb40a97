//! msgpack Socket.IO packets (`proto::msgpack::Decoder`), one frame per input: never panics,
//! and an echo of what decoded decodes to the same arguments and binary values (see
//! `checks::msgpack_decoder`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::msgpack_decoder(data));
