#![allow(unused)]
use socketio::namespace;

struct Chat;
struct Message;

#[namespace("/chat", register = false)]
impl Chat {
    #[on]
    fn message(&self, message: Message) {}

    #[on]
    fn message_again(&self, message: Message) {}
}

fn main() {}
