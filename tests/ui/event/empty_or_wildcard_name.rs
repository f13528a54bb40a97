#![allow(unused)]
use socketio::Event;

#[derive(Event)]
#[event("")]
struct Empty;

#[derive(Event)]
#[event("*")]
struct Wildcard;

fn main() {}
