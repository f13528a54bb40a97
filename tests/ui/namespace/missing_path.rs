#![allow(unused)]
use socketio_macros::namespace;

struct Chat;

#[namespace]
impl Chat {}

fn main() {}
