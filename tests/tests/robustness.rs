//! Malformed input and limits (`testbed.md`, "Limits and robustness"): each bad input closes
//! at most the offending connection, a healthy client keeps working, nothing answers 5xx.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod malformed;

use socketio_tests::*;

/// Send `frames` on a fresh connection joined to `/`, then a probe echo: returns once the
/// server has either closed the connection or answered the probe (so it has processed the
/// bad input, which precedes the probe on the same connection).
async fn offend(srv: &TestServer, frames: &[Frame]) -> bool {
    let mut s = Sio::connect(srv.addr).await;
    for f in frames {
        match f {
            Frame::Text(t) => s.ws.send_text(t).await,
            Frame::Binary(b) => s.ws.send_binary(b).await,
            Frame::Closed => {}
        }
    }
    s.ws.send_text(r#"42987654["echo","probe"]"#).await;
    within("the server to process a malformed input", STEP, async {
        loop {
            match s.ws.recv().await {
                Frame::Closed => return true,
                Frame::Text(t) if t == r#"43987654["probe"]"# => return false,
                _ => {}
            }
        }
    })
    .await
}

async fn check_all(cases: Vec<(&str, Vec<Frame>)>) {
    let srv = start_testbed(Options::default()).await;
    let healthy = Healthy::connect(srv.addr).await;
    for (name, frames) in cases {
        let closed = offend(&srv, &frames).await;
        healthy.assert_alive(name).await;
        let _ = closed; // closing the offender is allowed, not required
    }
    // New clients can still connect.
    let mut fresh = Sio::connect(srv.addr).await;
    fresh.assert_alive("fresh").await;
    srv.shutdown().await;
}

#[tokio::test]
async fn garbage_engine_io_packets() {
    check_all(malformed::garbage_engine_io_packets()).await;
}

#[tokio::test]
async fn invalid_socketio_packets() {
    check_all(malformed::invalid_socketio_packets()).await;
}

#[tokio::test]
async fn invalid_binary_attachments() {
    check_all(malformed::invalid_binary_attachments()).await;
}

#[tokio::test]
async fn garbage_polling_bodies_and_requests_never_5xx() {
    let srv = start_testbed(Options::default()).await;
    let healthy = Healthy::connect(srv.addr).await;
    for body in malformed::POLLING_BODIES {
        let (p, _) = Polling::open(srv.addr, "/socket.io/").await;
        if let Ok(r) = p.try_post(body).await {
            assert!(r.status < 500, "POST {body:?}: {} {}", r.status, r.text());
        }
        if let Ok(r) = p.try_get().await {
            assert!(r.status < 500, "GET after {body:?}: {}", r.status);
        }
        healthy.assert_alive("polling garbage").await;
    }
    for path in malformed::HTTP_PATHS {
        for m in ["GET", "POST", "DELETE", "OPTIONS"] {
            if let Ok(r) = within("garbage request", STEP, http(srv.addr, m, path, b"x", &[])).await
            {
                assert!(r.status < 500, "{m} {path}: {}", r.status);
            }
        }
    }
    for raw in malformed::RAW_REQUESTS {
        let _ = within("raw garbage", STEP, raw_exchange(srv.addr, raw)).await;
    }
    healthy.assert_alive("after garbage requests").await;
    srv.shutdown().await;
}

#[tokio::test]
async fn websocket_message_limit() {
    let srv = start_testbed(Options::default()).await;
    let max = srv.opts.max_payload;
    let healthy = Healthy::connect(srv.addr).await;
    // Exactly max_payload bytes: accepted and echoed.
    let mut at = Sio::connect(srv.addr).await;
    let frame = |len: usize| {
        let head = r#"421["echo",""#;
        let tail = r#""]"#;
        format!("{head}{}{tail}", "x".repeat(len - head.len() - tail.len()))
    };
    at.ws.send_text(&frame(max)).await;
    match at.ws.recv().await {
        Frame::Text(t) => assert!(
            t.starts_with(r#"431[""#)
                && t.len() == max - r#"421["echo",""#.len() + r#"431[""#.len(),
            "echo at the limit: {}",
            t.get(..40).unwrap_or(&t)
        ),
        other => panic!("message at the limit: {other:?}"),
    }
    // max_payload + 1: only that connection is closed, nothing is echoed.
    let mut over = Sio::connect(srv.addr).await;
    over.ws.send_text(&frame(max + 1)).await;
    loop {
        match over.ws.recv().await {
            Frame::Closed => break,
            Frame::Text(t) => assert!(!t.starts_with("431"), "oversized message was handled"),
            Frame::Binary(_) => {}
        }
    }
    healthy
        .assert_alive("after oversized websocket message")
        .await;
    at.assert_alive("limit client").await;
    srv.shutdown().await;
}

#[tokio::test]
async fn polling_body_limit() {
    let srv = start_testbed(Options::default()).await;
    let max = srv.opts.max_payload;
    let healthy = Healthy::connect(srv.addr).await;
    let body = |len: usize| {
        let head = r#"421["echo",""#;
        let tail = r#""]"#;
        format!("{head}{}{tail}", "y".repeat(len - head.len() - tail.len()))
    };
    // At the limit: accepted.
    let (p, _) = Polling::open(srv.addr, "/socket.io/").await;
    assert_eq!(p.post(b"40").await.text(), "ok");
    let r = p.post(body(max).as_bytes()).await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    let mut got = String::new();
    while !got.contains("431[") {
        got.push_str(&p.get_skip_pings().await);
    }
    // Over the limit: 413 or an aborted request, and the session ends.
    let (p, _) = Polling::open(srv.addr, "/socket.io/").await;
    assert_eq!(p.post(b"40").await.text(), "ok");
    // An aborted request (Err) is allowed too.
    if let Ok(r) = p.try_post(body(max + 1).as_bytes()).await {
        assert_eq!(r.status, 413, "oversized POST: {}", r.text());
    }
    let mut closed = false;
    for _ in 0..5 {
        match p.try_get().await {
            Ok(r) if r.status == 400 => {
                closed = true;
                break;
            }
            Ok(r) => assert!(
                r.status == 200 && !r.text().contains("431["),
                "nothing of the oversized body is handled: {} {}",
                r.status,
                r.text()
            ),
            Err(_) => {}
        }
    }
    assert!(closed, "the session ends after an oversized POST");
    healthy.assert_alive("after oversized POST").await;
    srv.shutdown().await;
}

#[tokio::test]
async fn slow_attachment_sender_does_not_block_others() {
    let srv = start_testbed(Options::default()).await;
    let healthy = Healthy::connect(srv.addr).await;
    let mut slow = Sio::connect(srv.addr).await;
    slow.ws
        .send_text(r#"452-5["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
        .await;
    slow.ws.send_binary(&[1]).await;
    healthy
        .assert_alive("while another client owes an attachment")
        .await;
    slow.ws.send_binary(&[2]).await;
    match slow.ws.recv().await {
        Frame::Text(t) => assert!(t.starts_with("462-5["), "{t}"),
        other => panic!("{other:?}"),
    }
    srv.shutdown().await;
}
