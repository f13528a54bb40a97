#![allow(unused)]
// Every problem is reported in one compilation, and the impl block is still emitted: the
// ordinary method `helper` remains callable.
use socketio::namespace;

struct Chat;

#[namespace("chat", register = false)]
impl Chat {
    #[on("connect")]
    fn a(&mut self) {}

    #[on("b")]
    fn b(self) {}

    #[on("b")]
    fn b2(text: String) {}

    fn helper(&self) -> u8 {
        1
    }
}

fn main() {
    let _one: u8 = Chat.helper();
}
