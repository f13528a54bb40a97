#![allow(unused)]
// `#[on(..)]` names an event type by its path, not a reference or a tuple.
use socketio::{namespace, Event};

#[derive(serde::Deserialize, Event)]
#[event("chat message")]
struct ChatMessage {
    text: String,
}

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on(&ChatMessage)]
    fn by_reference(&self, message: ChatMessage) {}

    #[on((ChatMessage, u8))]
    fn tuple(&self, message: ChatMessage) {}
}

fn main() {}
