#![allow(unused)]
use socketio_macros::namespace;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on("disconnect")]
    fn disconnect(&self) {}
}

fn main() {}
