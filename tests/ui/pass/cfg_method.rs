// `#[cfg]` on a method is copied onto the code generated for it: a disabled method (taking a
// type that only exists under the same `cfg`) generates nothing, an enabled one registers.
use socketio::{namespace, SocketIo};

#[cfg(any())]
struct OnlyWhenDisabledCfgHolds;

struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[cfg(any())]
    #[on("never")]
    fn never(&self, _value: OnlyWhenDisabledCfgHolds) {}

    #[cfg(all())]
    #[on("always")]
    fn always(&self, _value: String) {}
}

fn main() {
    let io = SocketIo::builder().namespace(Chat).build();
    assert!(io.is_ok(), "{io:?}");
}
