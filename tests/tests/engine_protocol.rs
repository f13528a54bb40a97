//! The Engine.IO layer beyond the conformance cases (those are `conformance_engine.rs`,
//! E1–E17 against this same engine): websocket control frames, overlapping requests, limits
//! at the bound and + 1, CORS, cookie, compression, transport restriction and shutdown. The
//! engine is the harness's [`EchoEngine`], driven in-process (`oneshot`) or over a socket.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::StatusCode;
use socketio::engine::{CloseReason, Cookie, Cors, EngineConfig, Frame, Message, SendError};
use socketio_tests::{
    AppResponse as Resp, EchoEngine, Ws, engine_test_config as test_config, pending, poll_uri,
};
use tokio_tungstenite::tungstenite::{self, Message as WsMsg};

fn bed(config: EngineConfig) -> EchoEngine {
    EchoEngine::new(config)
}

/// `/engine.io/` over websocket with `query`; nothing read yet.
async fn ws_connect(addr: std::net::SocketAddr, query: &str) -> Ws {
    Ws::dial(addr, &format!("/engine.io/?{query}"))
        .await
        .unwrap()
}

/// Waits for the server to close the socket; returns the close code if a close frame came.
async fn ws_closed(ws: &mut Ws) -> Option<u16> {
    ws.expect_closed(Duration::from_secs(5), "the server to close the websocket")
        .await;
    ws.close_code()
}

#[tokio::test]
async fn websocket_ping_frame_is_answered_and_batched_messages_keep_their_order() {
    let b = bed({
        let mut cfg = test_config();
        cfg.ping_interval = Duration::from_secs(10);
        cfg
    });
    let addr = b.serve().await;
    // WebSocket control frames and batched writes: below the harness's Engine.IO client, so
    // the raw tungstenite stream.
    let url = format!("ws://{addr}/engine.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    raw_text(&mut ws).await;
    // A WebSocket ping gets its pong at once, with nothing else to write alongside it
    // (the next heartbeat, which would also flush it, is 10 s away).
    ws.send(WsMsg::Ping(Bytes::from_static(b"hi")))
        .await
        .unwrap();
    match raw_next(&mut ws).await {
        Some(WsMsg::Pong(p)) => assert_eq!(&p[..], b"hi"),
        other => panic!("expected a pong, got {other:?}"),
    }
    // Messages that arrive together are read in one go; their replies keep the order.
    for i in 0..100 {
        ws.feed(WsMsg::text(format!("4m{i}"))).await.unwrap();
    }
    ws.flush().await.unwrap();
    let mut i = 0;
    while i < 100 {
        let t = raw_text(&mut ws).await;
        if t == "2" {
            ws.send(WsMsg::text("3")).await.unwrap();
            continue;
        }
        assert_eq!(t, format!("4m{i}"));
        i += 1;
    }
}

type RawWs =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn raw_next(ws: &mut RawWs) -> Option<WsMsg> {
    tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap()
        .and_then(Result::ok)
}

async fn raw_text(ws: &mut RawWs) -> String {
    match raw_next(ws).await {
        Some(WsMsg::Text(t)) => t.as_str().to_owned(),
        other => panic!("expected a text frame, got {other:?}"),
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

// ---------------------------------------------------------------- polling

#[tokio::test]
async fn overlapping_post_is_refused() {
    let b = Arc::new(bed(test_config()));
    let sid = b.handshake().await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let stream = tokio_stream_from(rx);
    tx.send(Ok(Bytes::from_static(b"4par"))).await.unwrap();
    // The first POST is driven until it waits for the rest of its body: the engine is
    // reading it when the second arrives.
    let first = pending(
        Box::pin({
            let b = Arc::clone(&b);
            let uri = poll_uri(&sid);
            async move { b.req("POST", &uri, &[], Body::from_stream(stream)).await }
        }),
        "the first POST",
    )
    .await;
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

// ---------------------------------------------------------------- upgrade

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
        (Frame::Text(Bytes::from_static(b"4123456789")), true),
        (Frame::Binary(Bytes::from(vec![7u8; 10])), true),
        (Frame::Text(Bytes::from_static(b"41234567890")), false),
        (Frame::Binary(Bytes::from(vec![7u8; 11])), false),
        (Frame::Binary(Bytes::from(vec![7u8; 5000])), false),
    ] {
        let mut ws = ws_connect(addr, "EIO=4&transport=websocket").await;
        ws.text().await;
        let len = match &msg {
            Frame::Text(t) => {
                ws.send(std::str::from_utf8(t).unwrap()).await;
                t.len()
            }
            Frame::Binary(b) => {
                ws.send_binary(b).await;
                b.len()
            }
        };
        if expect_echo {
            let echoed = match ws.recv().await {
                socketio_tests::Frame::Text(t) => t.len(),
                socketio_tests::Frame::Binary(b) => b.len(),
                socketio_tests::Frame::Closed => panic!("closed instead of an echo"),
            };
            assert_eq!(echoed, len);
        } else {
            assert_eq!(ws_closed(&mut ws).await, Some(1009), "{len} bytes");
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
    let results = b.flood_results();
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
    let pending = b.pending_get(&sid).await;
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
    assert_eq!(
        (r.header("content-encoding"), r.text().as_str()),
        (None, "4small")
    );
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
        (r.header("content-encoding"), r.text().as_str()),
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
    let open = socketio_tests::parse_open(&ws.text().await);
    let ws_sid = open["sid"].as_str().unwrap().to_owned();
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
