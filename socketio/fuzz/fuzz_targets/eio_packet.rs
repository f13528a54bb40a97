//! Engine.IO text packets (`proto::eio::decode_text`): never panics, and a decoded packet
//! encodes back to its input (types without data ignore what follows the type digit).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::eio_packet(data));
