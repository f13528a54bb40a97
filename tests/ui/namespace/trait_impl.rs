#![allow(unused)]
use socketio::namespace;

trait Handlers {
    fn message(&self, text: String);
}

struct Chat;

#[namespace("/chat", register = false)]
impl Handlers for Chat {
    #[on("message")]
    fn message(&self, text: String) {}
}

fn main() {}
