#![allow(unused)]
use socketio::namespace;

struct Chat;
struct Socket;

#[namespace("/chat", register = false)]
impl Chat {
    #[on]
    fn message(&self, socket: Socket) {}
}

fn main() {}
