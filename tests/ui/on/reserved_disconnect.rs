#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on("disconnect")]
    fn disconnect(&self) {}
}

fn main() {}
