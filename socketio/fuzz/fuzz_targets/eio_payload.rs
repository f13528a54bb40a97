//! Engine.IO polling payloads (`proto::eio::decode_payload`): never panics, and a payload
//! whose packets all decode encodes back (`encode_payload`) to packets that decode equal.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::eio_payload(data));
