#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("/chat", register = false, middleware())]
impl Chat {}

fn main() {}
