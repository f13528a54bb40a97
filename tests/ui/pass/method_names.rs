// Handler methods are called by path, so a method named like a method of `Arc` (`clone`,
// `as_ref`) is still the user's method: the acknowledgement encoder is typed by the declared
// return type, and `Arc::clone` would yield an `Arc<Chat>`, which does not compile.
use socketio::{namespace, SocketIo};

struct Chat;

#[namespace("/chat", register = false)]
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
    assert!(SocketIo::builder().namespace(Chat).build().is_ok());
    assert_eq!(Chat.clone(), 1);
}
