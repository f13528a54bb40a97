// Handler methods are called by path, so a method named like a method of `Arc` (`clone`,
// `as_ref`) is still the user's method: the mock runtime only accepts handlers whose future
// yields an acknowledgement type, and `Arc::clone` would yield an `Arc`.
#[path = "../mock_runtime.rs"]
mod rt;

use socketio_macros::namespace;

struct Chat;

#[namespace("/chat", crate = crate::rt, register = false)]
impl Chat {
    #[on("clone")]
    fn clone(&self) -> u8 {
        1
    }

    #[on("as_ref")]
    async fn as_ref(&self, text: String) -> String {
        text
    }

    #[on("register")]
    fn register(&self) {}
}

fn main() {
    let events: Vec<_> = rt::__private::register(Chat)
        .into_iter()
        .map(|r| r.event)
        .collect();
    assert_eq!(events, ["clone", "as_ref", "register"]);
    assert_eq!(Chat.clone(), 1);
}
