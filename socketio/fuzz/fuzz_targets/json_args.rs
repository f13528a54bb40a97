//! JSON arguments and placeholders outside a connection: `Args::from_json_array` (what the
//! cluster layer and acks use; it runs the depth/surrogate scan and the placeholder check),
//! [`Value`] decoding, and the agreement between the placeholder check and placeholder
//! resolution.
//!
//! Input: one byte for the number of attachments (0 to 7), then the JSON text. Properties:
//! never panics; a `Value` serializes to JSON that parses back equal; when the check accepts
//! the arguments and the whole text reads as a `Value`, every argument resolves and the
//! arguments re-encode with no more attachments than were given.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::json_args(data));
