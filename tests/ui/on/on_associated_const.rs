#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on("message")]
    const MESSAGE: &'static str = "message";
}

fn main() {}
