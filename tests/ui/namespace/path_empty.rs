#![allow(unused)]
use socketio::namespace;

struct Main;

#[namespace("", register = false)]
impl Main {}

fn main() {}
