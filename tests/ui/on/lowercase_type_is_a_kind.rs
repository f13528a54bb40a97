#![allow(unused, non_camel_case_types)]
// A lone identifier that does not start with an uppercase letter is a handler kind
// (`connect`, `disconnect`), never a type: write a lowercase type as a path, `self::ping`.
use socketio::{namespace, Event};

#[derive(serde::Deserialize, Event)]
#[event("ping")]
struct ping;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on(ping)]
    fn ping(&self) {}

    #[on(self::ping)]
    fn ping_by_path(&self) {}
}

fn main() {}
