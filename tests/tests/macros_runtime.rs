//! `#[namespace]` impl blocks served by the real runtime, driven over a raw websocket
//! (`40`, `42[...]`, `43` frames written and checked by hand).
//!
//! Run with `cargo test -p socketio-tests --test macros_runtime`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socketio::{
    AckError, Args, BuildError, ConnectError, DisconnectReason, Event, EventName, Namespace, Rest,
    Socket, SocketIo, State, namespace,
};
use socketio_tests::{Ws, within};
use tokio::sync::mpsc;

const STEP: Duration = Duration::from_secs(5);

#[derive(Deserialize)]
struct Auth {
    token: String,
}

#[derive(Deserialize, Serialize, Event)]
#[event("chat message")]
struct ChatMessage {
    text: String,
}

/// User types named like the runtime's context types (`State`, `Socket`, `Args`): the macros
/// treat them as ordinary payloads and arguments (they used to guess by name).
mod user {
    use serde::Deserialize;

    #[derive(Deserialize, socketio::Event)]
    #[event("user state")]
    pub struct State {
        pub level: u32,
    }

    #[derive(Deserialize)]
    pub struct Socket {
        pub port: u16,
    }

    #[derive(Deserialize)]
    pub struct Args(pub Vec<String>);
}

/// Where handlers report what they saw.
struct Seen(mpsc::UnboundedSender<String>);

struct Chat {
    greeting: String,
}

#[namespace("/chat", register = false)]
impl Chat {
    #[on(connect)]
    async fn connect(&self, socket: Socket, auth: Auth) -> Result<(), ConnectError> {
        if auth.token != "secret" {
            return Err(ConnectError::new("unauthorized").with_data(json!({"reason": "bad token"})));
        }
        socket.emit("welcome", &self.greeting).unwrap();
        Ok(())
    }

    #[on(disconnect)]
    fn disconnect(&self, reason: DisconnectReason, State(seen): State<Seen>) {
        let _ = seen.0.send(format!("disconnect: {}", reason.python_str()));
    }

    #[on("add")]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    #[on("shout")]
    async fn shout(&self, text: String) -> String {
        tokio::task::yield_now().await;
        text.to_uppercase()
    }

    #[on("repeat")]
    fn repeat(&self, text: String, times: Option<usize>) -> String {
        text.repeat(times.unwrap_or(1))
    }

    #[on("sum")]
    fn sum(&self, Rest(numbers): Rest<i64>) -> (i64, usize) {
        (numbers.iter().sum(), numbers.len())
    }

    #[on("count")]
    fn count(&self, first: String, rest: Args) -> (String, usize) {
        (first, rest.len())
    }

    #[on("size")]
    fn size(&self, data: Bytes) -> usize {
        data.len()
    }

    #[on("divide")]
    fn divide(&self, a: i64, b: i64) -> Result<i64, AckError> {
        a.checked_div(b)
            .ok_or_else(|| AckError::from("division by zero"))
    }

    #[on(ChatMessage)]
    fn chat_message(&self, message: ChatMessage) -> String {
        format!("typed: {}", message.text)
    }

    #[on(user::State)]
    fn user_state(&self, state: user::State, socket: user::Socket, args: user::Args) -> String {
        format!("{} {} {}", state.level, socket.port, args.0.join("+"))
    }

    #[on("user socket")]
    fn user_socket(&self, socket: user::Socket, real: Socket) -> (u16, bool) {
        (socket.port, real.ns() == "/chat")
    }

    #[on("state")]
    fn state(&self, State(seen): State<Seen>) -> bool {
        seen.0.send("state".to_owned()).is_ok()
    }

    #[on("shadowed")]
    fn shadowed(&self) -> &'static str {
        "method"
    }

    #[on("*")]
    fn any(&self, event: EventName, Rest(args): Rest<Value>) -> String {
        format!("any {event} {}", args.len())
    }
}

/// Auto-registered: found by every `SocketIo::builder().build()` of this test binary.
#[derive(Default)]
struct Auto;

#[namespace("/auto")]
impl Auto {
    #[on("hello")]
    fn hello(&self) -> &'static str {
        "from auto"
    }
}

/// Claims the auto-registered path: registering it explicitly is a `BuildError`.
struct Squatter;

#[namespace("/auto", register = false)]
impl Squatter {
    #[on("hello")]
    fn hello(&self) {}
}

struct Server {
    addr: SocketAddr,
    io: SocketIo,
    seen: mpsc::UnboundedReceiver<String>,
}

async fn serve() -> Server {
    let (tx, seen) = mpsc::unbounded_channel();
    let io = SocketIo::builder()
        .state(Seen(tx))
        .namespace(Chat {
            greeting: "hello".to_owned(),
        })
        .namespace(Lobby)
        .build()
        .unwrap();
    let app = io.router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server { addr, io, seen }
}

/// A websocket with the Engine.IO handshake done.
async fn open(addr: SocketAddr) -> Ws {
    let mut ws = Ws::dial(addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    let open = ws.text().await;
    assert!(open.starts_with("0{"), "{open}");
    ws
}

/// Connect to `/chat` with the right token, check the welcome.
async fn join_chat(addr: SocketAddr) -> Ws {
    let mut ws = open(addr).await;
    ws.send_text(r#"40/chat,{"token":"secret"}"#).await;
    let reply = ws.recv_text().await;
    assert!(reply.starts_with(r#"40/chat,{"sid":""#), "{reply}");
    assert_eq!(ws.recv_text().await, r#"42/chat,["welcome","hello"]"#);
    ws
}

/// Send `42/chat,<id>[args]` and return the ack's argument array.
async fn call(ws: &mut Ws, id: u32, args: &str) -> String {
    ws.send_text(&format!("42/chat,{id}{args}")).await;
    let reply = ws.recv_text().await;
    let prefix = format!("43/chat,{id}");
    reply
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("expected an ack {prefix}.., got {reply}"))
        .to_owned()
}

#[tokio::test]
async fn connect_with_typed_auth_is_accepted_and_runs_the_handler() {
    let server = serve().await;
    let mut ws = join_chat(server.addr).await;
    assert_eq!(call(&mut ws, 1, r#"["add",2,3]"#).await, "[5]");
}

#[tokio::test]
async fn connect_rejection_sends_message_and_data() {
    let server = serve().await;
    let mut ws = open(server.addr).await;
    ws.send_text(r#"40/chat,{"token":"nope"}"#).await;
    assert_eq!(
        ws.recv_text().await,
        r#"44/chat,{"message":"unauthorized","data":{"reason":"bad token"}}"#
    );
}

#[tokio::test]
async fn connect_with_auth_that_does_not_deserialize_is_refused() {
    let server = serve().await;
    let mut ws = open(server.addr).await;
    ws.send_text(r#"40/chat,{"tok":1}"#).await;
    let reply = ws.recv_text().await;
    assert!(
        reply.starts_with(r#"44/chat,{"message":"invalid auth payload"#),
        "{reply}"
    );
}

#[tokio::test]
async fn disconnect_handler_receives_the_reason() {
    let mut server = serve().await;
    let mut ws = join_chat(server.addr).await;
    ws.send_text("41/chat,").await;
    let seen = within("disconnect handler", STEP, server.seen.recv()).await;
    assert_eq!(seen.as_deref(), Some("disconnect: client disconnect"));
}

#[tokio::test]
async fn sync_and_async_methods_ack_their_return_value() {
    let server = serve().await;
    let mut ws = join_chat(server.addr).await;
    assert_eq!(call(&mut ws, 1, r#"["add",40,2]"#).await, "[42]");
    assert_eq!(call(&mut ws, 2, r#"["shout","hi"]"#).await, r#"["HI"]"#);
}

#[tokio::test]
async fn optional_trailing_argument_may_be_left_out() {
    let server = serve().await;
    let mut ws = join_chat(server.addr).await;
    assert_eq!(
        call(&mut ws, 1, r#"["repeat","ab",3]"#).await,
        r#"["ababab"]"#
    );
    assert_eq!(call(&mut ws, 2, r#"["repeat","ab"]"#).await, r#"["ab"]"#);
}

#[tokio::test]
async fn rest_and_args_take_the_remaining_arguments() {
    let server = serve().await;
    let mut ws = join_chat(server.addr).await;
    // A tuple return acknowledges with several arguments.
    assert_eq!(call(&mut ws, 1, r#"["sum",1,2,3,4]"#).await, "[10,4]");
    assert_eq!(call(&mut ws, 2, r#"["sum"]"#).await, "[0,0]");
    assert_eq!(
        call(&mut ws, 3, r#"["count","x",{"a":1},[2],null]"#).await,
        r#"["x",3]"#
    );
}

#[tokio::test]
async fn bytes_argument_comes_from_a_binary_attachment() {
    let server = serve().await;
    let mut ws = join_chat(server.addr).await;
    ws.send_text(r#"451-/chat,7["size",{"_placeholder":true,"num":0}]"#)
        .await;
    ws.send_binary(&[1, 2, 3, 4, 5]).await;
    assert_eq!(ws.recv_text().await, "43/chat,7[5]");
}

#[tokio::test]
async fn result_return_acks_ok_value_or_error_object() {
    let server = serve().await;
    let mut ws = join_chat(server.addr).await;
    assert_eq!(call(&mut ws, 1, r#"["divide",9,3]"#).await, "[3]");
    assert_eq!(
        call(&mut ws, 2, r#"["divide",1,0]"#).await,
        r#"[{"error":"division by zero"}]"#
    );
}

#[tokio::test]
async fn argument_that_does_not_deserialize_gets_an_error_ack() {
    let server = serve().await;
    let mut ws = join_chat(server.addr).await;
    let ack = call(&mut ws, 1, r#"["add","two",3]"#).await;
    assert!(ack.starts_with(r#"[{"error":"invalid argument 1"#), "{ack}");
    // The namespace keeps working.
    assert_eq!(call(&mut ws, 2, r#"["add",1,1]"#).await, "[2]");
}

#[tokio::test]
async fn on_type_handles_the_event_named_by_the_type() {
    let server = serve().await;
    let mut ws = join_chat(server.addr).await;
    assert_eq!(
        call(&mut ws, 1, r#"["chat message",{"text":"hi"}]"#).await,
        r#"["typed: hi"]"#
    );
}

#[tokio::test]
async fn user_types_named_like_context_types_are_payloads_and_arguments() {
    let server = serve().await;
    let mut ws = join_chat(server.addr).await;
    // `#[on(user::State)]`: the event is `user::State`'s, and every parameter is an argument.
    assert_eq!(
        call(
            &mut ws,
            1,
            r#"["user state",{"level":3},{"port":80},["a","b"]]"#
        )
        .await,
        r#"["3 80 a+b"]"#
    );
    // A user `Socket` is the first argument; the runtime's `Socket` is still context.
    assert_eq!(
        call(&mut ws, 2, r#"["user socket",{"port":443}]"#).await,
        "[443,true]"
    );
}

#[tokio::test]
async fn catch_all_gets_events_without_a_method_and_their_name() {
    let server = serve().await;
    let mut ws = join_chat(server.addr).await;
    assert_eq!(
        call(&mut ws, 1, r#"["unknown",1,2]"#).await,
        r#"["any unknown 2"]"#
    );
    // An event with a method of its own does not reach the catch-all.
    assert_eq!(call(&mut ws, 2, r#"["add",1,2]"#).await, "[3]");
}

#[tokio::test]
async fn state_parameter_reaches_the_registered_state() {
    let mut server = serve().await;
    let mut ws = join_chat(server.addr).await;
    assert_eq!(call(&mut ws, 1, r#"["state"]"#).await, "[true]");
    let seen = within("state handler", STEP, server.seen.recv()).await;
    assert_eq!(seen.as_deref(), Some("state"));
}

#[tokio::test]
async fn function_handler_on_the_same_namespace_wins_over_the_method() {
    let server = serve().await;
    server
        .io
        .of("/chat")
        .on("shadowed", || async { "function" });
    let mut ws = join_chat(server.addr).await;
    assert_eq!(call(&mut ws, 1, r#"["shadowed"]"#).await, r#"["function"]"#);
}

#[tokio::test]
async fn auto_registered_namespace_is_found_by_build() {
    let server = serve().await;
    let mut ws = open(server.addr).await;
    ws.send_text("40/auto,").await;
    let reply = ws.recv_text().await;
    assert!(reply.starts_with(r#"40/auto,{"sid":""#), "{reply}");
    ws.send_text(r#"42/auto,1["hello"]"#).await;
    assert_eq!(ws.recv_text().await, r#"43/auto,1["from auto"]"#);
}

#[tokio::test]
async fn unregistered_namespace_is_refused() {
    let server = serve().await;
    let mut ws = open(server.addr).await;
    ws.send_text("40/nobody,").await;
    assert_eq!(
        ws.recv_text().await,
        r#"44/nobody,{"message":"Invalid namespace"}"#
    );
}

#[test]
fn two_registrations_of_one_path_are_a_build_error_naming_both() {
    let err = SocketIo::builder().namespace(Squatter).build().unwrap_err();
    let BuildError::DuplicateNamespace {
        path,
        first,
        second,
    } = &err
    else {
        panic!("expected DuplicateNamespace, got {err:?}");
    };
    assert_eq!(path, "/auto");
    let both = format!("{first} / {second}");
    assert!(both.contains("Squatter"), "{both}");
    assert!(both.contains("macros_runtime::Auto"), "{both}");
    // The auto-registration carries the line of its `#[namespace("/auto")]`.
    assert!(both.contains("tests/macros_runtime.rs:154"), "{both}");
    let message = err.to_string();
    assert!(message.contains("`/auto` is registered twice"), "{message}");
}

#[tokio::test]
async fn explicit_registration_of_an_auto_registered_type_replaces_it() {
    let io = SocketIo::builder().namespace(Auto).build();
    assert!(io.is_ok(), "{:?}", io.err());
}

#[test]
fn explicit_registration_location_is_the_callers_line() {
    let err = SocketIo::builder().namespace(Squatter).build().unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&format!("{}:", file!())), "{text}");
    assert!(!text.contains("server/io.rs"), "{text}");
}

#[tokio::test]
async fn methods_take_their_namespace_and_typed_sessions() {
    let mut server = serve().await;
    let lobby = || {
        socketio::testing::TestClient::builder()
            .namespace("/lobby")
            .connect(&server.io)
    };
    let a = lobby().await.unwrap();
    let b = lobby().await.unwrap();
    assert!(a.emit_with_ack::<bool>("shout", &"hey").await.unwrap());
    assert_eq!(a.next_event::<String>("shouted").await.unwrap(), "hey");
    assert_eq!(b.next_event::<String>("shouted").await.unwrap(), "hey");

    assert_eq!(
        a.emit_with_ack::<Option<u32>>("bump", &()).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        a.emit_with_ack::<Option<u32>>("bump", &()).await.unwrap(),
        Some(2)
    );
    let peeked: (Option<String>, Option<u32>) = b.emit_with_ack("peek", &a.sid()).await.unwrap();
    assert_eq!(peeked, (Some("joined /lobby".into()), Some(2)));

    a.disconnect().await.unwrap();
    let seen = within("disconnect method", STEP, server.seen.recv()).await;
    assert_eq!(seen.as_deref(), Some("left /lobby: joined /lobby, 2"));
}

/// Takes its own [`Namespace`] in each kind of method, and keeps typed sessions: no path is
/// named inside.
struct Lobby;

#[namespace("/lobby", register = false)]
impl Lobby {
    #[on(connect)]
    fn connect(&self, socket: Socket, ns: Namespace) {
        socket.save_session(format!("joined {}", ns.path()));
        socket.save_session(0u32);
    }

    #[on(disconnect)]
    fn disconnect(&self, socket: Socket, ns: Namespace, State(seen): State<Seen>) {
        let note = socket.get_session::<String>().unwrap_or_default();
        let bumps = socket.get_session::<u32>().unwrap_or_default();
        let _ = seen.0.send(format!("left {}: {note}, {bumps}", ns.path()));
    }

    #[on("shout")]
    fn shout(&self, ns: Namespace, text: String) -> bool {
        ns.emit("shouted", &text).is_ok()
    }

    #[on("bump")]
    fn bump(&self, socket: Socket) -> Option<u32> {
        socket.session(|n: &mut u32| {
            *n += 1;
            *n
        })
    }

    #[on("peek")]
    async fn peek(&self, ns: Namespace, sid: String) -> (Option<String>, Option<u32>) {
        (ns.get_session(&sid), ns.get_session(&sid))
    }
}

// -- custom extractors and TryData in `#[namespace]` methods ------------------------------------

/// A user-written event parameter: the name `login` saved in the session.
#[derive(Clone)]
struct Me(String);

impl socketio::FromEventParam<socketio::ViaContext> for Me {
    fn from_event(ctx: &mut socketio::EventContext) -> Result<Self, socketio::ParamError> {
        ctx.socket()
            .get_session::<Me>()
            .ok_or_else(|| socketio::ParamError::reject("not logged in"))
    }
}

/// A user-written connect parameter: the `x-client` header, required.
struct ClientName(String);

impl socketio::FromConnectParam<socketio::ViaContext> for ClientName {
    fn from_connect(ctx: &socketio::ConnectContext) -> Result<Self, socketio::ConnectParamError> {
        ctx.handshake()
            .headers()
            .get("x-client")
            .and_then(|v| v.to_str().ok())
            .map(|v| ClientName(v.to_owned()))
            .ok_or(socketio::ConnectParamError::Rejected(ConnectError::new(
                "name your client",
            )))
    }
}

#[derive(Default)]
struct Extractors;

#[namespace("/extract", register = false)]
impl Extractors {
    #[on(connect)]
    async fn connect(&self, socket: Socket, client: ClientName) {
        socket.save_session(Me(client.0));
    }

    #[on("whoami")]
    async fn whoami(&self, me: Me, greeting: String) -> String {
        format!("{greeting}, {}", me.0)
    }

    #[on("parse")]
    async fn parse(&self, socketio::TryData(n): socketio::TryData<u8>) -> Result<u8, String> {
        n.map_err(|e| format!("argument {} rejected", e.index() + 1))
    }
}

#[tokio::test]
async fn namespace_methods_take_custom_extractors_and_try_data() {
    use socketio::testing::{TestClient, TestError};
    let io = SocketIo::builder().namespace(Extractors).build().unwrap();
    let refused = TestClient::builder()
        .namespace("/extract")
        .connect(&io)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&refused, TestError::ConnectRefused(e) if e.message() == "name your client"),
        "{refused:?}"
    );
    let c = TestClient::builder()
        .namespace("/extract")
        .header("x-client", "ada")
        .connect(&io)
        .await
        .unwrap();
    let hi: String = c.emit_with_ack("whoami", &"hi").await.unwrap();
    assert_eq!(hi, "hi, ada");
    assert_eq!(c.emit_with_ack::<u8>("parse", &7).await.unwrap(), 7);
    let err: Value = c.emit_with_ack("parse", &300).await.unwrap();
    assert_eq!(err, json!({"error": "argument 1 rejected"}));
}
