//! Scenario checks shared by `interop_js.rs` and `interop_py.rs`: both runners report the
//! same JSON shape, so one assertion per behaviour covers both libraries.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::time::Duration;

use serde_json::{Value, json};
use socketio_tests::*;

/// Limit for one scenario process.
pub const LIMIT: Duration = Duration::from_secs(120);

/// Run `scenario` against a fresh test bed with `opts`; `None` when skipped.
pub async fn run(
    test: &str,
    lib: Lib,
    scenario: &str,
    transport: &str,
    opts: Options,
    input: Value,
) -> Option<(Value, TestServer)> {
    let c = clients(test).await?;
    let srv = try_start_testbed(test, opts).await?;
    let out = run_scenario(&c, lib, scenario, &srv.url(), transport, &input, LIMIT).await;
    Some((out.report, srv))
}

fn final_transport(transport: &str) -> &'static str {
    if transport == "polling" {
        "polling"
    } else {
        "websocket"
    }
}

/// The packet encoding of a scenario: the server's (test bed `PARSER`) and the client's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parser {
    /// The default JSON text encoding.
    Json,
    /// `socket.io-msgpack-parser` / python-socketio's `serializer='msgpack'`.
    Msgpack,
}

/// Checks one scenario's report; `lib` and `transport` select the expected details.
pub async fn scenario(test: &str, lib: Lib, name: &str, transport: &str) {
    scenario_with(test, lib, Parser::Json, name, transport).await;
}

/// [`scenario`] with the test bed and the client on `parser`.
pub async fn scenario_with(test: &str, lib: Lib, parser: Parser, name: &str, transport: &str) {
    let default = Options {
        msgpack: parser == Parser::Msgpack,
        ..Options::default()
    };
    let echo_values = json!([
        [null], [true], [false], [0], [-1], [1.5], [""], ["héllo ☃ 😀"], [[]], [{}],
        [[1, [2, [3]]]], [{"a": {"b": [null]}}],
        [1, "two", {"3": [true]}],
        [{"$bytes": "0001ff"}],
        [{"bin": {"$bytes": "dead"}, "list": [{"$bytes": "beef"}, "x"]}],
        ["text", {"$bytes": ""}, [{"$bytes": "01"}, {"$bytes": "02"}]],
        []
    ]);
    let load = Options {
        msgpack: default.msgpack,
        ..load_options()
    };
    let (mut input, opts) = match name {
        "echo" => (json!({ "values": echo_values }), default),
        "echo_chat" => (
            json!({ "values": echo_values, "namespace": "/chat" }),
            default,
        ),
        "request_callback" => (
            json!({ "args": [1, "x", {"b": {"$bytes": "0a0b"}}] }),
            default,
        ),
        "payload" => {
            let max = default.max_payload;
            (
                json!({ "ok_size": max - 2000, "big_size": max + 1000 }),
                default,
            )
        }
        "load" => (json!({ "clients": 200, "rounds": 20 }), load),
        "load50" => (json!({ "clients": 50, "rounds": 20 }), load),
        "idle" => (json!({ "ms": 3000, "clients": 3 }), default),
        _ => (json!({}), default),
    };
    if parser == Parser::Msgpack {
        input["parser"] = json!("msgpack");
    }
    let script = match name {
        "echo_chat" => "echo",
        "load50" => "load",
        n => n,
    };
    let Some((r, srv)) = run(test, lib, script, transport, opts, input.clone()).await else {
        return;
    };
    let want_transport = final_transport(transport);
    match name {
        "connect" => {
            for (client, nss, auth) in [
                ("A", vec!["/", "/custom"], json!({})),
                (
                    "B",
                    vec!["/", "/custom", "/chat"],
                    json!({"token": "secret"}),
                ),
            ] {
                assert_eq!(r[client]["transport"], want_transport, "{r}");
                let mut sids = Vec::new();
                for ns in nss {
                    let got = &r[client][ns];
                    let sid = got["sid"]
                        .as_str()
                        .unwrap_or_else(|| panic!("sid for {ns}: {r}"));
                    assert!(!sid.is_empty());
                    sids.push(sid.to_string());
                    if ns == "/chat" {
                        assert_eq!(got["greeting"], json!([{ "sid": sid }]), "welcome: {r}");
                    } else {
                        assert_eq!(got["greeting"], json!([auth]), "auth greeting on {ns}: {r}");
                    }
                }
                sids.sort();
                sids.dedup();
                assert_eq!(
                    sids.len(),
                    if client == "A" { 2 } else { 3 },
                    "distinct sids: {r}"
                );
            }
        }
        "reject" => {
            let want = json!({"message": "unauthorized", "data": {"reason": "bad token"}});
            assert_eq!(r["bad"], want, "{r}");
            assert_eq!(r["none"], want, "{r}");
        }
        "echo" | "echo_chat" => {
            assert_eq!(r["results"], input["values"], "every value round-trips");
            assert_eq!(r["transport"], want_transport);
        }
        "request_callback" => {
            assert_eq!(r["ask"], input["args"], "{r}");
            let mut answer = vec![json!("got")];
            answer.extend(input["args"].as_array().unwrap().iter().cloned());
            assert_eq!(r["answer"], Value::Array(answer), "{r}");
        }
        "rooms" => {
            assert_eq!(r["acks"], json!(vec![true; 8]), "{r}");
            assert_eq!(r["received"], json!({"A": [], "B": [1], "C": [3]}), "{r}");
            if lib == Lib::Js {
                assert_eq!(r["sender_got_broadcast_before_ack"], json!(true), "{r}");
            }
        }
        "disconnect_me" => {
            let reason = if lib == Lib::Js {
                "io server disconnect"
            } else {
                "server disconnect"
            };
            assert_eq!(r["reason"], reason, "{r}");
            assert_eq!(r["main_echo"], json!(["alive"]), "{r}");
            assert_eq!(r["transport"], want_transport);
        }
        "payload" => {
            assert_eq!(r["ok_roundtrip"], json!(true), "{r}");
            assert_eq!(
                r["big_acked"],
                json!(false),
                "nothing of the big message is handled: {r}"
            );
            assert!(
                r["big_reason"] == "transport error" || r["big_reason"] == "transport close",
                "{r}"
            );
            assert_eq!(
                r["alive"],
                json!(["still-here"]),
                "other clients keep working: {r}"
            );
            assert_eq!(r["fresh"], json!(["fresh"]), "new clients can connect: {r}");
        }
        "load" | "load50" => {
            let n = input["clients"].as_u64().unwrap();
            assert_eq!(r["clients"], json!(n), "{r}");
            assert_eq!(r["acks"], json!(n * 20), "nothing lost: {r}");
            assert_eq!(r["mismatches"], json!(0), "{r}");
            assert_eq!(r["disconnects"], json!(0), "{r}");
            let ws = if transport == "polling" { 0 } else { n };
            assert_eq!(r["websocket"], json!(ws), "{r}");
        }
        "idle" => {
            assert_eq!(r["disconnects"], json!(0), "{r}");
            assert_eq!(r["connected"], json!(3), "{r}");
            assert_eq!(
                r["echoes"],
                json!([["after-idle"], ["after-idle"], ["after-idle"]])
            );
        }
        other => panic!("no check for scenario {other}"),
    }
    srv.shutdown().await;
}

/// `scenario_tests!(Lib::Js; name: [transports...], ...)` → one `#[tokio::test]` per pair,
/// with the JSON parser; `scenario_tests!(Lib::Js, Msgpack; ...)` with the msgpack parser
/// (the test bed's `PARSER=msgpack` and the client's msgpack parser).
#[macro_export]
macro_rules! scenario_tests {
    ($lib:expr; $($rest:tt)*) => {
        $crate::scenario_tests!($lib, Json; $($rest)*);
    };
    ($lib:expr, $parser:ident; $($scenario:ident : [$($transport:ident),*]),* $(,)?) => {
        $( mod $scenario {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $transport() {
                    let test = concat!(module_path!(), "::", stringify!($transport));
                    $crate::interop_common::scenario_with(
                        test,
                        $lib,
                        $crate::interop_common::Parser::$parser,
                        stringify!($scenario),
                        stringify!($transport),
                    )
                    .await;
                }
            )*
        } )*
    };
}
