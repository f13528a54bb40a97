#![allow(unused)]
use socketio_macros::namespace;

#[namespace("/chat")]
struct Chat;

fn main() {}
