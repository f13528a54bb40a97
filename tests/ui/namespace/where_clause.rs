#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat
where
    Chat: Send,
{
    #[on("message")]
    fn message(&self, text: String) {}
}

fn main() {}
