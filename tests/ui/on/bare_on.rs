#![allow(unused)]
// A bare `#[on]` does not say which event: the macro does not guess it from the parameters.
use socketio::{namespace, Event, Socket};

#[derive(serde::Deserialize, Event)]
#[event("chat message")]
struct ChatMessage {
    text: String,
}

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on]
    fn message(&self, socket: Socket, message: ChatMessage) {}
}

fn main() {}
