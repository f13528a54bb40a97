#![allow(unused)]
use socketio_macros::namespace;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on("message")]
    const MESSAGE: &'static str = "message";
}

fn main() {}
