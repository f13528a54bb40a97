#![allow(unused)]
// A connect method returns `()`, `bool` or `Result<(), ConnectError>`.
use socketio::namespace;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on(connect)]
    async fn connect(&self) -> Result<(), String> {
        Ok(())
    }
}

fn main() {}
