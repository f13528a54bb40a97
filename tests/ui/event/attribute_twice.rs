#![allow(unused)]
use socketio::Event;

#[derive(Event)]
#[event("chat message")]
#[event("message")]
struct ChatMessage;

fn main() {}
