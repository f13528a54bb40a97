//! Acknowledgements both ways: handler return values, undeserializable payloads, events without
//! a handler, `emit_with_ack`, `call` (typed answer, timeout), pending acks on disconnect,
//! `max_pending_acks`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::Duration;

use serde::Deserialize;
use socketio::{AckError, AckSender, CallError, EmitError, ServerConfig, Socket, SocketIo};
use socketio_tests::{STEP, Served, Ws, json_of, next, serve, within};
use tokio::sync::mpsc;

async fn server(config: ServerConfig) -> (Served, mpsc::UnboundedReceiver<u32>) {
    let io = SocketIo::builder().config(config).build().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let ns = io.of("/");
    ns.on("unit", async || ());
    ns.on("value", async || 42);
    ns.on("string", async |s: String| format!("got {s}"));
    ns.on("tuple", async || ("a", 1, [true]));
    ns.on("result", async |n: i64| -> Result<i64, AckError> {
        if n < 0 {
            Err(AckError("negative".into()))
        } else {
            Ok(n * 2)
        }
    });
    ns.on("result_tuple", async || Ok::<_, String>((1, 2)));
    ns.on(
        "question_mark",
        async |s: String| -> Result<u32, AckError> { Ok(s.parse::<u32>()?) },
    );
    ns.on("explicit", async |ack: AckSender| {
        assert!(ack.requested());
        ack.send(&("by", "hand"));
    });
    ns.on("typed", move |n: u32| {
        let tx = tx.clone();
        async move {
            tx.send(n).unwrap();
            n + 1
        }
    });
    (serve(io).await, rx)
}

async fn connected(srv: &Served) -> (Ws, Socket) {
    let mut c = Ws::open(srv.addr).await;
    let sid = c.join("/", None).await;
    let socket = srv.io.socket("/", &sid).unwrap();
    (c, socket)
}

async fn ask(c: &mut Ws, packet: &str) -> String {
    c.send(packet).await;
    c.recv_text().await
}

#[tokio::test]
async fn handler_return_value_is_the_ack() {
    let (srv, _rx) = server(ServerConfig::default()).await;
    let (mut c, _) = connected(&srv).await;
    assert_eq!(ask(&mut c, r#"421["unit"]"#).await, "431[]");
    assert_eq!(ask(&mut c, r#"422["value"]"#).await, "432[42]");
    assert_eq!(ask(&mut c, r#"423["string","x"]"#).await, r#"433["got x"]"#);
    assert_eq!(ask(&mut c, r#"424["tuple"]"#).await, r#"434["a",1,[true]]"#);
    assert_eq!(ask(&mut c, r#"425["result",21]"#).await, "435[42]");
    assert_eq!(
        ask(&mut c, r#"426["result",-1]"#).await,
        r#"436[{"error":"negative"}]"#
    );
    assert_eq!(ask(&mut c, r#"427["result_tuple"]"#).await, "437[1,2]");
    assert_eq!(ask(&mut c, r#"428["question_mark","12"]"#).await, "438[12]");
    let err = ask(&mut c, r#"429["question_mark","x"]"#).await;
    let v = json_of(err.strip_prefix("439").unwrap());
    assert!(
        v[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("invalid digit")),
        "{err}"
    );
    assert_eq!(
        ask(&mut c, r#"4210["explicit"]"#).await,
        r#"4310["by","hand"]"#
    );
    // Large ids survive.
    assert_eq!(
        ask(&mut c, r#"429007199254740991["unit"]"#).await,
        "439007199254740991[]"
    );
}

#[tokio::test]
async fn no_ack_requested_means_no_ack_sent() {
    let (srv, _rx) = server(ServerConfig::default()).await;
    let (mut c, _) = connected(&srv).await;
    c.send(r#"42["value"]"#).await;
    c.send(r#"42["explicit_none"]"#).await;
    assert!(c.roundtrip("/", 1, "unit").await.is_empty());
}

#[tokio::test]
async fn payload_that_does_not_deserialize_gets_error_ack_and_no_call() {
    let (srv, mut rx) = server(ServerConfig::default()).await;
    let (mut c, _) = connected(&srv).await;
    let reply = ask(&mut c, r#"421["typed","not a number"]"#).await;
    let v = json_of(
        reply
            .strip_prefix("431")
            .unwrap_or_else(|| panic!("{reply}")),
    );
    assert_eq!(v.as_array().unwrap().len(), 1, "{reply}");
    assert!(
        v[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("argument 1")),
        "{reply}"
    );
    // A missing argument is an error too.
    let reply = ask(&mut c, r#"422["typed"]"#).await;
    assert!(reply.starts_with(r#"432[{"error":"#), "{reply}");
    assert!(rx.try_recv().is_err(), "the handler was not called");
    // The socket is still fine and a good payload reaches the handler.
    assert_eq!(ask(&mut c, r#"423["typed",4]"#).await, "433[5]");
    assert_eq!(next(&mut rx).await, 4);
}

#[tokio::test]
async fn event_without_handler_gets_no_ack() {
    let (srv, _rx) = server(ServerConfig::default()).await;
    let (mut c, _) = connected(&srv).await;
    c.send(r#"425["nobody_listens",1]"#).await;
    let before = c.roundtrip("/", 6, "unit").await;
    assert!(
        before.is_empty(),
        "python-socketio sends no ACK without a handler: {before:?}"
    );
}

#[tokio::test]
async fn emit_with_ack_resolves_with_client_answer() {
    let (srv, _rx) = server(ServerConfig::default()).await;
    let (mut c, socket) = connected(&srv).await;
    let fut = socket.emit_with_ack("ask", &("q", 1)).unwrap();
    assert_eq!(
        c.recv_text().await,
        r#"421["ask","q",1]"#,
        "ack ids start at 1 per socket"
    );
    c.send(r#"431["yes",2]"#).await;
    let answer = within("the ack", STEP, fut).await.unwrap();
    assert_eq!(
        answer.decode::<(String, u32)>().unwrap(),
        ("yes".to_owned(), 2)
    );
    assert_eq!(answer.args().len(), 2);
    // Next id is 2; an unknown id is ignored.
    let fut = socket.emit_with_ack("again", &()).unwrap();
    assert_eq!(c.recv_text().await, r#"422["again"]"#);
    c.send("4377[]").await;
    c.send("432[]").await;
    let answer = within("the second ack", STEP, fut).await.unwrap();
    assert!(answer.args().is_empty());
    answer.decode::<()>().unwrap();
}

#[tokio::test]
async fn binary_ack_from_client() {
    let (srv, _rx) = server(ServerConfig::default()).await;
    let (mut c, socket) = connected(&srv).await;
    let fut = socket.emit_with_ack("ask", &()).unwrap();
    assert_eq!(c.recv_text().await, r#"421["ask"]"#);
    c.send(r#"461-1[{"_placeholder":true,"num":0}]"#).await;
    c.send_binary(b"\x01\x02").await;
    let answer = within("the binary ack", STEP, fut).await.unwrap();
    assert_eq!(
        answer.decode::<bytes::Bytes>().unwrap(),
        bytes::Bytes::from_static(b"\x01\x02")
    );
}

#[derive(Debug, Deserialize, PartialEq)]
struct Answer {
    ok: bool,
}

#[tokio::test]
async fn call_decodes_typed_answer_and_times_out() {
    let (srv, _rx) = server(ServerConfig::default()).await;
    let (mut c, socket) = connected(&srv).await;
    let s = socket.clone();
    let call = tokio::spawn(async move {
        s.call::<Answer>("question", &(), Duration::from_secs(5))
            .await
    });
    assert_eq!(c.recv_text().await, r#"421["question"]"#);
    c.send(r#"431[{"ok":true}]"#).await;
    assert_eq!(
        within("call", STEP, call).await.unwrap().unwrap(),
        Answer { ok: true }
    );

    // A wrong shape is a decode error.
    let s = socket.clone();
    let call =
        tokio::spawn(async move { s.call::<Answer>("q", &(), Duration::from_secs(5)).await });
    assert_eq!(c.recv_text().await, r#"422["q"]"#);
    c.send(r#"432["nope"]"#).await;
    assert!(matches!(
        within("call", STEP, call).await.unwrap(),
        Err(CallError::Decode(_))
    ));

    // No answer: timeout, and the ack slot is freed.
    let r = socket
        .call::<Answer>("silence", &(), Duration::from_millis(50))
        .await;
    assert_eq!(r, Err(CallError::Timeout));
}

#[tokio::test]
async fn pending_acks_resolve_disconnected_when_client_leaves() {
    let (srv, _rx) = server(ServerConfig::default()).await;
    let (mut c, socket) = connected(&srv).await;
    let a = socket.emit_with_ack("a", &()).unwrap();
    let b = socket.emit_with_ack("b", &()).unwrap();
    c.close().await;
    assert_eq!(
        within("ack a", STEP, a).await.unwrap_err(),
        CallError::Disconnected
    );
    assert_eq!(
        within("ack b", STEP, b).await.unwrap_err(),
        CallError::Disconnected
    );
    assert_eq!(
        socket.emit_with_ack("c", &()).unwrap_err(),
        EmitError::Disconnected
    );
    let r = socket.call::<()>("d", &(), Duration::from_secs(1)).await;
    assert_eq!(r, Err(CallError::Emit(EmitError::Disconnected)));
}

#[tokio::test]
async fn max_pending_acks_plus_one_is_refused() {
    let mut config = ServerConfig::default();
    config.max_pending_acks = 3;
    let (srv, _rx) = server(config).await;
    let (mut c, socket) = connected(&srv).await;
    let mut futs = Vec::new();
    for i in 1..=3 {
        futs.push(socket.emit_with_ack("ask", &i).unwrap());
        assert_eq!(c.recv_text().await, format!(r#"42{i}["ask",{i}]"#));
    }
    assert_eq!(
        socket.emit_with_ack("ask", &4).unwrap_err(),
        EmitError::TooManyPendingAcks
    );
    let r = socket.call::<()>("ask", &4, Duration::from_secs(1)).await;
    assert_eq!(r, Err(CallError::Emit(EmitError::TooManyPendingAcks)));
    // Nothing was sent for the refused ones; answering one frees a slot.
    c.send("432[]").await;
    within("ack 2", STEP, futs.remove(1)).await.unwrap();
    let _again = socket.emit_with_ack("ask", &5).unwrap();
    assert_eq!(c.recv_text().await, r#"424["ask",5]"#);
    assert_eq!(
        socket.emit_with_ack("ask", &6).unwrap_err(),
        EmitError::TooManyPendingAcks
    );
}
