#![allow(unused)]
use socketio::Event;

#[derive(Event)]
#[event]
struct ChatMessage {
    text: String,
}

fn main() {}
