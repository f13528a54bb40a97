//! What both versions of the test-bed handlers share: event arguments, the auth greeting of
//! `/` and `/custom`, and the token check of `/chat`.

use serde::Deserialize;
use serde_json::value::RawValue;
use socketio::{ConnectError, Handshake, Socket, Value};

/// Greets with `auth`: the client's auth payload verbatim (key order kept), `{}` when absent.
pub fn greet_with_auth(socket: &Socket, hs: &Handshake) {
    match RawValue::from_string(hs.auth_json().to_owned()) {
        Ok(raw) => socket.emit("auth", &raw).ok(),
        Err(_) => socket.emit("auth", &serde_json::json!({})).ok(),
    };
}

/// `/chat` requires the auth `{"token": "secret"}`, then greets with `welcome` `{"sid"}`.
/// Clients that cannot send an auth payload (Socket.IO protocol v4, with `ALLOW_EIO3=1`) may
/// give the token as the handshake query parameter `token`; the auth payload wins.
pub fn chat_connect(socket: &Socket, hs: &Handshake) -> Result<(), ConnectError> {
    let from_auth = hs.auth::<serde_json::Value>().ok().and_then(|a| {
        a.get("token")
            .and_then(|t| t.as_str().map(|t| t == "secret"))
    });
    let ok = from_auth
        .or_else(|| hs.query("token").map(|t| t == "secret"))
        .unwrap_or(false);
    if !ok {
        return Err(
            ConnectError::new("unauthorized").with_data(serde_json::json!({"reason": "bad token"}))
        );
    }
    socket
        .emit("welcome", &serde_json::json!({"sid": socket.id()}))
        .ok();
    Ok(())
}

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
