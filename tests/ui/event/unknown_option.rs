#![allow(unused)]
use socketio_macros::Event;

#[derive(Event)]
#[event("chat message", rename = "message")]
struct ChatMessage;

fn main() {}
