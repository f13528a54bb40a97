#![allow(unused)]
// A typed emit of an event payload the namespace does not list in `emits(..)`.
use serde::Serialize;
use socketio::{namespace, Event, Socket};

#[derive(Serialize, Event)]
#[event("message")]
struct ChatMessage {
    text: String,
}

#[derive(Serialize, Event)]
#[event("user joined")]
struct UserJoined {
    nick: String,
}

struct Chat;

#[namespace("/chat", emits(ChatMessage), register = false)]
impl Chat {
    #[on(connect)]
    fn connect(&self, socket: Socket) {
        let joined = UserJoined { nick: "ann".into() };
        socket.typed::<Self>().emit(&joined).ok();
    }
}

fn main() {}
