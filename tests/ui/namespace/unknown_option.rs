#![allow(unused)]
use socketio_macros::namespace;

struct Chat;

#[namespace("/chat", auto = false)]
impl Chat {}

fn main() {}
