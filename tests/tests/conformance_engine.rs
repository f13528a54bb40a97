//! Engine.IO v4 conformance (`shared/reference/conformance.md` §2, E1–E17) against the raw
//! Engine.IO echo server at `/engine.io/` of the test bed, with raw HTTP and websocket
//! clients. Bodies and frames are compared byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use serde_json::json;
use socketio_tests::*;
use tokio::time::Instant;

const EIO: &str = "/engine.io/";

async fn server() -> TestServer {
    start_testbed(Options::default()).await
}

fn assert_handshake(
    open: &serde_json::Map<String, serde_json::Value>,
    upgrades: serde_json::Value,
) {
    let mut keys: Vec<&str> = open.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "maxPayload",
            "pingInterval",
            "pingTimeout",
            "sid",
            "upgrades"
        ],
        "exactly the five handshake keys"
    );
    assert!(open["sid"].is_string(), "sid is a string");
    assert_eq!(open["upgrades"], upgrades);
    assert_eq!(open["pingInterval"], json!(300));
    assert_eq!(open["pingTimeout"], json!(200));
    assert_eq!(open["maxPayload"], json!(1_000_000));
}

/// Polling session + upgraded websocket (2probe/3probe/5 done).
async fn upgraded(srv: &TestServer) -> (Polling, Ws) {
    let (p, _) = Polling::open(srv.addr, EIO).await;
    let mut ws = Ws::connect(
        srv.addr,
        &format!("{EIO}?EIO=4&transport=websocket&sid={}", p.sid),
    )
    .await
    .expect("upgrade websocket");
    ws.send_text("2probe").await;
    assert_eq!(ws.text().await, "3probe");
    ws.send_text("5").await;
    // A message sent after `5` on the same socket is echoed over it: the upgrade is done.
    ws.send_text("4upgraded").await;
    assert_eq!(ws.text_skip_pings().await, "4upgraded");
    (p, ws)
}

#[tokio::test]
async fn e1_polling_handshake() {
    let srv = server().await;
    for path in [EIO, "/socket.io/"] {
        let r = http_ok(
            srv.addr,
            "GET",
            &format!("{path}?EIO=4&transport=polling"),
            b"",
        )
        .await;
        assert_eq!(r.status, 200);
        assert_handshake(&parse_open(&r.text()), json!(["websocket"]));
    }
    srv.shutdown().await;
}

#[tokio::test]
async fn e2_websocket_handshake() {
    let srv = server().await;
    for path in [EIO, "/socket.io/"] {
        let mut ws = Ws::connect(srv.addr, &format!("{path}?EIO=4&transport=websocket"))
            .await
            .expect("websocket");
        assert_handshake(&parse_open(&ws.text().await), json!([]));
    }
    srv.shutdown().await;
}

#[tokio::test]
async fn e3_query_validation_gives_400() {
    let srv = server().await;
    for q in [
        "transport=polling",
        "EIO=abc&transport=polling",
        "EIO=3&transport=polling",
        "EIO=5&transport=polling",
        "EIO=4",
        "EIO=4&transport=abc",
        "EIO=4&transport=",
    ] {
        let r = http_ok(srv.addr, "GET", &format!("{EIO}?{q}"), b"").await;
        assert_eq!(r.status, 400, "GET ?{q}: {}", r.text());
    }
    srv.shutdown().await;
}

#[tokio::test]
async fn e4_handshake_with_wrong_method_gives_400() {
    let srv = server().await;
    for m in ["POST", "PUT"] {
        let r = http_ok(
            srv.addr,
            m,
            &format!("{EIO}?EIO=4&transport=polling"),
            b"4hello",
        )
        .await;
        assert_eq!(r.status, 400, "{m} handshake: {}", r.text());
    }
    srv.shutdown().await;
}

#[tokio::test]
async fn e5_websocket_with_bad_query_is_refused() {
    let srv = server().await;
    for q in [
        "transport=websocket",
        "EIO=abc&transport=websocket",
        "EIO=4&transport=abc",
        "EIO=4",
    ] {
        match Ws::connect(srv.addr, &format!("{EIO}?{q}")).await {
            Err(_) => {}
            Ok(mut ws) => {
                let f = ws.next().await;
                assert_eq!(
                    f,
                    Frame::Closed,
                    "websocket ?{q} must be refused, got {f:?}"
                );
            }
        }
    }
    srv.shutdown().await;
}

#[tokio::test]
async fn e6_polling_post_answers_ok() {
    let srv = server().await;
    let (p, _) = Polling::open(srv.addr, EIO).await;
    let r = p.post(b"4hello\x1e4world").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    srv.shutdown().await;
}

#[tokio::test]
async fn e7_polling_get_returns_the_echo() {
    let srv = server().await;
    let cases: [(&[u8], &str); 3] = [
        (b"4hello", "4hello"),
        (b"4test1\x1e4test2\x1e4test3", "4test1\x1e4test2\x1e4test3"),
        (b"4hello\x1ebAQIDBA==", "4hello\x1ebAQIDBA=="),
    ];
    for (post, want) in cases {
        let (p, _) = Polling::open(srv.addr, EIO).await;
        assert_eq!(p.post(post).await.text(), "ok");
        let r = p.get().await;
        assert_eq!(r.status, 200);
        assert_eq!(r.text(), want, "a single GET drains the queue in order");
    }
    srv.shutdown().await;
}

#[tokio::test]
async fn e8_invalid_packet_in_post_closes_the_session() {
    let srv = server().await;
    let (p, _) = Polling::open(srv.addr, EIO).await;
    match p.try_post(b"abc").await {
        Ok(r)
            if r.status == 200
                && node_reference_deviation("answers an invalid POST with 200 ok") => {}
        Ok(r) => assert_eq!(r.status, 400, "POST abc: {}", r.text()),
        Err(_) => {} // aborting the request is allowed
    }
    let r = p.get().await;
    assert_eq!(r.status, 400, "the session is closed: {}", r.text());
    srv.shutdown().await;
}

#[tokio::test]
async fn e9_duplicate_get_closes_the_session() {
    let srv = server().await;
    let (p, _) = Polling::open(srv.addr, EIO).await;
    let started = Instant::now();
    // Whichever GET the server sees first is the pending one, the other is the duplicate.
    let (a, b) = tokio::join!(p.get(), p.get());
    let mut got = [(a.status, a.text()), (b.status, b.text())];
    got.sort();
    assert_eq!(
        got[0],
        (200, "1".to_string()),
        "the pending GET gets a close packet"
    );
    assert!(
        got[1].0 == 400 || got[1].0 == 500,
        "the duplicate GET gets 400: {:?}",
        got[1]
    );
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "answered at once, not at the next ping"
    );
    let r = p.get().await;
    assert_eq!(r.status, 400, "the session is closed");
    srv.shutdown().await;
}

#[tokio::test]
async fn e10_heartbeat_polling_three_cycles() {
    let srv = server().await;
    let (p, _) = Polling::open(srv.addr, EIO).await;
    for cycle in 0..3 {
        let t = Instant::now();
        let r = p.get().await;
        assert_eq!((r.status, r.text().as_str()), (200, "2"), "cycle {cycle}");
        if cycle > 0 {
            // After a pong, the next ping comes one pingInterval later.
            assert!(
                t.elapsed() >= Duration::from_millis(250),
                "ping came too early"
            );
        }
        let r = p.post(b"3").await;
        assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    }
    srv.shutdown().await;
}

#[tokio::test]
async fn e10_heartbeat_websocket_three_cycles() {
    let srv = server().await;
    let mut ws = Ws::connect(srv.addr, &format!("{EIO}?EIO=4&transport=websocket"))
        .await
        .unwrap();
    parse_open(&ws.text().await);
    for cycle in 0..3 {
        assert_eq!(ws.text().await, "2", "cycle {cycle}");
        ws.send_text("3").await;
    }
    ws.send_text("4still-here").await;
    assert_eq!(ws.text_skip_pings().await, "4still-here");
    srv.shutdown().await;
}

#[tokio::test]
async fn e11_ping_timeout_polling_exact_deadline() {
    let srv = server().await;
    let (p, _) = Polling::open(srv.addr, EIO).await;
    let opened = Instant::now();
    // The behaviour under test is a deadline: wait past pingInterval + pingTimeout.
    tokio::time::sleep_until(opened + Duration::from_millis(300 + 200 + 40)).await;
    let r = p.get().await;
    assert_eq!(
        r.status,
        400,
        "session must be closed at the deadline: {}",
        r.text()
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn e11_ping_timeout_websocket() {
    let srv = server().await;
    let mut ws = Ws::connect(srv.addr, &format!("{EIO}?EIO=4&transport=websocket"))
        .await
        .unwrap();
    parse_open(&ws.text().await);
    let t = Instant::now();
    assert_eq!(ws.text().await, "2");
    // Do not answer the ping: the server closes within pingTimeout (plus slack).
    match ws.next_within(Duration::from_millis(1000)).await {
        Some(Frame::Closed) => {}
        other => panic!("expected close after the ping timeout, got {other:?}"),
    }
    assert!(
        t.elapsed() >= Duration::from_millis(150),
        "closed before the timeout"
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn e12_client_close_polling() {
    let srv = server().await;
    let (p, _) = Polling::open(srv.addr, EIO).await;
    let pending = {
        let p = p.clone();
        tokio::spawn(async move { p.get().await })
    };
    // No protocol event tells that a GET is pending on the server: give it 100 ms, well
    // inside the 300 ms before the first ping would answer it.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = p.post(b"1").await;
    assert_eq!(r.status, 200);
    let g = within("pending GET", STEP, pending).await.unwrap();
    assert_eq!(
        (g.status, g.text().as_str()),
        (200, "6"),
        "pending GET gets a noop"
    );
    let r = p.get().await;
    assert_eq!(r.status, 400, "the session is closed");
    srv.shutdown().await;
}

#[tokio::test]
async fn e12_client_close_websocket() {
    let srv = server().await;
    let mut ws = Ws::connect(srv.addr, &format!("{EIO}?EIO=4&transport=websocket"))
        .await
        .unwrap();
    parse_open(&ws.text().await);
    ws.send_text("1").await;
    if node_reference_deviation("ignores a close packet on a websocket") {
        return;
    }
    ws.expect_closed(Duration::from_millis(1000), "close packet 1")
        .await;
    srv.shutdown().await;
}

#[tokio::test]
async fn e13_upgrade() {
    let srv = server().await;
    let (p, _) = Polling::open(srv.addr, EIO).await;
    let mut ws = Ws::connect(
        srv.addr,
        &format!("{EIO}?EIO=4&transport=websocket&sid={}", p.sid),
    )
    .await
    .expect("upgrade websocket accepted");
    ws.send_text("2probe").await;
    assert_eq!(
        ws.text().await,
        "3probe",
        "no handshake on the upgrading socket"
    );
    let t = Instant::now();
    let r = p.get().await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "6"),
        "noop while upgrading"
    );
    assert!(
        t.elapsed() < Duration::from_millis(250),
        "noop at once, not at the next ping"
    );
    ws.send_text("5").await;
    ws.send_text("4hello").await;
    assert_eq!(ws.text_skip_pings().await, "4hello");
    srv.shutdown().await;
}

#[tokio::test]
async fn e14_polling_after_upgrade_gives_400() {
    let srv = server().await;
    let (p, mut ws) = upgraded(&srv).await;
    let r = p.get().await;
    assert_eq!(r.status, 400, "GET after the upgrade: {}", r.text());
    ws.send_text("4hello").await;
    assert_eq!(ws.text_skip_pings().await, "4hello");
    srv.shutdown().await;
}

#[tokio::test]
async fn e14_back_to_back_probe_upgrade_then_get() {
    // The official suite's sequence: `2probe` and `5` back to back, then a GET at once.
    let srv = server().await;
    let (p, _) = Polling::open(srv.addr, EIO).await;
    let mut ws = Ws::connect(
        srv.addr,
        &format!("{EIO}?EIO=4&transport=websocket&sid={}", p.sid),
    )
    .await
    .unwrap();
    ws.send_text("2probe").await;
    ws.send_text("5").await;
    assert_eq!(ws.text().await, "3probe");
    let r = p.get().await;
    assert_eq!(r.status, 400, "GET after 2probe+5: {}", r.text());
    ws.send_text("4hello").await;
    assert_eq!(ws.text_skip_pings().await, "4hello");
    srv.shutdown().await;
}

#[tokio::test]
async fn e15_second_websocket_for_the_same_sid_is_closed() {
    let srv = server().await;
    let (p, mut ws) = upgraded(&srv).await;
    match Ws::connect(
        srv.addr,
        &format!("{EIO}?EIO=4&transport=websocket&sid={}", p.sid),
    )
    .await
    {
        Err(_) => {}
        Ok(mut second) => {
            second.send_text("2probe").await;
            second
                .expect_closed(Duration::from_millis(1000), "second websocket for the sid")
                .await;
        }
    }
    ws.send_text("4hello").await;
    assert_eq!(
        ws.text_skip_pings().await,
        "4hello",
        "first websocket keeps working"
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn e16_websocket_echo_text_and_binary() {
    let srv = server().await;
    let mut ws = Ws::connect(srv.addr, &format!("{EIO}?EIO=4&transport=websocket"))
        .await
        .unwrap();
    parse_open(&ws.text().await);
    ws.send_text("4hello").await;
    assert_eq!(ws.next_skip_pings().await, Frame::Text("4hello".into()));
    ws.send_binary(&[1, 2, 3, 4]).await;
    assert_eq!(ws.next_skip_pings().await, Frame::Binary(vec![1, 2, 3, 4]));
    srv.shutdown().await;
}

#[tokio::test]
async fn e16_binary_over_polling_and_websocket_is_base64_on_polling() {
    // A binary websocket message of an upgraded session, and `b` + base64 on polling.
    let srv = server().await;
    let (p, _) = Polling::open(srv.addr, EIO).await;
    assert_eq!(p.post(b"bAAEC/w==").await.text(), "ok");
    assert_eq!(p.get().await.text(), "bAAEC/w==");
    srv.shutdown().await;
}

#[tokio::test]
async fn e17_invalid_packet_on_websocket_closes_it() {
    let srv = server().await;
    let mut ws = Ws::connect(srv.addr, &format!("{EIO}?EIO=4&transport=websocket"))
        .await
        .unwrap();
    parse_open(&ws.text().await);
    ws.send_text("abc").await;
    ws.expect_closed(Duration::from_millis(1000), "invalid packet abc")
        .await;
    srv.shutdown().await;
}

#[tokio::test]
async fn unknown_sid_gives_400_on_both_paths() {
    let srv = server().await;
    for path in [EIO, "/socket.io/"] {
        for m in ["GET", "POST"] {
            let r = http_ok(
                srv.addr,
                m,
                &format!("{path}?EIO=4&transport=polling&sid=doesnotexist"),
                b"4x",
            )
            .await;
            assert_eq!(r.status, 400, "{m} {path} unknown sid: {}", r.text());
        }
        match Ws::connect(
            srv.addr,
            &format!("{path}?EIO=4&transport=websocket&sid=doesnotexist"),
        )
        .await
        {
            Err(_) => {}
            Ok(mut ws) => {
                ws.send_text("2probe").await;
                ws.expect_closed(Duration::from_millis(1000), "websocket with unknown sid")
                    .await;
            }
        }
    }
    srv.shutdown().await;
}
