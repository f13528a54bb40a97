//! Connection state recovery with the official `socket.io-client` 4.8 (`connectionStateRecovery`
//! is on by default on the client: it sends `{"pid", "offset"}` when it reconnects) against the
//! test bed with `RECOVERY_MS`: the scenario `recovery` of tests/js/runner.mjs, over
//! websocket-only, polling-only and polling→websocket upgrade, with the JSON parser and with
//! `socket.io-msgpack-parser`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use serde_json::{Value, json};
use socketio_tests::*;

/// The test bed's `RECOVERY_MS`.
const RECOVERY_MS: u64 = 1500;

async fn recovery(test: &str, transport: &str, msgpack: bool) {
    let Some(c) = clients(test).await else { return };
    let opts = Options {
        recovery: Some(Duration::from_millis(RECOVERY_MS)),
        msgpack,
        ..Options::default()
    };
    let Some(srv) = try_start_testbed(test, opts).await else {
        return;
    };
    let input = json!({
        "away_ms": RECOVERY_MS + 1000,
        "parser": if msgpack { "msgpack" } else { "json" },
    });
    let out = run_scenario(
        &c,
        Lib::Js,
        "recovery",
        &srv.url(),
        transport,
        &input,
        Duration::from_secs(60),
    )
    .await;
    let r = out.report;
    let first = &r["first"];
    let id = first["id"].as_str().expect("first id");
    assert_eq!(first["recovered"], json!(false), "{r}");
    assert!(first["pid"].is_string(), "CONNECT answer without pid: {r}");
    assert!(
        first["offset"].is_string(),
        "the greeting carries an offset: {r}"
    );

    // Recovered: same id, the missed events in order (each with its offset last), then the
    // greeting; nothing for the room it is not in.
    let second = &r["second"];
    assert_eq!(second["recovered"], json!(true), "{r}");
    assert_eq!(second["id"], json!(id), "{r}");
    let log = second["log"].as_array().expect("log");
    let names: Vec<&str> = log.iter().map(|e| e[0].as_str().unwrap_or("")).collect();
    assert_eq!(
        names,
        ["connect", "to-me", "to-room", "to-all", "auth"],
        "{r}"
    );
    assert_eq!(
        log[0][1],
        json!(true),
        "recovered when `connect` fires: {r}"
    );
    let mut offsets = Vec::new();
    for (e, data) in log[1..4].iter().zip([1, 2, 4]) {
        let e = e.as_array().unwrap();
        assert_eq!(e.len(), 3, "event, data, offset: {r}");
        assert_eq!(e[1], json!(data), "{r}");
        offsets.push(e[2].as_str().expect("offset string").to_owned());
    }
    assert!(offsets.windows(2).all(|w| w[0] != w[1]), "{r}");
    // The room was kept: an emit to it after recovery arrives.
    assert_eq!(r["kept"][0], json!(5), "{r}");

    // Away longer than the duration: a fresh session.
    let third = &r["third"];
    assert_eq!(third["recovered"], json!(false), "{r}");
    assert_ne!(third["id"], json!(id), "{r}");
    let names: Vec<&str> = third["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[0].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["connect", "auth"], "{r}");
    let _: &Value = &r;
}

macro_rules! transports {
    ($msgpack:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn websocket() {
            super::recovery(
                concat!(module_path!(), "::websocket"),
                "websocket",
                $msgpack,
            )
            .await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn polling() {
            super::recovery(concat!(module_path!(), "::polling"), "polling", $msgpack).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn upgrade() {
            super::recovery(concat!(module_path!(), "::upgrade"), "upgrade", $msgpack).await;
        }
    };
}

mod json_parser {
    transports!(false);
}

mod msgpack {
    transports!(true);
}
