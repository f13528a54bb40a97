#![allow(unused)]
// A typed emit of a value that is not an event payload (a string, a struct without
// `#[derive(Event)]`): the event name would be unknown.
use serde::Serialize;
use socketio::{namespace, Event, Socket};

#[derive(Serialize, Event)]
#[event("message")]
struct ChatMessage {
    text: String,
}

#[derive(Serialize)]
struct Plain {
    text: String,
}

struct Chat;

#[namespace("/chat", emits(ChatMessage), register = false)]
impl Chat {
    #[on(connect)]
    fn connect(&self, socket: Socket) {
        socket.typed::<Self>().emit(&"hello".to_owned()).ok();
        socket.typed::<Self>().emit(&Plain { text: "hi".into() }).ok();
    }
}

fn main() {}
