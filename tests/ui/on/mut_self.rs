#![allow(unused)]
use socketio::namespace;

struct Chat {
    count: u64,
}

#[namespace("/chat", register = false)]
impl Chat {
    #[on("message")]
    fn message(&mut self, text: String) {
        self.count += 1;
    }
}

fn main() {}
