//! Arguments of the test-bed events.

use serde::Deserialize;
use socketio::Value;

/// `join` / `leave`.
#[derive(Deserialize)]
pub struct RoomArg {
    pub room: String,
}

/// `to_room`.
#[derive(Deserialize)]
pub struct ToRoom {
    pub room: String,
    pub event: String,
    pub data: Value,
}

/// `broadcast`.
#[derive(Deserialize)]
pub struct Broadcast {
    pub event: String,
    pub data: Value,
}

/// `disconnect_sid`.
#[derive(Deserialize)]
pub struct SidArg {
    pub sid: String,
}

/// `call_sid`.
#[derive(Deserialize)]
pub struct CallSid {
    pub sid: String,
    pub data: Value,
}
