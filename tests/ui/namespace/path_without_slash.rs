#![allow(unused)]
use socketio_macros::namespace;

struct Chat;

#[namespace("chat", register = false)]
impl Chat {}

fn main() {}
