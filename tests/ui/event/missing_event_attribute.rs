#![allow(unused)]
use socketio_macros::Event;

#[derive(Event)]
struct ChatMessage {
    text: String,
}

fn main() {}
