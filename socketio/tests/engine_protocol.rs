//! Engine.IO v4 server behaviour, byte for byte (conformance.md §2, E1–E17), plus limits,
//! CORS, cookie, compression, transport restriction and shutdown.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::future::IntoFuture as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use socketio::engine::{
    CloseReason, Cookie, Cors, Engine, EngineConfig, EngineConn, EngineHandler, Frame, Message,
    SendError, Transport,
};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_tungstenite::tungstenite::{self, Message as Ws};
use tower::ServiceExt;

// ---------------------------------------------------------------- echo handler

struct Echo {
    opened: UnboundedSender<EngineConn>,
    closed: UnboundedSender<(String, CloseReason)>,
    received: Mutex<Vec<Message>>,
    flood_results: Mutex<Vec<Result<(), SendError>>>,
}

impl EngineHandler for Echo {
    type State = usize;

    fn on_open(&self, conn: &EngineConn) -> usize {
        let _ = self.opened.send(conn.clone());
        0
    }

    fn on_message(&self, count: &mut usize, conn: &EngineConn, msg: Message) {
        *count += 1;
        self.received.lock().unwrap().push(msg.clone());
        match msg {
            Message::Text(t) => {
                if let Some(n) = t.strip_prefix("flood:") {
                    let n: usize = n.parse().unwrap();
                    let mut results = self.flood_results.lock().unwrap();
                    for _ in 0..n {
                        results.push(conn.send(Frame::Text(Bytes::from_static(b"4x"))));
                    }
                } else {
                    let _ = conn.send(Frame::Text(Bytes::from(format!("4{t}"))));
                }
            }
            Message::Binary(b) => {
                let _ = conn.send(Frame::Binary(b));
            }
        }
    }

    fn on_close(&self, _count: &mut usize, conn: &EngineConn, reason: CloseReason) {
        let _ = self.closed.send((conn.sid().to_owned(), reason));
    }
}

struct Bed {
    engine: Engine<Echo>,
    app: Router,
    opened: tokio::sync::Mutex<UnboundedReceiver<EngineConn>>,
    closed: tokio::sync::Mutex<UnboundedReceiver<(String, CloseReason)>>,
}

fn test_config() -> EngineConfig {
    let mut cfg = EngineConfig::default();
    cfg.ping_interval = Duration::from_millis(300);
    cfg.ping_timeout = Duration::from_millis(200);
    cfg
}

fn bed(config: EngineConfig) -> Bed {
    let (otx, opened) = unbounded_channel();
    let (ctx, closed) = unbounded_channel();
    let echo = Echo {
        opened: otx,
        closed: ctx,
        received: Mutex::new(Vec::new()),
        flood_results: Mutex::new(Vec::new()),
    };
    let engine = Engine::new(config, echo);
    let app = socketio::router::mount(Router::new(), "/engine.io/", engine.clone());
    Bed {
        engine,
        app,
        opened: tokio::sync::Mutex::new(opened),
        closed: tokio::sync::Mutex::new(closed),
    }
}

impl Bed {
    async fn serve(&self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(socketio::serve(listener, self.app.clone()).into_future());
        addr
    }

    async fn req(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let resp = self
            .app
            .clone()
            .oneshot(b.body(body.into()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, uri: &str) -> Resp {
        self.req("GET", uri, &[], Body::empty()).await
    }

    async fn post(&self, uri: &str, body: &'static [u8]) -> Resp {
        self.req("POST", uri, &[], Body::from(body)).await
    }

    async fn handshake(&self) -> String {
        let r = self.get("/engine.io/?EIO=4&transport=polling").await;
        assert_eq!(r.status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_slice(&r.body[1..]).unwrap();
        v["sid"].as_str().unwrap().to_owned()
    }

    async fn next_close(&self) -> (String, CloseReason) {
        let mut rx = self.closed.lock().await;
        tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap()
    }

    async fn next_open(&self) -> EngineConn {
        let mut rx = self.opened.lock().await;
        tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap()
    }

    /// Start a GET that stays pending, and wait until the server has it.
    fn spawn_get(self: &Arc<Self>, sid: &str) -> tokio::task::JoinHandle<Resp> {
        let b = Arc::clone(self);
        let uri = poll_uri(sid);
        tokio::spawn(async move { b.get(&uri).await })
    }

    fn received(&self) -> Vec<Message> {
        self.engine.handler().received.lock().unwrap().clone()
    }
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Resp {
    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

fn poll_uri(sid: &str) -> String {
    format!("/engine.io/?EIO=4&transport=polling&sid={sid}")
}

type WsClient =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws_connect(addr: SocketAddr, query: &str) -> WsClient {
    let url = format!("ws://{addr}/engine.io/?{query}");
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

async fn ws_next(ws: &mut WsClient) -> Option<Ws> {
    tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap()
        .and_then(Result::ok)
}

async fn ws_text(ws: &mut WsClient) -> String {
    match ws_next(ws).await {
        Some(Ws::Text(t)) => t.as_str().to_owned(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// Waits for the server to close the socket; returns the close code if a close frame came.
async fn ws_closed(ws: &mut WsClient) -> Option<u16> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Ws::Close(f))) => return f.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

fn assert_handshake(text: &str, upgrades: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&text[1..]).unwrap();
    let sid = v["sid"].as_str().unwrap().to_owned();
    assert_eq!(text.as_bytes()[0], b'0');
    assert_eq!(
        text,
        format!(
            r#"0{{"sid":"{sid}","upgrades":{upgrades},"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}}"#
        )
    );
    assert_eq!(sid.len(), 22, "16 random bytes in base64url");
    sid
}

// ---------------------------------------------------------------- E1–E4: handshake, validation

#[tokio::test]
async fn e1_polling_handshake() {
    let b = bed(test_config());
    let r = b.get("/engine.io/?EIO=4&transport=polling").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
    let sid = assert_handshake(r.text(), r#"["websocket"]"#);
    assert_ne!(sid, b.handshake().await, "sids are unique");
    assert_eq!(b.engine.connection_count(), 2);
}

#[tokio::test]
async fn e2_websocket_handshake() {
    let b = bed(test_config());
    let addr = b.serve().await;
    let mut ws = ws_connect(addr, "EIO=4&transport=websocket").await;
    let sid = assert_handshake(&ws_text(&mut ws).await, "[]");
    let conn = b.next_open().await;
    assert_eq!(conn.sid(), sid);
    assert_eq!(conn.transport(), Transport::Websocket);
    assert_eq!(conn.request().remote_addr.map(|a| a.ip()), Some(addr.ip()));
    assert_eq!(conn.request().query("EIO").as_deref(), Some("4"));
}

#[tokio::test]
async fn websocket_ping_frame_is_answered_and_batched_messages_keep_their_order() {
    let b = bed({
        let mut cfg = test_config();
        cfg.ping_interval = Duration::from_secs(10);
        cfg
    });
    let addr = b.serve().await;
    let mut ws = ws_connect(addr, "EIO=4&transport=websocket").await;
    ws_text(&mut ws).await;
    // A WebSocket ping gets its pong at once, with nothing else to write alongside it
    // (the next heartbeat, which would also flush it, is 10 s away).
    ws.send(Ws::Ping(Bytes::from_static(b"hi"))).await.unwrap();
    match ws_next(&mut ws).await {
        Some(Ws::Pong(p)) => assert_eq!(&p[..], b"hi"),
        other => panic!("expected a pong, got {other:?}"),
    }
    // Messages that arrive together are read in one go; their replies keep the order.
    for i in 0..100 {
        ws.feed(Ws::text(format!("4m{i}"))).await.unwrap();
    }
    ws.flush().await.unwrap();
    let mut i = 0;
    while i < 100 {
        let t = ws_text(&mut ws).await;
        if t == "2" {
            ws.send(Ws::text("3")).await.unwrap();
            continue;
        }
        assert_eq!(t, format!("4m{i}"));
        i += 1;
    }
}

async fn assert_error(r: Resp, code: u8, message: &str) {
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.text(),
        format!(r#"{{"code":{code},"message":"{message}"}}"#)
    );
}

#[tokio::test]
async fn e3_e4_query_and_method_validation() {
    let b = bed(test_config());
    let unsupported = "Unsupported protocol version";
    assert_error(b.get("/engine.io/?transport=polling").await, 5, unsupported).await;
    assert_error(
        b.get("/engine.io/?EIO=abc&transport=polling").await,
        5,
        unsupported,
    )
    .await;
    assert_error(
        b.get("/engine.io/?EIO=3&transport=polling").await,
        5,
        unsupported,
    )
    .await;
    assert_error(b.get("/engine.io/?EIO=4").await, 0, "Transport unknown").await;
    assert_error(
        b.get("/engine.io/?EIO=4&transport=abc").await,
        0,
        "Transport unknown",
    )
    .await;
    let bad_method = "Bad handshake method";
    assert_error(
        b.post("/engine.io/?EIO=4&transport=polling", b"").await,
        2,
        bad_method,
    )
    .await;
    let r = b
        .req(
            "PUT",
            "/engine.io/?EIO=4&transport=polling",
            &[],
            Body::empty(),
        )
        .await;
    assert_error(r, 2, bad_method).await;
    assert_error(b.get(&poll_uri("nope")).await, 1, "Session ID unknown").await;
    // A WebSocket handshake without the upgrade headers.
    let r = b.get("/engine.io/?EIO=4&transport=websocket").await;
    assert_error(r, 3, "Bad request").await;
    // Another method on a live session.
    let sid = b.handshake().await;
    let r = b.req("PUT", &poll_uri(&sid), &[], Body::empty()).await;
    assert_error(r, 3, "Bad request").await;
    // Without the trailing slash the engine answers too.
    assert_eq!(
        b.get("/engine.io?EIO=4&transport=polling").await.status,
        StatusCode::OK
    );
    assert_eq!(b.engine.connection_count(), 2);
}

#[tokio::test]
async fn e5_websocket_with_bad_query_is_refused() {
    let b = bed(test_config());
    let addr = b.serve().await;
    for q in [
        "EIO=3&transport=websocket",
        "transport=websocket",
        "EIO=4&transport=abc",
    ] {
        let url = format!("ws://{addr}/engine.io/?{q}");
        match tokio_tungstenite::connect_async(url).await {
            Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 400),
            other => panic!("expected 400 for {q}, got {other:?}"),
        }
    }
    assert_eq!(b.engine.connection_count(), 0);
}

// ---------------------------------------------------------------- E6–E9: polling

#[tokio::test]
async fn e6_e7_post_ok_and_get_drains_queue() {
    let b = bed(test_config());
    let sid = b.handshake().await;
    let r = b.post(&poll_uri(&sid), b"4hello").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text(), "ok");
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(b.get(&poll_uri(&sid)).await.text(), "4hello");

    assert_eq!(
        b.post(&poll_uri(&sid), b"4test1\x1e4test2\x1e4test3")
            .await
            .text(),
        "ok"
    );
    assert_eq!(
        b.get(&poll_uri(&sid)).await.text(),
        "4test1\x1e4test2\x1e4test3"
    );

    assert_eq!(
        b.post(&poll_uri(&sid), b"4hello\x1ebAQIDBA==").await.text(),
        "ok"
    );
    assert_eq!(b.get(&poll_uri(&sid)).await.text(), "4hello\x1ebAQIDBA==");
    assert_eq!(
        b.received()[4..],
        [
            Message::Text("hello".into()),
            Message::Binary(Bytes::from_static(&[1, 2, 3, 4]))
        ]
    );
}

#[tokio::test]
async fn e7_pending_get_is_woken_by_a_message() {
    let b = Arc::new(bed(test_config()));
    let sid = b.handshake().await;
    let get = b.spawn_get(&sid);
    tokio::time::sleep(Duration::from_millis(20)).await; // let the GET start waiting
    assert_eq!(b.post(&poll_uri(&sid), b"4late").await.text(), "ok");
    assert_eq!(get.await.unwrap().text(), "4late");
}

#[tokio::test]
async fn e8_invalid_packet_closes_the_session() {
    let b = bed(test_config());
    let sid = b.handshake().await;
    let other = b.handshake().await;
    let r = b.post(&poll_uri(&sid), b"abc").await;
    assert_error(r, 3, "Bad request").await;
    assert_eq!(b.get(&poll_uri(&sid)).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.next_close().await, (sid, CloseReason::ParseError));
    // The other session is untouched.
    assert_eq!(b.post(&poll_uri(&other), b"4still").await.text(), "ok");
    assert_eq!(b.get(&poll_uri(&other)).await.text(), "4still");
    // Valid packets before the invalid one are not delivered either.
    let sid = b.handshake().await;
    let r = b.post(&poll_uri(&sid), b"4first\x1ebnot base64!").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.received(), [Message::Text("still".into())]);
}

#[tokio::test]
async fn e9_duplicate_get_closes_the_session() {
    let b = Arc::new(bed(test_config()));
    let sid = b.handshake().await;
    let first = b.spawn_get(&sid);
    tokio::time::sleep(Duration::from_millis(5)).await; // as the suite does
    let second = b.get(&poll_uri(&sid)).await;
    assert_error(second, 3, "Bad request").await;
    let first = first.await.unwrap();
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.text(), "1");
    assert_eq!(b.get(&poll_uri(&sid)).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.next_close().await, (sid, CloseReason::TransportError));
}

#[tokio::test]
async fn overlapping_post_is_refused() {
    let b = Arc::new(bed(test_config()));
    let sid = b.handshake().await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let stream = tokio_stream_from(rx);
    let first = tokio::spawn({
        let b = Arc::clone(&b);
        let uri = poll_uri(&sid);
        async move { b.req("POST", &uri, &[], Body::from_stream(stream)).await }
    });
    tx.send(Ok(Bytes::from_static(b"4par"))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await; // let the first POST start reading
    let second = b.post(&poll_uri(&sid), b"4two").await;
    assert_error(second, 3, "Bad request").await;
    drop(tx);
    let _ = first.await.unwrap();
    assert_eq!(b.next_close().await, (sid, CloseReason::TransportError));
    assert!(
        b.received().is_empty(),
        "nothing of the overlapping POST is delivered"
    );
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

// ---------------------------------------------------------------- E10–E12: heartbeat, close

#[tokio::test]
async fn e10_polling_heartbeat() {
    let b = bed(test_config());
    let sid = b.handshake().await;
    for _ in 0..3 {
        let started = tokio::time::Instant::now();
        let r = b.get(&poll_uri(&sid)).await;
        assert_eq!(r.text(), "2");
        assert!(started.elapsed() >= Duration::from_millis(250));
        assert_eq!(b.post(&poll_uri(&sid), b"3").await.text(), "ok");
    }
    assert_eq!(b.engine.connection_count(), 1);
}

#[tokio::test]
async fn e11_polling_ping_timeout_is_exact() {
    let b = bed(test_config());
    let started = tokio::time::Instant::now();
    let sid = b.handshake().await;
    assert_eq!(
        b.next_close().await,
        (sid.clone(), CloseReason::PingTimeout)
    );
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(600), "{elapsed:?}");
    assert_eq!(b.get(&poll_uri(&sid)).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.engine.connection_count(), 0);
}

#[tokio::test]
async fn e12_polling_client_close() {
    let b = Arc::new(bed(test_config()));
    let sid = b.handshake().await;
    let pending = b.spawn_get(&sid);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(b.post(&poll_uri(&sid), b"1").await.text(), "ok");
    let pending = pending.await.unwrap();
    assert_eq!((pending.status, pending.text()), (StatusCode::OK, "6"));
    assert_eq!(
        b.next_close().await,
        (sid.clone(), CloseReason::TransportClose)
    );
    assert_eq!(b.get(&poll_uri(&sid)).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn e12_close_before_the_poll_arrives() {
    // The suite fires the GET and the POST `1` together; the POST may win.
    let b = bed(test_config());
    let sid = b.handshake().await;
    assert_eq!(b.post(&poll_uri(&sid), b"1").await.text(), "ok");
    assert_eq!(
        b.next_close().await,
        (sid.clone(), CloseReason::TransportClose)
    );
    let late = b.get(&poll_uri(&sid)).await;
    assert_eq!((late.status, late.text()), (StatusCode::OK, "6"));
    assert_eq!(b.get(&poll_uri(&sid)).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        b.post(&poll_uri(&sid), b"4x").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn client_ping_is_an_error() {
    let b = bed(test_config());
    let sid = b.handshake().await;
    assert_eq!(
        b.post(&poll_uri(&sid), b"2").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(b.next_close().await, (sid, CloseReason::TransportError));
}

#[tokio::test]
async fn websocket_heartbeat_timeout_and_close() {
    let b = bed(test_config());
    let addr = b.serve().await;
    // E10: three ping/pong cycles.
    let mut ws = ws_connect(addr, "EIO=4&transport=websocket").await;
    let sid = assert_handshake(&ws_text(&mut ws).await, "[]");
    for _ in 0..3 {
        assert_eq!(ws_text(&mut ws).await, "2");
        ws.send(Ws::text("3")).await.unwrap();
    }
    // E12: client close.
    ws.send(Ws::text("1")).await.unwrap();
    assert!(ws_closed(&mut ws).await.is_some());
    assert_eq!(b.next_close().await, (sid, CloseReason::TransportClose));
    // E11: no pong.
    let mut ws = ws_connect(addr, "EIO=4&transport=websocket").await;
    let sid = assert_handshake(&ws_text(&mut ws).await, "[]");
    assert_eq!(ws_text(&mut ws).await, "2");
    assert!(ws_closed(&mut ws).await.is_some());
    assert_eq!(b.next_close().await, (sid, CloseReason::PingTimeout));
}

// ---------------------------------------------------------------- E13–E17: upgrade, websocket

#[tokio::test]
async fn e13_upgrade() {
    let b = bed(test_config());
    let addr = b.serve().await;
    let sid = b.handshake().await;
    let mut ws = ws_connect(addr, &format!("EIO=4&transport=websocket&sid={sid}")).await;
    ws.send(Ws::text("2probe")).await.unwrap();
    assert_eq!(
        ws_text(&mut ws).await,
        "3probe",
        "no handshake on an upgrading socket"
    );
    let started = tokio::time::Instant::now();
    let r = b.get(&poll_uri(&sid)).await;
    assert_eq!((r.status, r.text()), (StatusCode::OK, "6"));
    assert!(started.elapsed() < Duration::from_millis(100));
    ws.send(Ws::text("5")).await.unwrap();
    ws.send(Ws::text("4hello")).await.unwrap();
    assert_eq!(ws_text(&mut ws).await, "4hello");
    let conn = b.next_open().await;
    assert_eq!(conn.transport(), Transport::Websocket);
    assert_eq!(b.engine.connection_count(), 1);
}

#[tokio::test]
async fn e13_pending_get_released_by_probe() {
    let b = Arc::new(bed(test_config()));
    let addr = b.serve().await;
    let sid = b.handshake().await;
    let pending = b.spawn_get(&sid);
    let mut ws = ws_connect(addr, &format!("EIO=4&transport=websocket&sid={sid}")).await;
    ws.send(Ws::text("2probe")).await.unwrap();
    assert_eq!(ws_text(&mut ws).await, "3probe");
    assert_eq!(pending.await.unwrap().text(), "6");
}

#[tokio::test]
async fn e14_e15_after_upgrade() {
    let b = bed(test_config());
    let addr = b.serve().await;
    let sid = b.handshake().await;
    let query = format!("EIO=4&transport=websocket&sid={sid}");
    let mut ws = ws_connect(addr, &query).await;
    ws.send(Ws::text("2probe")).await.unwrap();
    ws.send(Ws::text("5")).await.unwrap();
    assert_eq!(ws_text(&mut ws).await, "3probe");
    // Once an echo proves `5` was handled (the suite relies on TCP timing instead):
    ws.send(Ws::text("4sync")).await.unwrap();
    assert_eq!(ws_text(&mut ws).await, "4sync");
    // E14: polling on an upgraded sid.
    assert_error(b.get(&poll_uri(&sid)).await, 3, "Bad request").await;
    // E15: a second WebSocket for the sid is closed at once; the first keeps working.
    let mut second = ws_connect(addr, &query).await;
    assert_eq!(ws_closed(&mut second).await, Some(1000));
    ws.send(Ws::text("4hello")).await.unwrap();
    assert_eq!(ws_text(&mut ws).await, "4hello");
    // The heartbeat carries on over the WebSocket.
    assert_eq!(ws_text(&mut ws).await, "2");
}

#[tokio::test]
async fn upgrade_timeout_keeps_polling() {
    let mut config = test_config();
    config.upgrade_timeout = Duration::from_millis(100);
    let b = bed(config);
    let addr = b.serve().await;
    let sid = b.handshake().await;
    let mut ws = ws_connect(addr, &format!("EIO=4&transport=websocket&sid={sid}")).await;
    assert!(
        ws_closed(&mut ws).await.is_some(),
        "closed after upgrade_timeout"
    );
    assert_eq!(b.post(&poll_uri(&sid), b"4poll").await.text(), "ok");
    assert_eq!(b.get(&poll_uri(&sid)).await.text(), "4poll");
}

#[tokio::test]
async fn e16_websocket_echo() {
    let b = bed(test_config());
    let addr = b.serve().await;
    let mut ws = ws_connect(addr, "EIO=4&transport=websocket").await;
    ws_text(&mut ws).await;
    ws.send(Ws::text("4hello")).await.unwrap();
    assert_eq!(ws_text(&mut ws).await, "4hello");
    ws.send(Ws::binary(vec![1u8, 2, 3, 4])).await.unwrap();
    match ws_next(&mut ws).await {
        Some(Ws::Binary(data)) => assert_eq!(&data[..], &[1, 2, 3, 4]),
        other => panic!("expected binary, got {other:?}"),
    }
}

#[tokio::test]
async fn e17_invalid_packet_on_websocket() {
    let b = bed(test_config());
    let addr = b.serve().await;
    let mut ws = ws_connect(addr, "EIO=4&transport=websocket").await;
    let sid = assert_handshake(&ws_text(&mut ws).await, "[]");
    let mut other = ws_connect(addr, "EIO=4&transport=websocket").await;
    ws_text(&mut other).await;
    ws.send(Ws::text("abc")).await.unwrap();
    assert!(ws_closed(&mut ws).await.is_some());
    assert_eq!(b.next_close().await, (sid, CloseReason::ParseError));
    other.send(Ws::text("4ok")).await.unwrap();
    assert_eq!(ws_text(&mut other).await, "4ok");
}

// ---------------------------------------------------------------- limits

#[tokio::test]
async fn post_over_max_payload_is_413() {
    let mut config = test_config();
    config.max_payload = 10;
    let b = bed(config);
    let sid = b.handshake().await;
    // Exactly max_payload is accepted.
    assert_eq!(b.post(&poll_uri(&sid), b"4123456789").await.text(), "ok");
    assert_eq!(b.get(&poll_uri(&sid)).await.text(), "4123456789");
    // max_payload + 1 is refused, and the session closes.
    let r = b.post(&poll_uri(&sid), b"41234567890").await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(b.get(&poll_uri(&sid)).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.next_close().await, (sid, CloseReason::TransportError));
    // Also without Content-Length (streamed body).
    let sid = b.handshake().await;
    let stream = futures_util::stream::iter([
        Ok::<_, std::io::Error>(Bytes::from_static(b"412345")),
        Ok(Bytes::from_static(b"67890")),
    ]);
    let r = b
        .req("POST", &poll_uri(&sid), &[], Body::from_stream(stream))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(b.next_close().await, (sid, CloseReason::TransportError));
    assert_eq!(
        b.received(),
        [Message::Text("123456789".into())],
        "nothing over the limit"
    );
}

#[tokio::test]
async fn websocket_over_max_payload_is_1009() {
    let mut config = test_config();
    config.max_payload = 10;
    let b = bed(config);
    let addr = b.serve().await;
    for (msg, expect_echo) in [
        (Ws::text("4123456789"), true),
        (Ws::binary(vec![7u8; 10]), true),
        (Ws::text("41234567890"), false),
        (Ws::binary(vec![7u8; 11]), false),
        (Ws::binary(vec![7u8; 5000]), false),
    ] {
        let mut ws = ws_connect(addr, "EIO=4&transport=websocket").await;
        ws_text(&mut ws).await;
        ws.send(msg.clone()).await.unwrap();
        if expect_echo {
            let echoed = ws_next(&mut ws).await.unwrap();
            assert_eq!(echoed.len(), msg.len());
        } else {
            assert_eq!(ws_closed(&mut ws).await, Some(1009), "{} bytes", msg.len());
            assert_eq!(b.next_close().await.1, CloseReason::TransportError);
        }
    }
    assert_eq!(
        b.received().len(),
        2,
        "nothing over the limit reached the handler"
    );
}

#[tokio::test]
async fn queue_bound_closes_slow_connection() {
    let mut config = test_config();
    config.max_buffered_frames = 8;
    let b = bed(config);
    let sid = b.handshake().await;
    // The echo handler sends N frames from inside on_message. 8 fit.
    assert_eq!(b.post(&poll_uri(&sid), b"4flood:8").await.text(), "ok");
    assert_eq!(b.get(&poll_uri(&sid)).await.text(), ["4x"; 8].join("\x1e"));
    // 9 (max + 1) do not: the ninth fails with Full and the connection closes.
    assert_eq!(b.post(&poll_uri(&sid), b"4flood:9").await.text(), "ok");
    let results = b.engine.handler().flood_results.lock().unwrap().clone();
    assert!(results[..16].iter().all(Result::is_ok));
    assert_eq!(results[16], Err(SendError::Full));
    assert_eq!(b.next_close().await, (sid, CloseReason::SendBufferFull));
}

#[tokio::test]
async fn send_many_is_all_or_nothing() {
    let b = bed({
        let mut cfg = test_config();
        cfg.max_buffered_frames = 3;
        cfg
    });
    let _sid = b.handshake().await;
    let conn = b.next_open().await;
    let f = Frame::Text(Bytes::from_static(b"4a"));
    assert_eq!(conn.send_many(&[f.clone(), f.clone()]), Ok(()));
    assert_eq!(
        conn.send_many(&[f.clone(), f.clone()]),
        Err(SendError::Full)
    );
    assert!(conn.is_closed());
    assert_eq!(conn.send(f), Err(SendError::Closed));
    assert_eq!(b.next_close().await.1, CloseReason::SendBufferFull);
}

#[tokio::test]
async fn server_close_releases_pending_get_with_close_packet() {
    let b = Arc::new(bed(test_config()));
    let sid = b.handshake().await;
    let conn = b.next_open().await;
    let pending = b.spawn_get(&sid);
    tokio::time::sleep(Duration::from_millis(20)).await;
    conn.close(CloseReason::ForcedClose);
    assert_eq!(pending.await.unwrap().text(), "1");
    assert_eq!(b.next_close().await, (sid, CloseReason::ForcedClose));
}

// ---------------------------------------------------------------- CORS, cookie, compression

#[tokio::test]
async fn cors_same_origin_by_default() {
    let b = bed(test_config());
    let hs = "/engine.io/?EIO=4&transport=polling";
    let r = b
        .req(
            "GET",
            hs,
            &[("origin", "http://evil.com"), ("host", "a.com")],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.text(), r#""http://evil.com is not an accepted origin.""#);
    let r = b
        .req(
            "GET",
            hs,
            &[("origin", "http://a.com"), ("host", "a.com")],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://a.com")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    // No Origin: no CORS headers, allowed.
    let r = b.get(hs).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(b.engine.connection_count(), 2);
}

#[tokio::test]
async fn cors_policies_and_preflight() {
    let hs = "/engine.io/?EIO=4&transport=polling";
    let list = Cors::List(vec!["http://ok.com".into()]);
    let b = bed({
        let mut cfg = test_config();
        cfg.cors = list;
        cfg.cors_credentials = false;
        cfg
    });
    let r = b
        .req("GET", hs, &[("origin", "http://ok.com")], Body::empty())
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://ok.com")
    );
    assert_eq!(r.header("access-control-allow-credentials"), None);
    let r = b
        .req("GET", hs, &[("origin", "http://no.com")], Body::empty())
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let pre = [
        ("origin", "http://ok.com"),
        ("access-control-request-headers", "x-a"),
    ];
    let r = b.req("OPTIONS", hs, &pre, Body::empty()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("OPTIONS, GET, POST")
    );
    assert_eq!(r.header("access-control-allow-headers"), Some("x-a"));

    let b = bed({
        let mut cfg = test_config();
        cfg.cors = Cors::Any;
        cfg
    });
    let r = b
        .req("GET", hs, &[("origin", "http://x.org")], Body::empty())
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://x.org")
    );

    let pred = Cors::Predicate(Arc::new(|o: &str| o.ends_with(".good")));
    let b = bed({
        let mut cfg = test_config();
        cfg.cors = pred;
        cfg
    });
    let ok = b
        .req("GET", hs, &[("origin", "http://a.good")], Body::empty())
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let bad = b
        .req("GET", hs, &[("origin", "http://a.bad")], Body::empty())
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let b = bed({
        let mut cfg = test_config();
        cfg.cors = Cors::Disabled;
        cfg
    });
    let r = b
        .req("GET", hs, &[("origin", "http://x.org")], Body::empty())
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn cors_refuses_websocket_from_other_origin() {
    let b = bed(test_config());
    let addr = b.serve().await;
    let mut req = tungstenite::client::IntoClientRequest::into_client_request(format!(
        "ws://{addr}/engine.io/?EIO=4&transport=websocket"
    ))
    .unwrap();
    req.headers_mut()
        .insert("origin", "http://evil.com".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 400),
        other => panic!("expected 400, got {other:?}"),
    }
}

#[tokio::test]
async fn sticky_cookie() {
    let b = bed({
        let mut cfg = test_config();
        cfg.cookie = Some(Cookie::default());
        cfg
    });
    let r = b.get("/engine.io/?EIO=4&transport=polling").await;
    let v: serde_json::Value = serde_json::from_slice(&r.body[1..]).unwrap();
    let sid = v["sid"].as_str().unwrap();
    assert_eq!(
        r.header("set-cookie"),
        Some(format!("io={sid}; Path=/; HttpOnly; SameSite=Lax").as_str())
    );
    let b = bed(test_config());
    assert_eq!(
        b.get("/engine.io/?EIO=4&transport=polling")
            .await
            .header("set-cookie"),
        None
    );
}

#[tokio::test]
async fn polling_compression() {
    use std::io::Read;
    let b = bed({
        let mut cfg = test_config();
        cfg.compression_threshold = Some(100);
        cfg
    });
    let sid = b.handshake().await;
    let big = format!("4{}", "a".repeat(99)); // exactly the threshold
    b.req("POST", &poll_uri(&sid), &[], Body::from(big.clone()))
        .await;
    let r = b
        .req(
            "GET",
            &poll_uri(&sid),
            &[("accept-encoding", "gzip, deflate")],
            Body::empty(),
        )
        .await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let mut out = String::new();
    flate2::read::GzDecoder::new(&r.body[..])
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, big);

    b.req("POST", &poll_uri(&sid), &[], Body::from(big.clone()))
        .await;
    let r = b
        .req(
            "GET",
            &poll_uri(&sid),
            &[("accept-encoding", "deflate")],
            Body::empty(),
        )
        .await;
    assert_eq!(r.header("content-encoding"), Some("deflate"));
    let mut out = String::new();
    flate2::read::ZlibDecoder::new(&r.body[..])
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, big);

    // Below the threshold, or not accepted: plain.
    b.post(&poll_uri(&sid), b"4small").await;
    let r = b
        .req(
            "GET",
            &poll_uri(&sid),
            &[("accept-encoding", "gzip")],
            Body::empty(),
        )
        .await;
    assert_eq!((r.header("content-encoding"), r.text()), (None, "4small"));
    b.req("POST", &poll_uri(&sid), &[], Body::from(big.clone()))
        .await;
    let r = b
        .req(
            "GET",
            &poll_uri(&sid),
            &[("accept-encoding", "gzip;q=0")],
            Body::empty(),
        )
        .await;
    assert_eq!(
        (r.header("content-encoding"), r.text()),
        (None, big.as_str())
    );
}

// ---------------------------------------------------------------- transports, shutdown

#[tokio::test]
async fn transports_restriction() {
    let b = bed({
        let mut cfg = test_config();
        cfg.polling = false;
        cfg
    });
    let r = b.get("/engine.io/?EIO=4&transport=polling").await;
    assert_error(r, 0, "Transport unknown").await;

    let b = bed({
        let mut cfg = test_config();
        cfg.websocket = false;
        cfg
    });
    let r = b.get("/engine.io/?EIO=4&transport=polling").await;
    assert!(r.text().contains(r#""upgrades":[]"#));
    let addr = b.serve().await;
    assert!(
        tokio_tungstenite::connect_async(format!(
            "ws://{addr}/engine.io/?EIO=4&transport=websocket"
        ))
        .await
        .is_err()
    );

    let b = bed({
        let mut cfg = test_config();
        cfg.allow_upgrades = false;
        cfg
    });
    let r = b.get("/engine.io/?EIO=4&transport=polling").await;
    assert!(r.text().contains(r#""upgrades":[]"#));
    let v: serde_json::Value = serde_json::from_slice(&r.body[1..]).unwrap();
    let addr = b.serve().await;
    let query = format!(
        "EIO=4&transport=websocket&sid={}",
        v["sid"].as_str().unwrap()
    );
    let mut ws = ws_connect(addr, &query).await;
    assert_eq!(ws_closed(&mut ws).await, Some(1000), "upgrade refused");
    let sid = v["sid"].as_str().unwrap();
    assert_eq!(b.post(&poll_uri(sid), b"4still polling").await.text(), "ok");
}

#[tokio::test]
async fn shutdown_closes_everything() {
    let b = bed(test_config());
    let addr = b.serve().await;
    let polling = b.handshake().await;
    let mut ws = ws_connect(addr, "EIO=4&transport=websocket").await;
    let ws_sid = assert_handshake(&ws_text(&mut ws).await, "[]");
    b.next_open().await;
    b.next_open().await;
    assert_eq!(b.engine.connection_count(), 2);
    b.engine.shutdown().await;
    assert_eq!(b.engine.connection_count(), 0);
    let mut closed = [b.next_close().await, b.next_close().await];
    closed.sort_by(|x, y| x.0.cmp(&y.0));
    let mut expected = vec![polling, ws_sid];
    expected.sort();
    let reasons = [CloseReason::ServerShuttingDown; 2];
    assert_eq!(
        closed.iter().map(|c| c.0.clone()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(closed.iter().map(|c| c.1).collect::<Vec<_>>(), reasons);
    assert!(ws_closed(&mut ws).await.is_some());
    let r = b.get("/engine.io/?EIO=4&transport=polling").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
}
