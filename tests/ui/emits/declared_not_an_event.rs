#![allow(unused)]
// `emits(..)` names types with `#[derive(Event)]` and `Serialize`; the error underlines the
// type in the attribute.
use serde::Serialize;
use socketio::namespace;

#[derive(Serialize)]
struct NoEvent {
    text: String,
}

struct Chat;

#[namespace("/chat", emits(NoEvent), register = false)]
impl Chat {}

fn main() {}
