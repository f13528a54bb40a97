//! The cluster broker message codec (`proto::pubsub::decode_with`): never panics, and a
//! decoded message encodes (`encode`) to one that decodes equal.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::pubsub(data));
