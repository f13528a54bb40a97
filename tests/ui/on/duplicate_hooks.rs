#![allow(unused)]
use socketio::namespace;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on(connect)]
    fn connect(&self) {}

    #[on(connect)]
    fn connect_again(&self) {}

    #[on(disconnect)]
    fn disconnect(&self) {}

    #[on(disconnect)]
    fn disconnect_again(&self) {}

    #[on("*")]
    fn any(&self) {}

    #[on("*")]
    fn any_again(&self) {}
}

fn main() {}
