#![allow(unused)]
use socketio_macros::namespace;

struct Chat;
struct Socket;

#[namespace("/chat", register = false)]
impl Chat {
    #[on]
    fn message(&self, socket: Socket) {}
}

fn main() {}
