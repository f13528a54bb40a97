//! The serde bridge between user types and packet arguments: a serializer that turns bytes
//! anywhere in a value into `{"_placeholder":true,"num":n}` plus an attachment, and a
//! deserializer that does the reverse. Top-level rule for arguments: a tuple is several
//! arguments, `()` is none, anything else is one.
