#![allow(unused)]
use socketio::Event;

#[derive(Event)]
struct ChatMessage {
    text: String,
}

fn main() {}
