#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on("connect_error")]
    fn a(&self) {}

    #[on("disconnecting")]
    fn b(&self) {}

    #[on("newListener")]
    fn c(&self) {}

    #[on("removeListener")]
    fn d(&self) {}
}

fn main() {}
