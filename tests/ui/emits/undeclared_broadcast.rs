#![allow(unused)]
// A typed broadcast of an event payload the namespace does not list: the same check as a
// typed emit to one socket.
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
    #[on("join")]
    fn join(&self, socket: Socket, room: String) {
        let joined = UserJoined { nick: "ann".into() };
        socket.typed::<Self>().within(room).emit(&joined).ok();
    }
}

fn main() {}
