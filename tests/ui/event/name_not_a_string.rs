#![allow(unused)]
use socketio::Event;

#[derive(Event)]
#[event(chat_message)]
struct ChatMessage {
    text: String,
}

fn main() {}
