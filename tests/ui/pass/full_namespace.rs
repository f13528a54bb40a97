// A representative namespace compiles against the runtime contract, and registering it records
// every handler, in source order, with the file and line of its method.
#[path = "../mock_runtime.rs"]
mod rt;

use socketio_macros::{namespace, Event};

struct Socket;
struct AckSender;
struct EventName;
struct DisconnectReason;
struct Auth;

#[derive(Event)]
#[event("chat message", crate = crate::rt)]
struct ChatMessage;

#[derive(Default)]
struct Chat;

#[namespace("/chat", crate = crate::rt, register = false)]
impl Chat {
    #[on(connect)]
    async fn connect(&self, _socket: Socket, auth: Option<Auth>) -> Result<(), String> {
        auth.map(|_| ()).ok_or_else(|| "no auth".to_owned())
    }

    #[on(disconnect)]
    fn disconnect(&self, _socket: Socket, _reason: DisconnectReason) {}

    #[on("message")]
    fn message(&self, text: String) -> String {
        self.helper(text)
    }

    #[on("join")]
    async fn join(&self, _socket: Socket, (room, _key): (String, u32), _ack: AckSender) {
        let _ = room;
    }

    #[on]
    async fn chat_message(&self, _socket: Socket, _message: ChatMessage) -> usize {
        0
    }

    #[on("*")]
    fn any(&self, _event: EventName, _rest: Vec<String>) {}

    /// An ordinary method is left alone.
    fn helper(&self, text: String) -> String {
        text
    }
}

fn main() {
    use rt::__private::NamespaceClass;
    assert_eq!(<Chat as NamespaceClass>::PATH, "/chat");
    let recorded = rt::__private::register(Chat);
    let summary: Vec<_> = recorded.iter().map(|r| (r.kind, r.event, r.line)).collect();
    assert_eq!(
        summary,
        [
            // (registrar method, event, line of the method's name in this file)
            ("on_connect", "connect", 24),
            ("on_disconnect", "disconnect", 29),
            ("on", "message", 32),
            ("on", "join", 37),
            ("on", "chat message", 42),
            ("on_any", "*", 47),
        ]
    );
    assert!(recorded.iter().all(|r| r.file.ends_with("full_namespace.rs")));
    assert_eq!(Chat.helper("kept".to_owned()), "kept");
}
