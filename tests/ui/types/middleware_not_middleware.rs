#![allow(unused)]
use socketio::namespace;

/// Not an `EventMiddleware`.
struct Log;

struct Chat;

#[namespace("/chat", register = false, middleware(Log))]
impl Chat {
    #[on("ping")]
    async fn ping(&self) {}
}

fn main() {}
