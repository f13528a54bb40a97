#![allow(unused)]
use socketio_macros::namespace;

struct Main;

#[namespace("", register = false)]
impl Main {}

fn main() {}
