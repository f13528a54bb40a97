#![allow(unused)]
use socketio_macros::Event;

#[derive(Event)]
#[event]
struct ChatMessage {
    text: String,
}

fn main() {}
