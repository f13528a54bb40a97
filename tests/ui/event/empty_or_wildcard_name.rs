#![allow(unused)]
use socketio_macros::Event;

#[derive(Event)]
#[event("")]
struct Empty;

#[derive(Event)]
#[event("*")]
struct Wildcard;

fn main() {}
