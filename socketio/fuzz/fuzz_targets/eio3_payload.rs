//! Engine.IO v3 polling payloads (`proto::eio3`, text and binary framing): never panics, and a
//! payload whose packets all decode encodes back, in either framing, to packets that decode
//! equal.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::eio3_payload(data));
