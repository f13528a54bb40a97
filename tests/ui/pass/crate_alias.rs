// `crate = ..` names the runtime under another name: the generated code and
// `#[derive(Event)]` go through the alias only.
extern crate socketio as realtime;

use realtime::{namespace, Event, SocketIo};

#[derive(serde::Deserialize, Event)]
#[event("ping", crate = realtime)]
struct Ping {
    at: u64,
}

#[derive(Default)]
struct Clock;

#[namespace("/clock", crate = realtime, register = false)]
impl Clock {
    #[on(Ping)]
    fn ping(&self, ping: Ping) -> u64 {
        ping.at
    }
}

fn main() {
    assert!(SocketIo::builder().namespace(Clock).build().is_ok());
}
