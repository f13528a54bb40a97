#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("/chat", auto = false)]
impl Chat {}

fn main() {}
