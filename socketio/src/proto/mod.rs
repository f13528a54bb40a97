//! Sans-IO protocol core: Engine.IO v4 packets and payloads (v3 payloads in [`eio3`]),
//! Socket.IO v5 packets (the JSON text encoding in `sio`, the msgpack one in `msgpack`;
//! protocol v4's differences in [`sio4`]), binary attachments, the serde bridge
//! that turns user types into packet arguments, and python-socketio's message-queue format
//! that servers of a cluster exchange ([`pubsub`]).
//!
//! Nothing in here touches sockets, tasks or clocks: every function is pure or a small state
//! machine, so it can be tested and fuzzed without a runtime. No function in this module panics
//! on input from a peer.

pub mod binary;
pub mod eio;
pub mod eio3;
#[doc(hidden)]
pub mod json_array;
pub mod msgpack;
pub mod parser;
pub mod percent;
pub mod pubsub;
pub mod sio;
pub mod sio4;
pub mod value;
