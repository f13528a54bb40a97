//! The EVENT/ACK array splitter against serde_json (differential): the input, as UTF-8 text, is
//! accepted by both or by neither, with the same element spans.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::json_array(data));
