#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("chat", register = false)]
impl Chat {}

fn main() {}
