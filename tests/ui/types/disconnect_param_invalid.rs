#![allow(unused)]
// A disconnect handler receives no payload: a `String` parameter is not a disconnect parameter.
use socketio::{namespace, DisconnectReason, Socket};

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on(disconnect)]
    fn disconnect(&self, socket: Socket, reason: DisconnectReason, text: String) {}
}

fn main() {}
