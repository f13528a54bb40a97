//! Malformed input and limits (`testbed.md`, "Limits and robustness"): each bad input closes
//! at most the offending connection, a healthy client keeps working, nothing answers 5xx.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

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
            match s.ws.next_skip_pings().await {
                Frame::Closed => return true,
                Frame::Text(t) if t == r#"43987654["probe"]"# => return false,
                _ => {}
            }
        }
    })
    .await
}

fn t(s: &str) -> Frame {
    Frame::Text(s.to_string())
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
    check_all(vec![
        ("empty", vec![t("")]),
        ("type 9", vec![t("9")]),
        ("letters", vec![t("xyz")]),
        ("nul", vec![t("\0\0")]),
        ("lone message", vec![t("4")]),
        ("client ping", vec![t("2")]),
        ("upgrade after open", vec![t("5")]),
        ("stray binary", vec![Frame::Binary(vec![0xff, 0, 1])]),
        ("open from client", vec![t("0{}")]),
    ])
    .await;
}

#[tokio::test]
async fn invalid_socketio_packets() {
    let deep = format!(
        r#"42["echo",{}{}]"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let deep_obj = format!(
        r#"42["echo",{}1{}]"#,
        r#"{"a":"#.repeat(50_000),
        "}".repeat(50_000)
    );
    check_all(vec![
        ("type 7", vec![t("47")]),
        ("type 9", vec![t("49[]")]),
        ("bad json", vec![t(r#"42["echo","#)]),
        ("bad json 2", vec![t("42[}")]),
        ("huge number", vec![t(r#"42["echo",1e999999]"#)]),
        ("object payload", vec![t("42{}")]),
        ("string payload", vec![t(r#"42"echo""#)]),
        ("null payload", vec![t("42null")]),
        ("empty array", vec![t("42[]")]),
        ("number event", vec![t("42[1]")]),
        ("null event", vec![t("42[null]")]),
        ("object event", vec![t(r#"42[{"a":1}]"#)]),
        (
            "enormous ack id",
            vec![t(r#"4299999999999999999999999999["echo"]"#)],
        ),
        (
            "u64 overflow ack id",
            vec![t(r#"4218446744073709551616["echo"]"#)],
        ),
        ("negative ack id", vec![t(r#"42-1["echo"]"#)]),
        ("ack id letters", vec![t(r#"42abc["echo"]"#)]),
        ("unknown namespace event", vec![t(r#"42/nope,["echo",1]"#)]),
        ("namespace not joined", vec![t(r#"42/custom,1["echo",1]"#)]),
        ("namespace without slash", vec![t(r#"40nope,"#)]),
        ("connect non-object", vec![t(r#"40"str""#)]),
        ("connect array", vec![t("40[1]")]),
        ("duplicate connect", vec![t("40")]),
        ("disconnect payload", vec![t(r#"41{"x":1}"#)]),
        ("ack for nothing", vec![t("4312345[1]")]),
        ("deep arrays", vec![t(&deep)]),
        ("deep objects", vec![t(&deep_obj)]),
        ("lone surrogate", vec![t(r#"42["echo","\ud800"]"#)]),
        ("lone low surrogate", vec![t(r#"42["echo","\udc00x"]"#)]),
    ])
    .await;
}

#[tokio::test]
async fn invalid_binary_attachments() {
    let ph = |n: &str| format!(r#"{{"_placeholder":true,"num":{n}}}"#);
    check_all(vec![
        (
            "placeholder out of range",
            vec![
                t(&format!(r#"451-["echo",{}]"#, ph("5"))),
                Frame::Binary(vec![1]),
            ],
        ),
        (
            "negative placeholder",
            vec![
                t(&format!(r#"451-["echo",{}]"#, ph("-1"))),
                Frame::Binary(vec![1]),
            ],
        ),
        (
            "placeholder not a number",
            vec![
                t(&format!(r#"451-["echo",{}]"#, ph(r#""0""#))),
                Frame::Binary(vec![1]),
            ],
        ),
        (
            "enormous attachment count",
            vec![t(r#"45999999999-["echo"]"#)],
        ),
        ("attachment count not a number", vec![t(r#"45x-["echo"]"#)]),
        (
            "missing attachments",
            vec![t(&format!(r#"452-["echo",{}]"#, ph("0")))],
        ),
        (
            "text while waiting for attachments",
            vec![
                t(&format!(r#"452-["echo",{},{}]"#, ph("0"), ph("1"))),
                Frame::Binary(vec![1]),
                t(r#"42["echo"]"#),
            ],
        ),
        (
            "binary ack for nothing",
            vec![
                t(&format!(r#"461-77[{}]"#, ph("0"))),
                Frame::Binary(vec![9]),
            ],
        ),
    ])
    .await;
}

#[tokio::test]
async fn garbage_polling_bodies_and_requests_never_5xx() {
    let srv = start_testbed(Options::default()).await;
    let healthy = Healthy::connect(srv.addr).await;
    let bodies: [&[u8]; 9] = [
        b"",
        b"\x1e\x1e",
        b"b!!!notbase64",
        b"4hello\x1e",
        b"\xff\xfe\x00garbage",
        b"40\x1e4abc",
        b"42{}",
        b"bAAA=",
        b"9",
    ];
    for body in bodies {
        let (p, _) = Polling::open(srv.addr, "/socket.io/").await;
        if let Ok(r) = p.try_post(body).await {
            assert!(r.status < 500, "POST {body:?}: {} {}", r.status, r.text());
        }
        if let Ok(r) = p.try_get().await {
            assert!(r.status < 500, "GET after {body:?}: {}", r.status);
        }
        healthy.assert_alive("polling garbage").await;
    }
    for path in [
        "/socket.io/?EIO=4&transport=polling&sid=",
        "/socket.io/?EIO=4&transport=polling&sid=%ff%00",
        "/socket.io/?EIO=4&EIO=4&transport=polling&transport=websocket",
        "/socket.io/?EIO=4&transport=websocket",
        "/socket.io/?%%%",
        "/engine.io/?EIO=99999999999999999999&transport=polling",
    ] {
        for m in ["GET", "POST", "DELETE", "OPTIONS"] {
            if let Ok(r) = within("garbage request", STEP, http(srv.addr, m, path, b"x", &[])).await
            {
                assert!(r.status < 500, "{m} {path}: {}", r.status);
            }
        }
    }
    for raw in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\n\r\n",
        b"\x16\x03\x01\x00",
    ] {
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
    match at.ws.next_skip_pings().await {
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
        match over.ws.next_skip_pings().await {
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
    match slow.ws.next_skip_pings().await {
        Frame::Text(t) => assert!(t.starts_with("462-5["), "{t}"),
        other => panic!("{other:?}"),
    }
    srv.shutdown().await;
}
