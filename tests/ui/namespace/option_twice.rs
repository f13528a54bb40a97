#![allow(unused)]
use socketio_macros::namespace;

struct Chat;

#[namespace("/chat", register = false, register = false)]
impl Chat {}

fn main() {}
