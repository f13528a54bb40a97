#![allow(unused)]
use socketio::{namespace, DisconnectReason};

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on(disconnect)]
    async fn disconnect(&self, reason: DisconnectReason) -> bool {
        true
    }
}

fn main() {}
