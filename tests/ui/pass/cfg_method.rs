// `#[cfg]` on a method is copied onto the code generated for it: a disabled method (taking a
// type that only exists under the same `cfg`) generates nothing, an enabled one registers.
#[path = "../mock_runtime.rs"]
mod rt;

use socketio_macros::namespace;

#[cfg(any())]
struct OnlyWhenDisabledCfgHolds;

struct Chat;

#[namespace("/chat", crate = crate::rt, register = false)]
impl Chat {
    #[cfg(any())]
    #[on("never")]
    fn never(&self, _value: OnlyWhenDisabledCfgHolds) {}

    #[cfg(all())]
    #[on("always")]
    fn always(&self, _value: String) {}
}

fn main() {
    let events: Vec<_> = rt::__private::register(Chat)
        .into_iter()
        .map(|r| r.event)
        .collect();
    assert_eq!(events, ["always"]);
}
