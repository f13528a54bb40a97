//! `METRICS=1`: the test bed serves Prometheus text at `/metrics`, and the numbers move with
//! real traffic (connect, events, acks, rooms, upgrades, limit hits, disconnect).
//!
//! The recorder is global to the process, so this file holds one test and asserts on
//! differences between scrapes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use socketio_tests::{Frame, Polling, STEP, Sio, Ws, http_ok, start_testbed, within};
use testbed::Options;

/// One scrape: `series` (name with its labels, as printed) -> value.
#[derive(Debug)]
struct Scrape(HashMap<String, f64>);

impl Scrape {
    async fn take(addr: SocketAddr) -> Scrape {
        let r = http_ok(addr, "GET", "/metrics", b"").await;
        assert_eq!(r.status, 200, "/metrics: {}", r.text());
        let mut out = HashMap::new();
        for line in r.text().lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (series, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("not a sample line: {line:?}"));
            let value: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line:?}"));
            out.insert(series.to_string(), value);
        }
        Scrape(out)
    }

    /// The value of `series` (`name` or `name{label="v",...}`), 0 when absent.
    fn get(&self, series: &str) -> f64 {
        self.0.get(series).copied().unwrap_or(0.0)
    }

    /// The sum over every series of metric `name`, whatever its labels.
    fn sum(&self, name: &str) -> f64 {
        self.0
            .iter()
            .filter(|(k, _)| *k == name || k.starts_with(&format!("{name}{{")))
            .map(|(_, v)| v)
            .sum()
    }
}

/// Scrape until `ok` holds (bounded by [`STEP`]); a gauge that follows a close may lag the
/// client's view by a few milliseconds.
async fn scrape_until(addr: SocketAddr, what: &str, ok: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        let s = Scrape::take(addr).await;
        if ok(&s) {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {s:#?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Send `42<nsp><id>[<event>, <json>]` and wait for its ack `43<nsp><id>[...]`.
async fn call(sio: &mut Sio, nsp: &str, id: u64, event: &str, json: &str) -> String {
    let prefix = if nsp.is_empty() {
        String::new()
    } else {
        format!("{nsp},")
    };
    sio.ws
        .send_text(&format!("42{prefix}{id}[\"{event}\",{json}]"))
        .await;
    let want = format!("43{prefix}{id}");
    within(&format!("ack {want}"), STEP, async {
        loop {
            match sio.ws.next().await {
                Frame::Text(t) if t == "2" => sio.ws.send_text("3").await,
                Frame::Text(t) if t.starts_with(&want) => return t,
                Frame::Closed => panic!("closed while waiting for {want}"),
                _ => {}
            }
        }
    })
    .await
}

const WS: &str = r#"{transport="websocket"}"#;
const POLLING: &str = r#"{transport="polling"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_with_real_traffic() {
    let server = start_testbed(Options {
        ping_interval: Duration::from_millis(1000),
        ping_timeout: Duration::from_millis(5000),
        max_payload: 10_000,
        metrics: true,
        ..Options::default()
    })
    .await;
    if server.is_external() {
        socketio_tests::loud("SKIPPED: observe_metrics: needs the in-process test bed");
        return;
    }
    let addr = server.addr;
    let before = Scrape::take(addr).await;
    assert_eq!(before.get(&format!("socketio_engine_connections{WS}")), 0.0);

    // Two websocket clients on `/`, one in `/chat`; events with acks and rooms.
    let mut a = Sio::connect(addr).await;
    let mut b = Sio::connect(addr).await;
    b.join_chat().await;
    let open = scrape_until(addr, "2 websocket connections", |s| {
        s.get(&format!("socketio_engine_connections{WS}")) == 2.0
    })
    .await;
    assert_eq!(
        open.get(&format!("socketio_engine_connections_opened_total{WS}")),
        2.0
    );
    assert_eq!(call(&mut a, "", 1, "echo", "\"hi\"").await, r#"431["hi"]"#);
    assert_eq!(
        call(&mut a, "", 2, "join", r#"{"room":"r"}"#).await,
        "432[true]"
    );
    assert_eq!(
        call(&mut b, "", 3, "join", r#"{"room":"r"}"#).await,
        "433[true]"
    );
    let to_room = r#"{"room":"r","event":"news","data":1}"#;
    assert_eq!(call(&mut a, "", 4, "to_room", to_room).await, "434[true]");
    let news = within("news in b", STEP, async {
        loop {
            match b.ws.next().await {
                Frame::Text(t) if t.starts_with("42[\"news\"") => return t,
                Frame::Text(t) if t == "2" => b.ws.send_text("3").await,
                Frame::Closed => panic!("b closed"),
                _ => {}
            }
        }
    })
    .await;
    assert_eq!(news, r#"42["news",1]"#);
    assert_eq!(
        call(&mut b, "/chat", 5, "echo", "\"c\"").await,
        r#"43/chat,5["c"]"#
    );

    // A server-to-client call: `ask` with an ack request, answered by the client.
    a.ws.send_text(r#"42["request_callback","q"]"#).await;
    let ask_id = within("ask", STEP, async {
        loop {
            match a.ws.next().await {
                Frame::Text(t) if t.starts_with("42") && t.ends_with(r#"["ask","q"]"#) => {
                    return t[2..t.len() - r#"["ask","q"]"#.len()].to_string();
                }
                Frame::Text(t) if t == "2" => a.ws.send_text("3").await,
                Frame::Closed => panic!("a closed"),
                _ => {}
            }
        }
    })
    .await;
    assert!(!ask_id.is_empty(), "ask without an ack id");
    a.ws.send_text(&format!(r#"43{ask_id}["a"]"#)).await;
    within("answer", STEP, async {
        loop {
            match a.ws.next().await {
                Frame::Text(t) if t == r#"42["answer","a"]"# => return,
                Frame::Text(t) if t == "2" => a.ws.send_text("3").await,
                Frame::Closed => panic!("a closed"),
                _ => {}
            }
        }
    })
    .await;

    let busy = Scrape::take(addr).await;
    // The Socket.IO layer, by namespace.
    let root = r#"{namespace="/"}"#;
    let chat = r#"{namespace="/chat"}"#;
    assert_eq!(busy.get(&format!("socketio_sockets{root}")), 2.0);
    assert_eq!(busy.get(&format!("socketio_sockets{chat}")), 1.0);
    assert_eq!(busy.get(&format!("socketio_rooms{root}")), 1.0, "room r");
    assert!(busy.get("socketio_namespaces") >= 3.0);
    // echo, join, join, to_room, request_callback on `/`; echo on `/chat`.
    assert_eq!(
        busy.get(&format!("socketio_events_received_total{root}")),
        5.0
    );
    assert_eq!(
        busy.get(&format!("socketio_events_received_total{chat}")),
        1.0
    );
    assert_eq!(busy.get(&format!("socketio_acks_sent_total{root}")), 4.0);
    assert_eq!(busy.get(&format!("socketio_acks_sent_total{chat}")), 1.0);
    assert_eq!(
        busy.get(&format!("socketio_acks_received_total{root}")),
        1.0
    );
    // Greetings (2 `auth`), `news`, `ask`, `answer` on `/`; `welcome` on `/chat`.
    assert_eq!(busy.get(&format!("socketio_events_sent_total{root}")), 5.0);
    assert_eq!(busy.get(&format!("socketio_events_sent_total{chat}")), 1.0);
    assert_eq!(
        busy.get(&format!("socketio_handler_duration_seconds_count{root}")),
        5.0
    );
    assert!(busy.get(&format!("socketio_handler_duration_seconds_sum{root}")) > 0.0);

    let frames_in = busy.get(&format!("socketio_engine_frames_received_total{WS}"));
    let bytes_in = busy.get(&format!("socketio_engine_bytes_received_total{WS}"));
    let frames_out = busy.get(&format!("socketio_engine_frames_sent_total{WS}"));
    let bytes_out = busy.get(&format!("socketio_engine_bytes_sent_total{WS}"));
    // Three CONNECTs and five events at least, each a frame of a few bytes.
    assert!(frames_in >= 8.0, "frames in: {frames_in}");
    assert!(bytes_in >= frames_in * 2.0, "bytes in: {bytes_in}");
    // Open packets, CONNECT replies, greetings, acks and `news`.
    assert!(frames_out >= 12.0, "frames out: {frames_out}");
    assert!(bytes_out > frames_out, "bytes out: {bytes_out}");

    // A polling client that upgrades.
    let (p, _) = Polling::open(addr, "/socket.io/").await;
    let polling = scrape_until(addr, "a polling connection", |s| {
        s.get(&format!("socketio_engine_connections{POLLING}")) == 1.0
    })
    .await;
    assert_eq!(polling.get("socketio_engine_upgrades_total"), 0.0);
    let r = p.post(b"40").await;
    assert_eq!(r.status, 200);
    let connected = p.get_skip_pings().await;
    assert!(connected.starts_with("40{\"sid\""), "{connected}");
    let mut up = Ws::dial(
        addr,
        &format!("/socket.io/?EIO=4&transport=websocket&sid={}", p.sid),
    )
    .await
    .expect("upgrade websocket");
    up.send_text("2probe").await;
    assert_eq!(up.text().await, "3probe");
    up.send_text("5").await;
    let upgraded = scrape_until(addr, "the upgrade", |s| {
        s.get("socketio_engine_upgrades_total") == 1.0
    })
    .await;
    assert_eq!(
        upgraded.get(&format!("socketio_engine_connections{POLLING}")),
        0.0
    );
    assert_eq!(
        upgraded.get(&format!("socketio_engine_connections{WS}")),
        3.0
    );
    assert!(upgraded.get(&format!("socketio_engine_frames_received_total{POLLING}")) >= 1.0);
    assert!(upgraded.get(&format!("socketio_engine_bytes_sent_total{POLLING}")) > 0.0);

    // A message over max_payload is a limit hit, and closes that connection only.
    let mut big = Sio::connect(addr).await;
    big.ws
        .send_text(&format!("42[\"echo\",\"{}\"]", "x".repeat(20_000)))
        .await;
    big.ws.expect_closed(STEP, "the oversized message").await;
    let hit = scrape_until(addr, "the max_payload hit", |s| {
        s.get(r#"socketio_engine_limit_hits_total{limit="max_payload"}"#) == 1.0
    })
    .await;
    assert!(hit.sum("socketio_engine_connections_closed_total") >= 1.0);

    // Disconnect everyone: the gauges return to zero, the close counters move.
    a.ws.close().await;
    b.ws.close().await;
    up.close().await;
    let after = scrape_until(addr, "every connection closed", |s| {
        s.sum("socketio_engine_connections") == 0.0 && s.sum("socketio_sockets") == 0.0
    })
    .await;
    assert_eq!(after.get(&format!("socketio_rooms{root}")), 0.0);
    assert_eq!(after.sum("socketio_inbound_queued_events"), 0.0);
    // a and b on `/`, b on `/chat`, the upgraded client and `big` on `/`.
    assert_eq!(
        after.get(r#"socketio_disconnects_total{reason="transport close"}"#),
        4.0
    );
    assert_eq!(
        after.get(r#"socketio_disconnects_total{reason="transport error"}"#),
        1.0
    );
    assert_eq!(
        after.get(r#"socketio_engine_connections_closed_total{reason="transport close"}"#),
        3.0
    );
    assert_eq!(after.sum("socketio_engine_connections_opened_total"), 4.0);

    server.shutdown().await;
}
