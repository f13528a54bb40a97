#![allow(unused)]
use socketio::namespace;

struct Chat<T>(T);

#[namespace("/chat", register = false)]
impl<T: Send + Sync + 'static> Chat<T> {
    #[on("message")]
    fn message(&self, text: String) {}
}

fn main() {}
