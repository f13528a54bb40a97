#![allow(unused)]
// A namespace without `emits(..)` declares nothing: every typed emit is an error, which
// names the fix.
use serde::Serialize;
use socketio::{namespace, Event, Socket};

#[derive(Serialize, Event)]
#[event("message")]
struct ChatMessage {
    text: String,
}

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on(connect)]
    fn connect(&self, socket: Socket) {
        socket.typed::<Self>().emit(&ChatMessage { text: "hi".into() }).ok();
    }
}

fn main() {}
