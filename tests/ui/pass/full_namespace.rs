// Every kind of handler and parameter the runtime offers compiles through the macro: connect
// with auth, rejection and state; disconnect with reason; sync and async events; optional
// trailing arguments, tuples, `Rest`, `Args`, bytes, acks as values, tuples and `Result`s;
// `#[on(ChatMessage)]`; the catch-all; an `impl Trait` return. Behaviour is tested over a socket in
// `tests/macros_*.rs`.
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use socketio::{
    namespace, AckError, AckSender, Args, ConnectError, DisconnectReason, Event, EventName,
    Handshake, Rest, Socket, SocketIo, State,
};

#[derive(Deserialize)]
struct Auth {
    token: String,
}

#[derive(Deserialize, Serialize, Event)]
#[event("chat message")]
struct ChatMessage {
    text: String,
}

#[derive(Default)]
struct Counter(AtomicUsize);

#[derive(Default)]
struct Chat;

#[namespace("/chat", register = false)]
impl Chat {
    #[on(connect)]
    async fn connect(
        &self,
        _socket: Socket,
        _handshake: Handshake,
        auth: Auth,
        _count: State<Counter>,
    ) -> Result<(), ConnectError> {
        if auth.token == "secret" {
            Ok(())
        } else {
            Err(ConnectError::new("unauthorized").with_data(serde_json::json!({"retry": false})))
        }
    }

    #[on(disconnect)]
    fn disconnect(&self, _socket: Socket, _reason: DisconnectReason, _io: SocketIo) {}

    #[on("message")]
    fn message(&self, text: String, times: Option<u32>) -> String {
        text.repeat(times.unwrap_or(1) as usize)
    }

    #[on("join")]
    async fn join(&self, socket: Socket, (room, _key): (String, u32), ack: AckSender) {
        socket.join(room).ok();
        ack.send(&"joined");
    }

    #[on("sum")]
    fn sum(&self, numbers: Rest<i64>) -> (i64, usize) {
        (numbers.0.iter().sum(), numbers.0.len())
    }

    #[on("raw")]
    fn raw(&self, first: String, rest: Args) -> usize {
        first.len() + rest.len()
    }

    #[on("upload")]
    async fn upload(&self, data: bytes::Bytes) -> bytes::Bytes {
        data
    }

    #[on("divide")]
    fn divide(&self, a: i64, b: i64) -> Result<i64, AckError> {
        a.checked_div(b).ok_or_else(|| AckError::from("division by zero"))
    }

    #[on("count")]
    fn count(&self, State(counter): State<Counter>) -> usize {
        counter.0.fetch_add(1, Ordering::Relaxed)
    }

    #[on(ChatMessage)]
    async fn chat_message(&self, _socket: Socket, message: ChatMessage) -> ChatMessage {
        message
    }

    #[on("opaque")]
    fn opaque(&self) -> impl Serialize + Send + use<> {
        [1, 2, 3]
    }

    #[on("*")]
    fn any(&self, _event: EventName, _rest: Rest<serde_json::Value>) {}
}

fn main() {
    let io = SocketIo::builder().state(Counter::default()).namespace(Chat).build();
    assert!(io.is_ok(), "{io:?}");
}
