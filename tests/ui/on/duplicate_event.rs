#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on("message")]
    fn message(&self, text: String) {}

    #[on("message")]
    async fn message_again(&self, text: String) {}
}

fn main() {}
