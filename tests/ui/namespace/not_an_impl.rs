#![allow(unused)]
use socketio::namespace;

#[namespace("/chat")]
struct Chat;

fn main() {}
