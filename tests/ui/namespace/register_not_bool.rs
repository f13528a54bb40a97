#![allow(unused)]
use socketio_macros::namespace;

struct Chat;

#[namespace("/chat", register = "no")]
impl Chat {}

fn main() {}
