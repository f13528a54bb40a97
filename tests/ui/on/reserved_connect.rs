#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on("connect")]
    fn connect(&self) {}
}

fn main() {}
