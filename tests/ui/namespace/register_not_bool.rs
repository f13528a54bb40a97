#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("/chat", register = "no")]
impl Chat {}

fn main() {}
