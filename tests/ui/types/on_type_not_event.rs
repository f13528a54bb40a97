#![allow(unused)]
// `#[on(Type)]` takes the event name from the type's `#[derive(Event)]`.
use socketio::{namespace, Socket};

#[derive(serde::Deserialize)]
struct ChatMessage {
    text: String,
}

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on(ChatMessage)]
    async fn chat_message(&self, socket: Socket, message: ChatMessage) {}
}

fn main() {}
