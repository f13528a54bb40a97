//! Sans-IO protocol core: Engine.IO v4 packets and payloads, Socket.IO v5 packets, binary
//! attachments and the serde bridge that turns user types into packet arguments.
//!
//! Nothing in here touches sockets, tasks or clocks: every function is pure or a small state
//! machine, so it can be tested and fuzzed without a runtime. No function in this module panics
//! on input from a peer.

pub mod binary;
pub mod eio;
pub mod percent;
pub mod sio;
pub mod value;
