#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on("message")]
    unsafe fn message(&self, text: String) {}
}

fn main() {}
