#![allow(unused)]
use socketio_macros::namespace;

struct Chat;

#[namespace(chat)]
impl Chat {}

fn main() {}
