#![allow(unused)]
use socketio::Event;

#[derive(Event)]
#[event("connect")]
struct Connect;

#[derive(Event)]
#[event("newListener")]
struct NewListener;

fn main() {}
