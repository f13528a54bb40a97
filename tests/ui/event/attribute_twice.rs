#![allow(unused)]
use socketio_macros::Event;

#[derive(Event)]
#[event("chat message")]
#[event("message")]
struct ChatMessage;

fn main() {}
