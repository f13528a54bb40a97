//! Engine.IO v3 sessions (`EngineConfig::allow_eio3`), byte for byte: the refusal when off,
//! the v3 open packet, the `<length>:<packet>` text framing (UTF-16 lengths), the binary
//! framing and `b64=1`, the client-driven heartbeat and its deadline, WebSocket binary
//! messages with the `4` type byte, the probe/upgrade, and the limits (max payload + 1,
//! malformed framing). The engine is the harness's [`EchoEngine`] (text `t` is answered `4t`,
//! binary with the same bytes).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::{Duration, Instant};

use axum::body::Body;
use http::StatusCode;
use socketio::engine::{CloseReason, EngineConfig, Protocol};
use socketio_tests::{EchoEngine, Frame, Ws, engine_test_config};

fn v3_config() -> EngineConfig {
    let mut cfg = engine_test_config();
    cfg.allow_eio3 = true;
    cfg
}

fn poll3(sid: &str) -> String {
    format!("/engine.io/?EIO=3&transport=polling&sid={sid}")
}

/// A v3 polling handshake; returns the sid after checking the open packet byte for byte.
async fn handshake3(b: &EchoEngine, extra: &str) -> String {
    let r = b
        .get(&format!("/engine.io/?EIO=3&transport=polling{extra}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
    let body = r.text();
    let (len, packet) = body.split_once(':').expect("a v3 payload");
    assert_eq!(len.parse::<usize>().unwrap(), packet.encode_utf16().count());
    let v: serde_json::Value = serde_json::from_str(packet.strip_prefix('0').unwrap()).unwrap();
    let sid = v["sid"].as_str().unwrap().to_owned();
    assert_eq!(
        packet,
        format!(
            r#"0{{"sid":"{sid}","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200}}"#
        ),
        "the v3 open packet has no maxPayload"
    );
    sid
}

async fn post(b: &EchoEngine, sid: &str, body: Vec<u8>, content_type: &str) -> StatusCode {
    b.req(
        "POST",
        &poll3(sid),
        &[("content-type", content_type)],
        Body::from(body),
    )
    .await
    .status
}

#[tokio::test]
async fn eio3_is_refused_unless_allowed() {
    let b = EchoEngine::new(engine_test_config());
    let r = b.get("/engine.io/?EIO=3&transport=polling").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.text(),
        r#"{"code":5,"message":"Unsupported protocol version"}"#
    );
    // Allowed, v4 clients are served as before, beside v3 ones.
    let b = EchoEngine::new(v3_config());
    let r = b.get("/engine.io/?EIO=4&transport=polling").await;
    assert!(r.text().contains("\"maxPayload\":"), "{}", r.text());
    let conn = b.next_open().await;
    assert_eq!(conn.protocol(), Protocol::V4);
    handshake3(&b, "").await;
    assert_eq!(b.next_open().await.protocol(), Protocol::V3);
    let r = b.get("/engine.io/?EIO=2&transport=polling").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn text_framing_counts_utf16_units_both_ways() {
    let b = EchoEngine::new(v3_config());
    let sid = handshake3(&b, "").await;
    // "€" is 1 UTF-16 unit and 3 bytes; "😀" is 2 units and 4 bytes.
    let body = "6:4hello2:4€3:4😀".as_bytes().to_vec();
    assert_eq!(
        post(&b, &sid, body, "text/plain;charset=UTF-8").await,
        StatusCode::OK
    );
    let r = b.get(&poll3(&sid)).await;
    assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
    assert_eq!(r.text(), "6:4hello2:4€3:4😀");
}

#[tokio::test]
async fn binary_messages_use_the_binary_framing_or_base64_when_asked() {
    let b = EchoEngine::new(v3_config());
    let sid = handshake3(&b, "").await;
    // As engine.io-client 3 posts a text and a binary message (encodePayloadAsBinary).
    let body = vec![0, 3, 255, b'4', b'h', b'i', 1, 4, 255, 4, 1, 2, 255];
    assert_eq!(
        post(&b, &sid, body.clone(), "application/octet-stream").await,
        StatusCode::OK
    );
    let r = b.get(&poll3(&sid)).await;
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(&r.body[..], &body[..], "echoed in the same framing");

    // `b64=1`: binary messages as `b4<base64>` in the text framing, both ways.
    let sid = handshake3(&b, "&b64=1").await;
    let uri = format!("{}&b64=1", poll3(&sid));
    let r = b.req("POST", &uri, &[], Body::from("3:4hi6:b4AQL/")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = b.get(&uri).await;
    assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
    assert_eq!(r.text(), "3:4hi6:b4AQL/");
}

#[tokio::test]
async fn the_client_pings_and_the_server_answers() {
    let b = EchoEngine::new(v3_config());
    let sid = handshake3(&b, "").await;
    assert_eq!(
        post(&b, &sid, b"1:26:2probe".to_vec(), "text/plain").await,
        StatusCode::OK
    );
    assert_eq!(b.get(&poll3(&sid)).await.text(), "1:36:3probe");
    // A pong is the wrong direction in v3: the session ends on it.
    assert_eq!(
        post(&b, &sid, b"1:3".to_vec(), "text/plain").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(b.next_close().await.1, CloseReason::TransportError);
}

#[tokio::test]
async fn without_pings_the_session_ends_at_interval_plus_timeout() {
    let b = EchoEngine::new(v3_config());
    let started = Instant::now();
    let sid = handshake3(&b, "").await;
    // Pings keep the session: each one moves the deadline to 500 ms after it.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(
            post(&b, &sid, b"1:2".to_vec(), "text/plain").await,
            StatusCode::OK
        );
        assert_eq!(b.get(&poll3(&sid)).await.text(), "1:3");
    }
    let last_ping = Instant::now();
    // The server never pings: the pending poll only ends with the session.
    let poll = b.get(&poll3(&sid)).await;
    let (closed_sid, reason) = b.next_close().await;
    assert_eq!(
        (closed_sid.as_str(), reason),
        (sid.as_str(), CloseReason::PingTimeout)
    );
    let quiet = last_ping.elapsed();
    assert!(
        quiet >= Duration::from_millis(500),
        "closed {quiet:?} after the last ping, before interval + timeout"
    );
    assert!(started.elapsed() >= Duration::from_millis(1250));
    assert!(
        !poll.text().contains("1:2"),
        "the server pinged: {}",
        poll.text()
    );
}

#[tokio::test]
async fn malformed_framing_and_payload_over_the_limit_end_the_session() {
    let b = EchoEngine::new(v3_config());
    for bad in [&b"5:4ab"[..], b"4ab", b"x:4", b"2:4\xe2\x82", b""] {
        let sid = handshake3(&b, "").await;
        let status = post(&b, &sid, bad.to_vec(), "text/plain").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(b.next_close().await.1, CloseReason::ParseError, "{bad:?}");
    }
    for bad in [
        &[2u8, 1, 255, b'6'][..],
        &[0, 9, 255, b'6'],
        &[1, 2, 255, 3, 0],
    ] {
        let sid = handshake3(&b, "").await;
        let status = post(&b, &sid, bad.to_vec(), "application/octet-stream").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(b.next_close().await.1, CloseReason::ParseError, "{bad:?}");
    }
    // max_payload bytes pass, max_payload + 1 is 413.
    let mut cfg = v3_config();
    cfg.max_payload = 64;
    let b = EchoEngine::new(cfg);
    let sid = handshake3(&b, "").await;
    let at_limit = format!("61:4{}", "a".repeat(60));
    assert_eq!(at_limit.len(), 64);
    assert_eq!(
        post(&b, &sid, at_limit.into_bytes(), "text/plain").await,
        StatusCode::OK
    );
    let over = format!("62:4{}", "a".repeat(61));
    assert_eq!(
        post(&b, &sid, over.into_bytes(), "text/plain").await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn websocket_binary_carries_the_type_byte_and_the_client_pings() {
    let b = EchoEngine::new(v3_config());
    let addr = b.serve().await;
    let mut ws = Ws::dial(addr, "/engine.io/?EIO=3&transport=websocket")
        .await
        .unwrap();
    let Frame::Text(open) = ws.next().await else {
        panic!("no open packet")
    };
    let v: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    assert_eq!(
        open,
        format!(
            r#"0{{"sid":"{}","upgrades":[],"pingInterval":300,"pingTimeout":200}}"#,
            v["sid"].as_str().unwrap()
        )
    );
    ws.send_text("2").await;
    assert_eq!(ws.next().await, Frame::Text("3".into()));
    ws.send_binary(&[4, 1, 2, 3]).await;
    assert_eq!(ws.next().await, Frame::Binary(vec![4, 1, 2, 3]));
    ws.send_text("4hé").await;
    assert_eq!(ws.next().await, Frame::Text("4hé".into()));
    // A binary message without the message type byte does not parse.
    ws.send_binary(&[1, 2, 3]).await;
    ws.expect_closed(Duration::from_secs(5), "the close on a bad binary message")
        .await;
    assert_eq!(b.next_close().await.1, CloseReason::ParseError);

    // No ping within interval + timeout: closed.
    let started = Instant::now();
    let mut ws = Ws::dial(addr, "/engine.io/?EIO=3&transport=websocket")
        .await
        .unwrap();
    let Frame::Text(_) = ws.next().await else {
        panic!("no open packet")
    };
    assert_eq!(b.next_close().await.1, CloseReason::PingTimeout);
    assert!(started.elapsed() >= Duration::from_millis(500));
    ws.expect_closed(Duration::from_secs(5), "the close after the ping timeout")
        .await;
}

#[tokio::test]
async fn polling_upgrades_to_websocket() {
    let b = EchoEngine::new(v3_config());
    let addr = b.serve().await;
    let sid = handshake3(&b, "").await;
    let mut ws = Ws::dial(
        addr,
        &format!("/engine.io/?EIO=3&transport=websocket&sid={sid}"),
    )
    .await
    .unwrap();
    ws.send_text("2probe").await;
    assert_eq!(ws.next().await, Frame::Text("3probe".into()));
    ws.send_text("5").await;
    ws.send_text("4after").await;
    assert_eq!(ws.next().await, Frame::Text("4after".into()));
    ws.send_binary(&[4, 9]).await;
    assert_eq!(ws.next().await, Frame::Binary(vec![4, 9]));
    // The session is on WebSocket now: polling it is refused.
    assert_eq!(b.get(&poll3(&sid)).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn pongs_count_against_the_queue_budget() {
    // Every frame costs its length + 32 bytes: a pong `3` costs 33. A budget of 10 pongs
    // holds 10 unread ones; the 11th closes the session as too slow.
    let mut cfg = v3_config();
    cfg.max_buffered_bytes = 330;
    let b = EchoEngine::new(cfg);
    let sid = handshake3(&b, "").await;
    let at_limit = "1:2".repeat(10).into_bytes();
    assert_eq!(post(&b, &sid, at_limit, "text/plain").await, StatusCode::OK);
    assert_eq!(b.get(&poll3(&sid)).await.text(), "1:3".repeat(10));
    let over = "1:2".repeat(11).into_bytes();
    post(&b, &sid, over, "text/plain").await;
    assert_eq!(b.next_close().await.1, CloseReason::SendBufferFull);
}
