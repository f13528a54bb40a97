#![allow(unused)]
use socketio_macros::namespace;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on("connect")]
    fn connect(&self) {}
}

fn main() {}
