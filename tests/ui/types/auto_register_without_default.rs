#![allow(unused)]
// Auto-registration builds the instance with `Default`: a type without it is underlined.
use socketio::namespace;

struct Chat {
    greeting: String,
}

#[namespace("/chat")]
impl Chat {
    #[on("hello")]
    fn hello(&self) -> String {
        self.greeting.clone()
    }
}

fn main() {}
