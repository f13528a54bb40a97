#![allow(unused)]
// A bare `#[on]` takes the event name from the payload type's `#[derive(Event)]`.
use socketio::{namespace, Socket};

#[derive(serde::Deserialize)]
struct ChatMessage {
    text: String,
}

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on]
    async fn chat_message(&self, socket: Socket, message: ChatMessage) {}
}

fn main() {}
