//! `socketio::testing::TestClient` against real servers: in memory (a `SocketIo`, a `Router`)
//! and over loopback TCP. Emit, ack with typed answers, typed events with other names
//! buffered, answering the server's callbacks, binary both ways, auth/namespace/headers/query,
//! connect refusal, disconnects both ways with their reasons, timeouts, the event buffer's
//! bound, pings answered while idle.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;
use socketio::testing::{AckResult, Disconnect, TestClient, TestError};
use socketio::{ConnectError, DisconnectReason, Handshake, Socket, SocketIo};
use tokio::sync::mpsc;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Point {
    x: i32,
    y: i32,
}

fn echo_server() -> SocketIo {
    let io = SocketIo::builder().build().unwrap();
    let ns = io.of("/");
    ns.on("echo", async |socket: Socket, p: Point| {
        socket.emit("echoed", &p).unwrap();
    });
    ns.on("add", async |a: i64, b: i64| a + b);
    ns.on("pair", async || ("a", 1));
    ns.on("nothing", async || ());
    ns.on("half", async |n: u32| {
        if n.is_multiple_of(2) {
            Ok(n / 2)
        } else {
            Err(format!("{n} is odd"))
        }
    });
    ns.on("burst", async |socket: Socket, n: u32| {
        for i in 0..n {
            socket.emit("tick", &i).unwrap();
        }
        socket.emit("done", &n).unwrap();
    });
    ns.on("bytes", async |data: Bytes| {
        let mut rev = data.to_vec();
        rev.reverse();
        (Bytes::from(rev), data.len())
    });
    ns.on("kick", async |socket: Socket| socket.disconnect());
    ns.on("close", async |socket: Socket| socket.close_connection());
    io
}

#[tokio::test]
async fn emit_and_typed_event() {
    let io = echo_server();
    let client = TestClient::connect(&io).await.unwrap();
    assert!(io.socket("/", client.sid()).is_some());
    client.emit("echo", &Point { x: 1, y: -2 }).await.unwrap();
    let p: Point = client.next_event("echoed").await.unwrap();
    assert_eq!(p, Point { x: 1, y: -2 });
}

#[tokio::test]
async fn acks_decode_one_several_and_no_arguments() {
    let io = echo_server();
    let client = TestClient::connect(&io).await.unwrap();
    let sum: i64 = client.emit_with_ack("add", &(2, 40)).await.unwrap();
    assert_eq!(sum, 42);
    let pair: (String, u8) = client.emit_with_ack("pair", &()).await.unwrap();
    assert_eq!(pair, ("a".to_owned(), 1));
    let (): () = client.emit_with_ack("nothing", &()).await.unwrap();
    let none: Option<u8> = client.emit_with_ack("nothing", &()).await.unwrap();
    assert_eq!(none, None);
}

#[tokio::test]
async fn result_acks_and_decode_errors() {
    let io = echo_server();
    let client = TestClient::connect(&io).await.unwrap();
    let ok: AckResult<u32> = client.emit_with_ack("half", &10).await.unwrap();
    assert_eq!(ok.into_result(), Ok(5));
    let err: AckResult<u32> = client.emit_with_ack("half", &7).await.unwrap();
    assert_eq!(err, AckResult::Err("7 is odd".to_owned()));
    // The error ack asked for as a number: a decode error that shows the arguments.
    let wrong = client.emit_with_ack::<u32>("half", &7).await.unwrap_err();
    let TestError::Decode { what, json, .. } = &wrong else {
        panic!("{wrong:?}");
    };
    assert_eq!(what, "ack of `half`");
    assert_eq!(json, r#"[{"error":"7 is odd"}]"#);
    assert!(wrong.to_string().contains("ack of `half`"), "{wrong}");
}

#[tokio::test]
async fn events_of_other_names_are_kept_in_order() {
    let io = echo_server();
    let client = TestClient::connect(&io).await.unwrap();
    client.emit("burst", &3).await.unwrap();
    // `done` is the last one sent; the ticks before it stay buffered, in order.
    let n: u32 = client.next_event("done").await.unwrap();
    assert_eq!(n, 3);
    assert_eq!(client.buffered().len(), 3);
    for i in 0..3 {
        let tick: u32 = client.next_event("tick").await.unwrap();
        assert_eq!(tick, i);
    }
    assert!(client.buffered().is_empty());
}

#[tokio::test]
async fn next_any_gives_the_oldest_event() {
    let io = echo_server();
    let client = TestClient::connect(&io).await.unwrap();
    client.emit("burst", &1).await.unwrap();
    let first = client.next_any().await.unwrap();
    assert_eq!(first.name, "tick");
    assert_eq!(first.args.get::<u32>(0).unwrap(), 0);
    assert!(first.ack.is_none());
    assert_eq!(client.next_any().await.unwrap().name, "done");
}

#[tokio::test]
async fn answering_the_servers_callback() {
    let io = SocketIo::builder().build().unwrap();
    // The ack of `ask` waits for the client's answer to `question`.
    io.of("/").on("ask", async |socket: Socket, q: String| {
        let answer: String = socket
            .call("question", &q, Duration::from_secs(5))
            .await
            .unwrap();
        format!("the client said {answer}")
    });
    let client = TestClient::connect(&io).await.unwrap();
    let (ack, ()) = tokio::join!(client.emit_with_ack::<String>("ask", "why?"), async {
        let (q, reply) = client
            .next_event_with_ack::<String>("question")
            .await
            .unwrap();
        assert_eq!(q, "why?");
        reply.ack(&"because").await.unwrap();
    });
    assert_eq!(ack.unwrap(), "the client said because");
}

#[tokio::test]
async fn an_event_without_ack_id_is_not_a_callback() {
    let io = echo_server();
    let client = TestClient::connect(&io).await.unwrap();
    client.emit("burst", &0).await.unwrap();
    let err = client.next_event_with_ack::<u32>("done").await.unwrap_err();
    assert!(matches!(err, TestError::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn binary_attachments_both_ways() {
    let io = echo_server();
    let client = TestClient::connect(&io).await.unwrap();
    let (rev, len): (Bytes, usize) = client
        .emit_with_ack("bytes", &Bytes::from_static(&[1, 2, 3]))
        .await
        .unwrap();
    assert_eq!(&rev[..], &[3, 2, 1]);
    assert_eq!(len, 3);

    // The server's callback answered with bytes.
    let io = SocketIo::builder().build().unwrap();
    io.of("/").on("upload", async |socket: Socket| {
        let data: Bytes = socket
            .call("send it", &(), Duration::from_secs(5))
            .await
            .unwrap();
        data.len()
    });
    let client = TestClient::connect(&io).await.unwrap();
    let (len, ()) = tokio::join!(client.emit_with_ack::<usize>("upload", &()), async {
        let ((), reply) = client.next_event_with_ack::<()>("send it").await.unwrap();
        reply.ack(&Bytes::from(vec![7u8; 1000])).await.unwrap();
    });
    assert_eq!(len.unwrap(), 1000);
}

#[tokio::test]
async fn auth_namespace_headers_and_query_reach_the_connect_handler() {
    let io = SocketIo::builder().build().unwrap();
    let (tx, mut seen) = mpsc::unbounded_channel();
    io.of("/admin")
        .on_connect(move |hs: Handshake, auth: serde_json::Value| {
            let tx = tx.clone();
            async move {
                let header = hs
                    .headers()
                    .get("x-test")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                tx.send((auth, header, hs.query("room"), hs.remote_addr()))
                    .unwrap();
            }
        });
    let client = TestClient::builder()
        .namespace("admin")
        .auth(&json!({ "token": "t0k" }))
        .header("x-test", "yes")
        .query("room", "a b&c")
        .remote_addr("10.0.0.7:4000".parse().unwrap())
        .connect(&io)
        .await
        .unwrap();
    assert_eq!(client.namespace(), "/admin");
    assert!(io.socket("/admin", client.sid()).is_some());
    let (auth, header, room, addr) = seen.recv().await.unwrap();
    assert_eq!(auth, json!({ "token": "t0k" }));
    assert_eq!(header.as_deref(), Some("yes"));
    assert_eq!(room.as_deref(), Some("a b&c"));
    assert_eq!(addr, Some("10.0.0.7:4000".parse().unwrap()));
}

#[tokio::test]
async fn connect_refusal_carries_message_and_data() {
    let io = SocketIo::builder().build().unwrap();
    io.of("/").on_connect(async |auth: serde_json::Value| {
        if auth["token"] == "secret" {
            Ok(())
        } else {
            Err(ConnectError::new("unauthorized").with_data(json!({ "retry": false })))
        }
    });
    let err = TestClient::builder()
        .auth(&json!({ "token": "guess" }))
        .connect(&io)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TestError::ConnectRefused(
            ConnectError::new("unauthorized").with_data(json!({ "retry": false }))
        )
    );
    assert_eq!(
        err.to_string(),
        r#"connection refused: unauthorized (data: {"retry":false})"#
    );
    TestClient::builder()
        .auth(&json!({ "token": "secret" }))
        .connect(&io)
        .await
        .unwrap();
}

#[tokio::test]
async fn unknown_namespace_is_refused() {
    let io = echo_server();
    let err = TestClient::builder()
        .namespace("/nowhere")
        .connect(&io)
        .await
        .unwrap_err();
    let TestError::ConnectRefused(refusal) = err else {
        panic!("{err:?}");
    };
    assert_eq!(refusal.message(), "Invalid namespace");
}

#[tokio::test]
async fn auth_must_be_an_object() {
    let io = echo_server();
    let err = TestClient::builder()
        .auth(&[1, 2])
        .connect(&io)
        .await
        .unwrap_err();
    assert!(matches!(err, TestError::Encode(_)), "{err:?}");
}

#[tokio::test]
async fn handshake_errors_give_the_http_status() {
    let io = echo_server();
    let err = TestClient::builder()
        .path("/elsewhere/")
        .connect(&io)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TestError::Handshake {
                status: Some(404),
                ..
            }
        ),
        "{err:?}"
    );
}

/// A server whose disconnect handler reports each reason.
fn reporting(io: &SocketIo) -> mpsc::UnboundedReceiver<DisconnectReason> {
    let (tx, rx) = mpsc::unbounded_channel();
    io.of("/").on_disconnect(move |reason: DisconnectReason| {
        let tx = tx.clone();
        async move { tx.send(reason).unwrap() }
    });
    rx
}

#[tokio::test]
async fn server_side_disconnects_and_their_reasons() {
    let io = echo_server();
    let mut reasons = reporting(&io);

    let client = TestClient::connect(&io).await.unwrap();
    client.emit("kick", &()).await.unwrap();
    assert_eq!(
        client.disconnected().await.unwrap(),
        Disconnect::ServerDisconnect
    );
    assert_eq!(
        reasons.recv().await.unwrap(),
        DisconnectReason::ServerNamespaceDisconnect
    );
    // Calls after the end say so.
    let err = client.emit("echo", &()).await.unwrap_err();
    assert_eq!(err, TestError::Disconnected(Disconnect::ServerDisconnect));
    let err = client.next_event::<()>("anything").await.unwrap_err();
    assert_eq!(err, TestError::Disconnected(Disconnect::ServerDisconnect));

    let client = TestClient::connect(&io).await.unwrap();
    client.emit("close", &()).await.unwrap();
    assert!(matches!(
        client.disconnected().await.unwrap(),
        Disconnect::TransportClose { .. }
    ));
    assert_eq!(reasons.recv().await.unwrap(), DisconnectReason::ForcedClose);
}

#[tokio::test]
async fn events_sent_before_a_disconnect_can_still_be_read() {
    let io = echo_server();
    let client = TestClient::connect(&io).await.unwrap();
    client.emit("burst", &2).await.unwrap();
    client.emit("kick", &()).await.unwrap();
    client.disconnected().await.unwrap();
    assert_eq!(client.next_event::<u32>("done").await.unwrap(), 2);
    assert_eq!(client.next_event::<u32>("tick").await.unwrap(), 0);
}

#[tokio::test]
async fn client_disconnect_and_drop() {
    let io = echo_server();
    let mut reasons = reporting(&io);

    let client = TestClient::connect(&io).await.unwrap();
    client.disconnect().await.unwrap();
    assert!(client.is_disconnected());
    assert_eq!(
        client.disconnected().await.unwrap(),
        Disconnect::ClientDisconnect
    );
    assert_eq!(
        reasons.recv().await.unwrap(),
        DisconnectReason::ClientNamespaceDisconnect
    );

    let client = TestClient::connect(&io).await.unwrap();
    drop(client);
    assert_eq!(
        reasons.recv().await.unwrap(),
        DisconnectReason::TransportClose
    );
}

#[tokio::test]
async fn server_shutdown_closes_the_transport() {
    let io = echo_server();
    let client = TestClient::connect(&io).await.unwrap();
    io.shutdown().await;
    assert!(matches!(
        client.disconnected().await.unwrap(),
        Disconnect::TransportClose { .. }
    ));
}

#[tokio::test]
async fn every_wait_times_out_and_says_what_it_waited_for() {
    let io = SocketIo::builder().build().unwrap();
    // Takes the event, never acknowledges.
    io.of("/").on("silent", async || {
        std::future::pending::<()>().await;
    });
    let mut client = TestClient::builder()
        .timeout(Duration::from_millis(50))
        .connect(&io)
        .await
        .unwrap();
    let err = client.next_event::<()>("never").await.unwrap_err();
    assert_eq!(
        err,
        TestError::Timeout {
            waiting_for: "event `never`".into(),
            after: Duration::from_millis(50),
        }
    );
    assert_eq!(
        err.to_string(),
        "timed out after 50ms waiting for event `never`"
    );
    let err = client.emit_with_ack::<()>("silent", &()).await.unwrap_err();
    assert!(
        matches!(&err, TestError::Timeout { waiting_for, .. } if waiting_for == "ack of `silent`"),
        "{err:?}"
    );
    let err = client.disconnected().await.unwrap_err();
    assert!(matches!(err, TestError::Timeout { .. }), "{err:?}");

    client.set_timeout(Duration::from_millis(20));
    assert_eq!(client.timeout(), Duration::from_millis(20));
    assert!(matches!(
        client.next_any().await.unwrap_err(),
        TestError::Timeout { after, .. } if after == Duration::from_millis(20)
    ));
}

#[tokio::test]
async fn connecting_times_out_when_the_server_never_answers() {
    let io = SocketIo::builder().build().unwrap();
    io.of("/").on_connect(async || {
        std::future::pending::<()>().await;
    });
    let err = TestClient::builder()
        .timeout(Duration::from_millis(50))
        .connect(&io)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TestError::Timeout {
            waiting_for: "connection to namespace `/`".into(),
            after: Duration::from_millis(50),
        }
    );
}

#[tokio::test]
async fn the_event_buffer_is_bounded() {
    let io = echo_server();
    let client = TestClient::builder()
        .max_buffered_events(4)
        .connect(&io)
        .await
        .unwrap();
    // 10 ticks and `done` arrive unread: 4 are kept, the rest dropped.
    let () = client.emit_with_ack("burst", &10).await.unwrap();
    let err = client.next_event::<u32>("done").await.unwrap_err();
    assert_eq!(err, TestError::BufferFull { limit: 4 });
}

#[tokio::test]
async fn a_router_with_a_custom_path() {
    let io = SocketIo::builder().path("/rt/").build().unwrap();
    io.of("/").on("add", async |a: i64, b: i64| a + b);
    let app = io.router();
    // `connect(&io)` knows the path; a router needs to be told.
    let client = TestClient::builder()
        .path("/rt/")
        .connect_router(app)
        .await
        .unwrap();
    assert_eq!(
        client.emit_with_ack::<i64>("add", &(1, 2)).await.unwrap(),
        3
    );
    let client = TestClient::connect(&io).await.unwrap();
    assert_eq!(
        client.emit_with_ack::<i64>("add", &(3, 4)).await.unwrap(),
        7
    );
}

#[tokio::test]
async fn over_loopback_tcp() {
    let io = echo_server();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, mut peers) = mpsc::unbounded_channel();
    io.of("/").on_connect(move |hs: Handshake| {
        let tx = tx.clone();
        async move { tx.send(hs.remote_addr()).unwrap() }
    });
    let app = io.router();
    tokio::spawn(async move { socketio::serve(listener, app).await });

    let client = TestClient::connect_tcp(addr).await.unwrap();
    let peer = peers.recv().await.unwrap().unwrap();
    assert!(peer.ip().is_loopback());
    let (rev, _len): (Bytes, usize) = client
        .emit_with_ack("bytes", &Bytes::from_static(b"ab"))
        .await
        .unwrap();
    assert_eq!(&rev[..], b"ba");
    client.emit("kick", &()).await.unwrap();
    assert_eq!(
        client.disconnected().await.unwrap(),
        Disconnect::ServerDisconnect
    );
}

#[tokio::test]
async fn tcp_connection_refused_is_a_handshake_error() {
    // A port nobody listens on: bind one, then free it.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = TestClient::connect_tcp(addr).await.unwrap_err();
    assert!(
        matches!(err, TestError::Handshake { status: None, .. }),
        "{err:?}"
    );
}

/// Pings are answered while the test does nothing: with a 50 ms ping interval and a 50 ms
/// timeout, a client that did not answer would be gone after 100 ms. The clock is tokio's
/// paused clock, so the second of "idle" costs no real time; the sleep is what is tested.
#[tokio::test(start_paused = true)]
async fn pings_are_answered_while_idle() {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_millis(50))
        .ping_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    io.of("/").on("add", async |a: i64, b: i64| a + b);
    let mut reasons = reporting(&io);
    let client = TestClient::connect(&io).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(reasons.try_recv().is_err());
    assert_eq!(
        client.emit_with_ack::<i64>("add", &(1, 1)).await.unwrap(),
        2
    );
}

#[tokio::test]
async fn a_tcp_peer_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts, reads nothing, answers nothing.
    let held = tokio::spawn(async move { listener.accept().await.map(|(s, _)| s) });
    let err = TestClient::builder()
        .timeout(Duration::from_millis(100))
        .connect_tcp(addr)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TestError::Timeout {
            waiting_for: "connection to namespace `/`".into(),
            after: Duration::from_millis(100),
        }
    );
    drop(held.await);
}
