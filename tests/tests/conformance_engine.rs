//! Engine.IO v4 conformance (`shared/reference/conformance.md` §2, E1–E17), each case written
//! once and run against two targets:
//!
//! - `engine`: the bare `socketio::engine::Engine` with an echo handler ([`EchoEngine`]),
//!   served on a loopback socket; its handler reports every open and close, so the cases
//!   also check the engine's side (close reasons, connection counts) and can hold a polling
//!   GET pending in the engine ([`EchoEngine::pending_get`]) instead of guessing;
//! - `testbed`: the raw Engine.IO echo server at `/engine.io/` of the test bed (and
//!   `/socket.io/`), in-process, or the external server of `SOCKETIO_TEST_ADDR`.
//!
//! Bodies and frames are compared byte for byte. Checks of our own wording (error bodies,
//! content types, the handshake's key order) are skipped for an external server.
//! Run one case on one target: `cargo test -p socketio-tests --test conformance_engine --
//! e9_duplicate_get_closes_the_session::engine`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use socketio::engine::{CloseReason, Message, Transport};
use socketio_tests::*;
use tokio::time::Instant;

const EIO: &str = "/engine.io/";

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

/// The server a case runs against.
struct Target {
    addr: std::net::SocketAddr,
    /// The in-process engine (the `engine` target).
    engine: Option<Arc<EchoEngine>>,
    /// The test bed (the `testbed` target).
    bed: Option<TestServer>,
}

impl Target {
    async fn engine() -> Target {
        let engine = Arc::new(EchoEngine::new(engine_test_config()));
        let addr = engine.serve().await;
        Target {
            addr,
            engine: Some(engine),
            bed: None,
        }
    }

    async fn testbed() -> Target {
        let bed = start_testbed(Options::default()).await;
        Target {
            addr: bed.addr,
            engine: None,
            bed: Some(bed),
        }
    }

    /// The Engine.IO paths served: the engine mounts `/engine.io/` only.
    fn paths(&self) -> &'static [&'static str] {
        if self.engine.is_some() {
            &[EIO]
        } else {
            &[EIO, "/socket.io/"]
        }
    }

    /// Whether the server is ours (in-process), so our exact wording can be checked.
    fn ours(&self) -> bool {
        !self.bed.as_ref().is_some_and(TestServer::is_external)
    }

    /// On the `engine` target: the engine closed `sid` for `reason` (its next close).
    async fn closed(&self, sid: &str, reason: CloseReason) {
        if let Some(e) = &self.engine {
            assert_eq!(e.next_close().await, (sid.to_owned(), reason));
        }
    }

    /// On the `engine` target: how many connections the engine holds.
    fn count(&self, n: usize) {
        if let Some(e) = &self.engine {
            assert_eq!(e.engine.connection_count(), n, "connection count");
        }
    }

    /// A polling GET of `p` running on a task. On the `engine` target it is held pending in
    /// the engine before this returns; over the test bed's socket there is no such event,
    /// and the cases that use this hold whichever order the server sees (the answer is
    /// the same).
    async fn pending_get(&self, p: &Polling) -> tokio::task::JoinHandle<(u16, String)> {
        match &self.engine {
            Some(e) => {
                let get = e.pending_get(&p.sid).await;
                tokio::spawn(async move {
                    let r = get.await.unwrap();
                    (r.status.as_u16(), r.text())
                })
            }
            None => {
                let p = p.clone();
                tokio::spawn(async move {
                    let r = p.get().await;
                    (r.status, r.text())
                })
            }
        }
    }

    async fn shutdown(self) {
        if let Some(bed) = self.bed {
            bed.shutdown().await;
        }
    }
}

/// Each case, once per target: `<case>::engine` and `<case>::testbed`.
macro_rules! on_both_targets {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn engine() {
                let t = super::Target::engine().await;
                super::$case(&t).await;
                t.shutdown().await;
            }

            #[tokio::test]
            async fn testbed() {
                let t = super::Target::testbed().await;
                super::$case(&t).await;
                t.shutdown().await;
            }
        }
    )*};
}

on_both_targets!(
    e1_polling_handshake,
    e2_websocket_handshake,
    e3_query_validation_gives_400,
    e4_handshake_with_wrong_method_gives_400,
    e5_websocket_with_bad_query_is_refused,
    e6_polling_post_answers_ok,
    e7_polling_get_returns_the_echo,
    e7_pending_get_is_woken_by_a_message,
    e8_invalid_packet_in_post_closes_the_session,
    e9_duplicate_get_closes_the_session,
    e10_heartbeat_polling_three_cycles,
    e10_heartbeat_websocket_three_cycles,
    e11_ping_timeout_polling_exact_deadline,
    e11_ping_timeout_websocket,
    e12_client_close_polling,
    e12_client_close_before_the_poll_arrives,
    e12_client_close_websocket,
    e13_upgrade,
    e13_pending_get_released_by_probe,
    e14_polling_after_upgrade_gives_400,
    e14_back_to_back_probe_upgrade_then_get,
    e15_second_websocket_for_the_same_sid_is_closed,
    e16_websocket_echo_text_and_binary,
    e16_binary_over_polling_is_base64,
    e17_invalid_packet_on_websocket_closes_it,
    unknown_sid_gives_400,
);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn assert_handshake(
    t: &Target,
    raw: &str,
    upgrades: serde_json::Value,
) -> serde_json::Map<String, serde_json::Value> {
    let open = parse_open(raw);
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
    if t.ours() {
        let sid = open["sid"].as_str().unwrap();
        assert_eq!(
            raw,
            format!(
                r#"0{{"sid":"{sid}","upgrades":{upgrades},"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}}"#
            ),
            "our key order"
        );
        assert_eq!(sid.len(), 22, "16 random bytes in base64url");
    }
    open
}

/// A 400 with Engine.IO's error body `{"code":..,"message":..}` (wording checked on ours).
fn assert_error(t: &Target, r: &Response, code: u8, message: &str, what: &str) {
    assert_eq!(r.status, 400, "{what}: {}", r.text());
    if t.ours() {
        assert_eq!(r.header("content-type"), Some("application/json"), "{what}");
        assert_eq!(
            r.text(),
            format!(r#"{{"code":{code},"message":"{message}"}}"#),
            "{what}"
        );
    }
}

fn ws_uri(path: &str, sid: Option<&str>) -> String {
    match sid {
        Some(sid) => format!("{path}?EIO=4&transport=websocket&sid={sid}"),
        None => format!("{path}?EIO=4&transport=websocket"),
    }
}

/// A fresh websocket session at `/engine.io/`, open packet read; returns it and its sid.
async fn ws_session(t: &Target) -> (Ws, String) {
    let mut ws = Ws::dial(t.addr, &ws_uri(EIO, None)).await.unwrap();
    let open = assert_handshake(t, &ws.text().await, json!([]));
    let sid = open["sid"].as_str().unwrap().to_owned();
    (ws, sid)
}

/// Polling session + upgraded websocket (2probe/3probe/5 done).
async fn upgraded(t: &Target) -> (Polling, Ws) {
    let (p, _) = Polling::open(t.addr, EIO).await;
    let mut ws = Ws::dial(t.addr, &ws_uri(EIO, Some(&p.sid)))
        .await
        .expect("upgrade websocket");
    ws.send_text("2probe").await;
    assert_eq!(ws.text().await, "3probe");
    ws.send_text("5").await;
    // A message sent after `5` on the same socket is echoed over it: the upgrade is done.
    ws.send_text("4upgraded").await;
    assert_eq!(ws.recv_text().await, "4upgraded");
    (p, ws)
}

// ---------------------------------------------------------------------------------------------
// E1–E5: handshake, validation
// ---------------------------------------------------------------------------------------------

async fn e1_polling_handshake(t: &Target) {
    for path in t.paths() {
        let mut sids = Vec::new();
        for _ in 0..2 {
            let r = http_ok(
                t.addr,
                "GET",
                &format!("{path}?EIO=4&transport=polling"),
                b"",
            )
            .await;
            assert_eq!(r.status, 200);
            if t.ours() {
                assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
            }
            let open = assert_handshake(t, &r.text(), json!(["websocket"]));
            sids.push(open["sid"].as_str().unwrap().to_owned());
        }
        assert_ne!(sids[0], sids[1], "sids are unique");
    }
    t.count(2);
}

async fn e2_websocket_handshake(t: &Target) {
    for path in t.paths() {
        let mut ws = Ws::dial(t.addr, &ws_uri(path, None))
            .await
            .expect("websocket");
        let open = assert_handshake(t, &ws.text().await, json!([]));
        if let Some(e) = &t.engine {
            let conn = e.next_open().await;
            assert_eq!(conn.sid(), open["sid"].as_str().unwrap());
            assert_eq!(conn.transport(), Transport::Websocket);
            assert_eq!(
                conn.request().remote_addr().map(|a| a.ip()),
                Some(t.addr.ip())
            );
            assert_eq!(conn.request().query("EIO").as_deref(), Some("4"));
        }
    }
}

async fn e3_query_validation_gives_400(t: &Target) {
    let unsupported = "Unsupported protocol version";
    let unknown = "Transport unknown";
    for (q, code, message) in [
        ("transport=polling", 5, unsupported),
        ("EIO=abc&transport=polling", 5, unsupported),
        ("EIO=3&transport=polling", 5, unsupported),
        ("EIO=5&transport=polling", 5, unsupported),
        ("EIO=4", 0, unknown),
        ("EIO=4&transport=abc", 0, unknown),
        ("EIO=4&transport=", 0, unknown),
    ] {
        let r = http_ok(t.addr, "GET", &format!("{EIO}?{q}"), b"").await;
        assert_error(t, &r, code, message, &format!("GET ?{q}"));
    }
    if t.ours() {
        // A websocket handshake without the upgrade headers.
        let r = http_ok(t.addr, "GET", &ws_uri(EIO, None), b"").await;
        assert_error(t, &r, 3, "Bad request", "websocket GET without upgrade");
        // Without the trailing slash the engine answers too.
        let r = http_ok(t.addr, "GET", "/engine.io?EIO=4&transport=polling", b"").await;
        assert_eq!(r.status, 200, "no trailing slash: {}", r.text());
        t.count(1);
    }
}

async fn e4_handshake_with_wrong_method_gives_400(t: &Target) {
    for m in ["POST", "PUT"] {
        let r = http_ok(
            t.addr,
            m,
            &format!("{EIO}?EIO=4&transport=polling"),
            b"4hello",
        )
        .await;
        assert_error(t, &r, 2, "Bad handshake method", &format!("{m} handshake"));
    }
    if t.ours() {
        // Another method on a live session.
        let (p, _) = Polling::open(t.addr, EIO).await;
        let r = http_ok(t.addr, "PUT", &p.url(), b"").await;
        assert_error(t, &r, 3, "Bad request", "PUT on a session");
    }
}

async fn e5_websocket_with_bad_query_is_refused(t: &Target) {
    for q in [
        "transport=websocket",
        "EIO=abc&transport=websocket",
        "EIO=3&transport=websocket",
        "EIO=4&transport=abc",
        "EIO=4",
    ] {
        match Ws::dial(t.addr, &format!("{EIO}?{q}")).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 400, "websocket ?{q}");
            }
            Err(e) => assert!(!t.ours(), "websocket ?{q}: expected a 400, got {e}"),
            Ok(mut ws) => {
                assert!(!t.ours(), "websocket ?{q} must be refused with a 400");
                let f = ws.next().await;
                assert_eq!(
                    f,
                    Frame::Closed,
                    "websocket ?{q} must be refused, got {f:?}"
                );
            }
        }
    }
    t.count(0);
}

// ---------------------------------------------------------------------------------------------
// E6–E9: polling
// ---------------------------------------------------------------------------------------------

async fn e6_polling_post_answers_ok(t: &Target) {
    let (p, _) = Polling::open(t.addr, EIO).await;
    let r = p.post(b"4hello\x1e4world").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    if t.ours() {
        assert_eq!(r.header("content-type"), Some("text/html"));
    }
}

async fn e7_polling_get_returns_the_echo(t: &Target) {
    let cases: [(&[u8], &str); 3] = [
        (b"4hello", "4hello"),
        (b"4test1\x1e4test2\x1e4test3", "4test1\x1e4test2\x1e4test3"),
        (b"4hello\x1ebAQIDBA==", "4hello\x1ebAQIDBA=="),
    ];
    for (post, want) in cases {
        let (p, _) = Polling::open(t.addr, EIO).await;
        assert_eq!(p.post(post).await.text(), "ok");
        let r = p.get().await;
        assert_eq!(r.status, 200);
        assert_eq!(r.text(), want, "a single GET drains the queue in order");
    }
    if let Some(e) = &t.engine {
        assert_eq!(
            e.received()[4..],
            [
                Message::Text("hello".into()),
                Message::Binary(bytes::Bytes::from_static(&[1, 2, 3, 4]))
            ],
            "a binary packet reaches the handler decoded"
        );
    }
}

async fn e7_pending_get_is_woken_by_a_message(t: &Target) {
    let (p, _) = Polling::open(t.addr, EIO).await;
    let get = t.pending_get(&p).await;
    assert_eq!(p.post(b"4late").await.text(), "ok");
    let (status, body) = within("the pending GET", STEP, get).await.unwrap();
    assert_eq!((status, body.as_str()), (200, "4late"));
}

async fn e8_invalid_packet_in_post_closes_the_session(t: &Target) {
    let (p, _) = Polling::open(t.addr, EIO).await;
    let (other, _) = Polling::open(t.addr, EIO).await;
    match p.try_post(b"abc").await {
        Ok(r)
            if r.status == 200
                && node_reference_deviation("answers an invalid POST with 200 ok") => {}
        Ok(r) => assert_error(t, &r, 3, "Bad request", "POST abc"),
        Err(_) => assert!(!t.ours(), "we answer an invalid POST"), // aborting is allowed
    }
    let r = p.get().await;
    assert_eq!(r.status, 400, "the session is closed: {}", r.text());
    t.closed(&p.sid, CloseReason::ParseError).await;
    // The other session is untouched.
    assert_eq!(other.post(b"4still").await.text(), "ok");
    assert_eq!(other.get().await.text(), "4still");
    // Valid packets before the invalid one are not delivered either.
    let (p, _) = Polling::open(t.addr, EIO).await;
    let r = p.try_post(b"4first\x1ebnot base64!").await;
    if let Ok(r) = r {
        assert_eq!(r.status, 400, "POST with a bad second packet: {}", r.text());
    }
    if let Some(e) = &t.engine {
        assert_eq!(e.received(), [Message::Text("still".into())]);
    }
}

async fn e9_duplicate_get_closes_the_session(t: &Target) {
    let (p, _) = Polling::open(t.addr, EIO).await;
    let started = Instant::now();
    // On the engine the first GET is pending before the second is sent; over the test bed's
    // socket whichever GET the server sees first is the pending one.
    let first = t.pending_get(&p).await;
    let second = p.get().await;
    let first = within("the first GET", STEP, first).await.unwrap();
    let mut got = [first, (second.status, second.text())];
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
    if t.ours() {
        assert_eq!(
            got[1].1, r#"{"code":3,"message":"Bad request"}"#,
            "the duplicate GET's body"
        );
    }
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "answered at once, not at the next ping"
    );
    let r = p.get().await;
    assert_eq!(r.status, 400, "the session is closed");
    t.closed(&p.sid, CloseReason::TransportError).await;
}

// ---------------------------------------------------------------------------------------------
// E10–E12: heartbeat, close
// ---------------------------------------------------------------------------------------------

async fn e10_heartbeat_polling_three_cycles(t: &Target) {
    let (p, _) = Polling::open(t.addr, EIO).await;
    for cycle in 0..3 {
        let started = Instant::now();
        let r = p.get().await;
        assert_eq!((r.status, r.text().as_str()), (200, "2"), "cycle {cycle}");
        // The ping comes one pingInterval (300 ms) after the handshake or the last pong.
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "ping came too early"
        );
        let r = p.post(b"3").await;
        assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    }
    t.count(1);
}

async fn e10_heartbeat_websocket_three_cycles(t: &Target) {
    let (mut ws, _) = ws_session(t).await;
    for cycle in 0..3 {
        assert_eq!(ws.text().await, "2", "cycle {cycle}");
        ws.send_text("3").await;
    }
    ws.send_text("4still-here").await;
    assert_eq!(ws.recv_text().await, "4still-here");
}

async fn e11_ping_timeout_polling_exact_deadline(t: &Target) {
    let before = Instant::now();
    let (p, _) = Polling::open(t.addr, EIO).await;
    let opened = Instant::now();
    match &t.engine {
        // The engine says when it closed the session: pingInterval + pingTimeout after the
        // handshake, exactly.
        Some(e) => {
            assert_eq!(
                e.next_close().await,
                (p.sid.clone(), CloseReason::PingTimeout)
            );
            assert!(
                before.elapsed() >= Duration::from_millis(500),
                "closed early"
            );
            let late = opened.elapsed();
            assert!(late < Duration::from_millis(600), "closed late: {late:?}");
        }
        // The behaviour under test is a deadline: wait past pingInterval + pingTimeout.
        None => tokio::time::sleep_until(opened + Duration::from_millis(300 + 200 + 40)).await,
    }
    let r = p.get().await;
    assert_eq!(
        r.status,
        400,
        "session must be closed at the deadline: {}",
        r.text()
    );
    t.count(0);
}

async fn e11_ping_timeout_websocket(t: &Target) {
    let (mut ws, sid) = ws_session(t).await;
    let started = Instant::now();
    assert_eq!(ws.text().await, "2");
    // Do not answer the ping: the server closes within pingTimeout (plus slack).
    match ws.next_within(Duration::from_millis(1000)).await {
        Some(Frame::Closed) => {}
        other => panic!("expected close after the ping timeout, got {other:?}"),
    }
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "closed before the timeout"
    );
    t.closed(&sid, CloseReason::PingTimeout).await;
}

async fn e12_client_close_polling(t: &Target) {
    let (p, _) = Polling::open(t.addr, EIO).await;
    let pending = t.pending_get(&p).await;
    let r = p.post(b"1").await;
    assert_eq!(r.status, 200);
    let got = within("the pending GET", STEP, pending).await.unwrap();
    assert_eq!(got, (200, "6".to_owned()), "the pending GET gets a noop");
    t.closed(&p.sid, CloseReason::TransportClose).await;
    let r = p.get().await;
    assert_eq!(r.status, 400, "the session is closed");
}

async fn e12_client_close_before_the_poll_arrives(t: &Target) {
    // The official suite fires the GET and the POST `1` together; the POST may win.
    let (p, _) = Polling::open(t.addr, EIO).await;
    assert_eq!(p.post(b"1").await.text(), "ok");
    t.closed(&p.sid, CloseReason::TransportClose).await;
    let late = p.get().await;
    assert_eq!(
        (late.status, late.text().as_str()),
        (200, "6"),
        "the late GET"
    );
    assert_eq!(p.get().await.status, 400);
    assert_eq!(p.post(b"4x").await.status, 400);
}

async fn e12_client_close_websocket(t: &Target) {
    let (mut ws, sid) = ws_session(t).await;
    ws.send_text("1").await;
    if node_reference_deviation("ignores a close packet on a websocket") {
        return;
    }
    ws.expect_closed(Duration::from_millis(1000), "close packet 1")
        .await;
    t.closed(&sid, CloseReason::TransportClose).await;
}

// ---------------------------------------------------------------------------------------------
// E13–E17: upgrade, websocket
// ---------------------------------------------------------------------------------------------

async fn e13_upgrade(t: &Target) {
    let (p, _) = Polling::open(t.addr, EIO).await;
    let mut ws = Ws::dial(t.addr, &ws_uri(EIO, Some(&p.sid)))
        .await
        .expect("upgrade websocket accepted");
    ws.send_text("2probe").await;
    assert_eq!(
        ws.text().await,
        "3probe",
        "no handshake on the upgrading socket"
    );
    let started = Instant::now();
    let r = p.get().await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "6"),
        "noop while upgrading"
    );
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "noop at once, not at the next ping"
    );
    ws.send_text("5").await;
    ws.send_text("4hello").await;
    assert_eq!(ws.recv_text().await, "4hello");
    if let Some(e) = &t.engine {
        assert_eq!(e.next_open().await.transport(), Transport::Websocket);
    }
    t.count(1);
}

async fn e13_pending_get_released_by_probe(t: &Target) {
    let (p, _) = Polling::open(t.addr, EIO).await;
    // A GET that arrives after the probe is answered the same way (noop while upgrading).
    let pending = t.pending_get(&p).await;
    let mut ws = Ws::dial(t.addr, &ws_uri(EIO, Some(&p.sid))).await.unwrap();
    ws.send_text("2probe").await;
    assert_eq!(ws.text().await, "3probe");
    let got = within("the pending GET", STEP, pending).await.unwrap();
    assert_eq!(got, (200, "6".to_owned()));
}

async fn e14_polling_after_upgrade_gives_400(t: &Target) {
    let (p, mut ws) = upgraded(t).await;
    let r = p.get().await;
    assert_error(t, &r, 3, "Bad request", "GET after the upgrade");
    ws.send_text("4hello").await;
    assert_eq!(ws.recv_text().await, "4hello");
    // The heartbeat carries on over the websocket.
    assert_eq!(ws.text().await, "2");
}

async fn e14_back_to_back_probe_upgrade_then_get(t: &Target) {
    // The official suite's sequence: `2probe` and `5` back to back, then a GET at once.
    let (p, _) = Polling::open(t.addr, EIO).await;
    let mut ws = Ws::dial(t.addr, &ws_uri(EIO, Some(&p.sid))).await.unwrap();
    ws.send_text("2probe").await;
    ws.send_text("5").await;
    assert_eq!(ws.text().await, "3probe");
    // An echo proves `5` was handled (the official suite relies on TCP timing instead).
    ws.send_text("4sync").await;
    assert_eq!(ws.recv_text().await, "4sync");
    let r = p.get().await;
    assert_eq!(r.status, 400, "GET after 2probe+5: {}", r.text());
    ws.send_text("4hello").await;
    assert_eq!(ws.recv_text().await, "4hello");
}

async fn e15_second_websocket_for_the_same_sid_is_closed(t: &Target) {
    let (p, mut ws) = upgraded(t).await;
    match Ws::dial(t.addr, &ws_uri(EIO, Some(&p.sid))).await {
        Err(e) => assert!(!t.ours(), "we accept and close the second websocket: {e}"),
        Ok(mut second) => {
            second.send_text("2probe").await;
            second
                .expect_closed(Duration::from_millis(1000), "second websocket for the sid")
                .await;
            if t.ours() {
                assert_eq!(second.close_code(), Some(1000), "closed normally");
            }
        }
    }
    ws.send_text("4hello").await;
    assert_eq!(
        ws.recv_text().await,
        "4hello",
        "first websocket keeps working"
    );
}

async fn e16_websocket_echo_text_and_binary(t: &Target) {
    let (mut ws, _) = ws_session(t).await;
    ws.send_text("4hello").await;
    assert_eq!(ws.recv().await, Frame::Text("4hello".into()));
    ws.send_binary(&[1, 2, 3, 4]).await;
    assert_eq!(ws.recv().await, Frame::Binary(vec![1, 2, 3, 4]));
}

async fn e16_binary_over_polling_is_base64(t: &Target) {
    // A binary message is `b` + base64 on polling.
    let (p, _) = Polling::open(t.addr, EIO).await;
    assert_eq!(p.post(b"bAAEC/w==").await.text(), "ok");
    assert_eq!(p.get().await.text(), "bAAEC/w==");
}

async fn e17_invalid_packet_on_websocket_closes_it(t: &Target) {
    let (mut ws, sid) = ws_session(t).await;
    let (mut other, _) = ws_session(t).await;
    ws.send_text("abc").await;
    ws.expect_closed(Duration::from_millis(1000), "invalid packet abc")
        .await;
    t.closed(&sid, CloseReason::ParseError).await;
    other.send_text("4ok").await;
    assert_eq!(
        other.recv_text().await,
        "4ok",
        "the other socket is untouched"
    );
}

async fn unknown_sid_gives_400(t: &Target) {
    for path in t.paths() {
        for m in ["GET", "POST"] {
            let r = http_ok(
                t.addr,
                m,
                &format!("{path}?EIO=4&transport=polling&sid=doesnotexist"),
                b"4x",
            )
            .await;
            assert_error(t, &r, 1, "Session ID unknown", &format!("{m} {path}"));
        }
        match Ws::dial(t.addr, &ws_uri(path, Some("doesnotexist"))).await {
            Err(_) => {}
            Ok(mut ws) => {
                ws.send_text("2probe").await;
                ws.expect_closed(Duration::from_millis(1000), "websocket with unknown sid")
                    .await;
            }
        }
    }
}
