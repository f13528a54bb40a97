#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("/chat", register = false, register = false)]
impl Chat {}

fn main() {}
