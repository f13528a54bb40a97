#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on("message", "text")]
    fn message(&self, text: String) {}
}

fn main() {}
