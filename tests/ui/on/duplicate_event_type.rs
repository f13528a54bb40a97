#![allow(unused)]
use socketio::namespace;

struct Chat;
struct Message;

#[namespace("/chat", register = false)]
impl Chat {
    #[on(Message)]
    fn message(&self, message: Message) {}

    #[on(Message)]
    fn message_again(&self, message: Message) {}
}

fn main() {}
