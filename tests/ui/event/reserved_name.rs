#![allow(unused)]
use socketio_macros::Event;

#[derive(Event)]
#[event("connect")]
struct Connect;

#[derive(Event)]
#[event("newListener")]
struct NewListener;

fn main() {}
