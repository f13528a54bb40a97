#![allow(unused)]
use socketio::on;

struct Chat;

impl Chat {
    #[on("message")]
    fn message(&self, text: String) {}
}

#[on(connect)]
fn connect() {}

fn main() {}
