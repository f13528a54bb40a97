#![allow(unused)]
use socketio::Event;

#[derive(Event)]
#[event("chat message", rename = "message")]
struct ChatMessage;

fn main() {}
