#![allow(unused)]
// A parameter that is neither a context type nor `Deserialize` is underlined at its type, once.
use socketio::{namespace, Socket};

struct NotDeserialize;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on("message")]
    async fn message(&self, socket: Socket, value: NotDeserialize) {}
}

fn main() {}
