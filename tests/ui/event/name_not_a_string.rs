#![allow(unused)]
use socketio_macros::Event;

#[derive(Event)]
#[event(chat_message)]
struct ChatMessage {
    text: String,
}

fn main() {}
