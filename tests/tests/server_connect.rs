//! Namespace connection: what the connect handler sees, rejection, `always_connect`,
//! `accept_any_namespace`, unknown namespaces, emits from the connect handler.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::net::SocketAddr;
use std::sync::Arc;

use serde::Deserialize;
use socketio::engine::Transport;
use socketio::{ConnectError, Handshake, ServerConfig, Socket, SocketIo, Value};
use socketio_tests::{Polling, Ws, next, serve};
use tokio::sync::mpsc;

#[derive(Debug, Deserialize)]
struct Auth {
    token: String,
}

#[derive(Debug)]
struct Seen {
    header: Option<String>,
    query_x: Option<String>,
    query_missing: Option<String>,
    path: String,
    remote: Option<SocketAddr>,
    transport: Transport,
    auth_raw: String,
    has_auth: bool,
    auth_typed: Result<String, String>,
    auth_value: Value,
    sid: String,
}

fn recorder(io: &SocketIo, nsp: &str) -> mpsc::UnboundedReceiver<Seen> {
    let (tx, rx) = mpsc::unbounded_channel();
    io.of(nsp)
        .on_connect(move |socket: Socket, hs: Arc<Handshake>, auth: Value| {
            let tx = tx.clone();
            async move {
                let seen = Seen {
                    header: hs
                        .headers()
                        .get("x-test")
                        .map(|v| v.to_str().unwrap().to_owned()),
                    query_x: hs.query("x"),
                    query_missing: hs.query("nope"),
                    path: hs.uri().path().to_owned(),
                    remote: hs.remote_addr(),
                    transport: hs.transport(),
                    auth_raw: hs.auth_json().to_owned(),
                    has_auth: hs.has_auth(),
                    auth_typed: hs
                        .auth::<Auth>()
                        .map(|a| a.token)
                        .map_err(|e| e.to_string()),
                    auth_value: auth,
                    sid: socket.id().to_owned(),
                };
                tx.send(seen).unwrap();
            }
        });
    rx
}

#[tokio::test]
async fn connect_handler_sees_request_and_auth_over_websocket() {
    let io = SocketIo::builder().build().unwrap();
    let mut seen = recorder(&io, "/");
    let srv = serve(io).await;
    let mut c = Ws::open_with(srv.addr, "x=a%20b&y=2", &[("x-test", "hello")]).await;
    let local = c.local_addr();
    let sid = c.join("/", Some(r#"{"token":"abc","n":1}"#)).await;
    let s = next(&mut seen).await;
    assert_eq!(s.sid, sid, "the CONNECT reply carries the socket's id");
    assert_eq!(s.header.as_deref(), Some("hello"));
    assert_eq!(
        s.query_x.as_deref(),
        Some("a b"),
        "query parameters are percent-decoded"
    );
    assert_eq!(s.query_missing, None);
    assert_eq!(s.path, "/socket.io/");
    assert_eq!(
        s.remote,
        Some(local),
        "remote address is the client's socket address"
    );
    assert_eq!(s.transport, Transport::Websocket);
    assert_eq!(s.auth_raw, r#"{"token":"abc","n":1}"#);
    assert!(s.has_auth);
    assert_eq!(s.auth_typed, Ok("abc".to_owned()));
    assert_eq!(s.auth_value.get("n").and_then(Value::as_u64), Some(1));
}

#[tokio::test]
async fn connect_handler_auth_is_empty_object_when_absent() {
    let io = SocketIo::builder().build().unwrap();
    let mut seen = recorder(&io, "/custom");
    let srv = serve(io).await;
    let mut c = Ws::open(srv.addr).await;
    c.join("/custom", None).await;
    let s = next(&mut seen).await;
    assert_eq!(s.auth_raw, "{}");
    assert!(!s.has_auth);
    assert!(
        s.auth_value.as_object().is_some_and(|m| m.is_empty()),
        "{:?}",
        s.auth_value
    );
    assert!(s.auth_typed.is_err(), "`{{}}` lacks the token field");
}

#[tokio::test]
async fn connect_handler_sees_polling_transport_and_query() {
    let io = SocketIo::builder().build().unwrap();
    let mut seen = recorder(&io, "/");
    let srv = serve(io).await;
    let c = Polling::open_with(srv.addr, "/socket.io/", "x=polled")
        .await
        .0;
    let sid = c.join("/", Some(r#"{"token":"t"}"#)).await;
    let s = next(&mut seen).await;
    assert_eq!(s.sid, sid);
    assert_eq!(s.transport, Transport::Polling);
    assert_eq!(s.query_x.as_deref(), Some("polled"));
    assert_eq!(s.auth_typed, Ok("t".to_owned()));
    assert!(s.remote.is_some_and(|a| a.ip().is_loopback()));
}

#[tokio::test]
async fn connect_handler_typed_auth_parameter() {
    let io = SocketIo::builder().build().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    io.of("/").on_connect(move |auth: Auth| {
        let tx = tx.clone();
        async move { tx.send(auth.token).unwrap() }
    });
    let srv = serve(io).await;
    let mut c = Ws::open(srv.addr).await;
    c.join("/", Some(r#"{"token":"typed"}"#)).await;
    assert_eq!(next(&mut rx).await, "typed");
}

#[tokio::test]
async fn connect_rejected_with_false() {
    let io = SocketIo::builder().build().unwrap();
    io.of("/").on_connect(async || false);
    let srv = serve(io.clone()).await;
    let mut c = Ws::open(srv.addr).await;
    c.send("40").await;
    assert_eq!(
        c.recv_text().await,
        r#"44{"message":"Connection rejected by server"}"#
    );
    assert!(
        io.of("/").sockets().is_empty(),
        "a rejected socket is not kept"
    );
}

#[tokio::test]
async fn connect_rejected_with_error_message_and_data() {
    let io = SocketIo::builder().build().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel::<&'static str>();
    io.of("/chat").on_connect(|auth: Value| async move {
        if auth.get("token").and_then(Value::as_str) == Some("secret") {
            Ok(())
        } else {
            Err(ConnectError::new("unauthorized")
                .with_data(serde_json::json!({"reason": "bad token"})))
        }
    });
    io.of("/chat").on_disconnect(move || {
        let tx = tx.clone();
        async move { tx.send("disconnect handler").unwrap() }
    });
    io.of("/").on("ping", async || ());
    let srv = serve(io.clone()).await;
    let mut c = Ws::open(srv.addr).await;
    c.send(r#"40/chat,{"token":"wrong"}"#).await;
    assert_eq!(
        c.recv_text().await,
        r#"44/chat,{"message":"unauthorized","data":{"reason":"bad token"}}"#
    );
    // The Engine.IO connection stays usable: join `/` and a correct `/chat`.
    c.join("/", None).await;
    assert!(c.roundtrip("/", 1, "ping").await.is_empty());
    c.join("/chat", Some(r#"{"token":"secret"}"#)).await;
    assert_eq!(io.of("/chat").sockets().len(), 1);
    assert!(
        rx.try_recv().is_err(),
        "a refused socket never runs the disconnect handler"
    );
}

#[tokio::test]
async fn always_connect_sends_connect_then_disconnect_on_rejection() {
    let mut config = ServerConfig::default();
    config.always_connect = true;
    let io = SocketIo::builder().config(config).build().unwrap();
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let go_rx = Arc::new(tokio::sync::Mutex::new(Some(go_rx)));
    io.of("/").on_connect(move || {
        let go_rx = go_rx.clone();
        async move {
            // Rejects only once the test has seen the CONNECT reply.
            let rx = go_rx.lock().await.take().unwrap();
            rx.await.unwrap();
            Err::<(), _>(ConnectError::new("no"))
        }
    });
    let srv = serve(io.clone()).await;
    let mut c = Ws::open(srv.addr).await;
    c.send("40").await;
    let reply = c.recv_text().await;
    socketio_tests::connect_sid("/", &reply);
    go_tx.send(()).unwrap();
    let then = c.recv_text().await;
    assert!(
        then == "41" || then.starts_with("41{"),
        "rejection after always_connect is a DISCONNECT, got {then}"
    );
    assert!(io.of("/").sockets().is_empty());
}

#[tokio::test]
async fn always_connect_accepting_handler_connects_once() {
    let mut config = ServerConfig::default();
    config.always_connect = true;
    let io = SocketIo::builder().config(config).build().unwrap();
    io.of("/").on_connect(async |s: Socket| {
        s.emit("hello", &()).unwrap();
    });
    io.of("/").on("ping", async || ());
    let srv = serve(io).await;
    let mut c = Ws::open(srv.addr).await;
    c.join("/", None).await;
    let before = c.roundtrip("/", 1, "ping").await;
    assert_eq!(before, [r#"42["hello"]"#]);
}

#[tokio::test]
async fn accept_any_namespace() {
    let mut config = ServerConfig::default();
    config.accept_any_namespace = true;
    let io = SocketIo::builder().config(config).build().unwrap();
    let srv = serve(io.clone()).await;
    let mut c = Ws::open(srv.addr).await;
    let sid = c.join("/anything", None).await;
    assert!(io.socket("/anything", &sid).is_some());
}

#[tokio::test]
async fn unknown_namespace_is_refused() {
    let io = SocketIo::builder().build().unwrap();
    io.of("/chat").on("x", async || ());
    let srv = serve(io).await;
    let mut c = Ws::open(srv.addr).await;
    c.send("40/nope,").await;
    assert_eq!(
        c.recv_text().await,
        r#"44/nope,{"message":"Invalid namespace"}"#
    );
    // ...and the connection still works for a known namespace.
    c.join("/chat", None).await;
}

/// python-socketio (`namespaces=None` means `['/']`) and Node both accept the main namespace
/// even when the application registered nothing on it.
#[tokio::test]
async fn main_namespace_is_accepted_without_handlers() {
    let io = SocketIo::builder().build().unwrap();
    io.of("/chat").on("x", async || ());
    let srv = serve(io).await;
    let mut c = Ws::open(srv.addr).await;
    c.join("/", None).await;
}

#[tokio::test]
async fn emits_in_connect_handler_follow_the_connect_reply() {
    let io = SocketIo::builder().build().unwrap();
    let (gate_tx, gate_rx) = tokio::sync::oneshot::channel::<()>();
    let gate = Arc::new(tokio::sync::Mutex::new(Some(gate_rx)));
    io.of("/chat").on_connect(move |s: Socket| {
        let gate = gate.clone();
        async move {
            s.emit("welcome", &serde_json::json!({"sid": s.id()}))
                .unwrap();
            s.emit("second", &(1, "two")).unwrap();
            // The handler is still running: nothing may reach the client yet.
            let rx = gate.lock().await.take().unwrap();
            rx.await.unwrap();
            s.emit("third", &()).unwrap();
        }
    });
    io.of("/chat").on("ping", async || ());
    io.of("/").on("ping", async || ());
    let srv = serve(io).await;
    let mut c = Ws::open(srv.addr).await;
    c.send(r#"40/chat,"#).await;
    // Barrier on another namespace: the CONNECT of /chat must not have been answered yet.
    c.join("/", None).await;
    let before = c.roundtrip("/", 1, "ping").await;
    assert!(
        before.is_empty(),
        "nothing of /chat before its handler finished: {before:?}"
    );
    gate_tx.send(()).unwrap();
    let sid = socketio_tests::connect_sid("/chat", &c.recv_text().await);
    assert_eq!(
        c.recv_text().await,
        format!(r#"42/chat,["welcome",{{"sid":"{sid}"}}]"#)
    );
    assert_eq!(c.recv_text().await, r#"42/chat,["second",1,"two"]"#);
    assert_eq!(c.recv_text().await, r#"42/chat,["third"]"#);
}

#[tokio::test]
async fn second_connect_to_same_namespace_is_refused() {
    let io = SocketIo::builder().build().unwrap();
    io.of("/").on("ping", async || ());
    let srv = serve(io.clone()).await;
    let mut c = Ws::open(srv.addr).await;
    let sid = c.join("/", None).await;
    c.send("40").await;
    let reply = c.recv_text().await;
    assert!(
        reply.starts_with("44"),
        "second CONNECT refused, got {reply}"
    );
    assert!(
        io.socket("/", &sid).is_some(),
        "the first socket stays connected"
    );
    assert!(c.roundtrip("/", 1, "ping").await.is_empty());
}
