#![allow(unused)]
// An event method's return value is the acknowledgement: it must be `Serialize`.
use socketio::namespace;

struct Report;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on("message")]
    async fn message(&self, text: String) -> Report {
        Report
    }
}

fn main() {}
