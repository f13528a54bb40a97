#![allow(unused)]
// A connect parameter that is neither context nor a `Deserialize` auth payload.
use socketio::{namespace, Socket};

struct Credentials;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on(connect)]
    async fn connect(&self, socket: Socket, auth: Credentials) {}
}

fn main() {}
