//! Interop with socket.io-client 2.x (Engine.IO v3, Socket.IO protocol v4; tests/js2/runner.cjs,
//! installed by `tests/install/npm.sh` from tests/js2's lockfile) against the test bed with
//! `ALLOW_EIO3=1`: connect (the `/chat` token from the handshake query) and rejection, echo
//! of every JSON type and bytes, multi-value acks, server callbacks, rooms with the sender
//! skipped, broadcast, server disconnect, idle clients kept by their heartbeat, a message over max payload, over websocket, polling and the upgrade; and a 2.x
//! client beside a 4.x client in one room, each reaching the other.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::Duration;

use serde_json::{Value, json};
use socketio_tests::*;

const LIMIT: Duration = Duration::from_secs(120);

async fn run(test: &str, scenario: &str, transport: &str, input: Value) -> Option<Value> {
    let c = clients(test).await?;
    let opts = Options {
        allow_eio3: true,
        ..Options::default()
    };
    let srv = start_testbed(opts).await;
    if srv.is_external() {
        skip(test, "needs the in-process test bed with ALLOW_EIO3=1");
        return None;
    }
    let root = repo_root();
    let node2 = root.join(".interop/node2/node_modules");
    let out = within(
        &format!("socket.io-client 2.x scenario {scenario} over {transport}"),
        LIMIT,
        tokio::process::Command::new(&c.node)
            .arg(root.join("tests/js2/runner.cjs"))
            .arg(scenario)
            .arg(srv.url())
            .arg(transport)
            .env("INTEROP_NODE2_MODULES", &node2)
            .env("INTEROP_NODE_MODULES", c.node_dir.join("node_modules"))
            .env("INTEROP_INPUT", input.to_string())
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|e| panic!("cannot run node: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{scenario} over {transport} failed ({}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    let report = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .unwrap_or_else(|| panic!("no JSON report:\nstdout: {stdout}\nstderr: {stderr}"));
    srv.shutdown().await;
    Some(report)
}

fn final_transport(transport: &str) -> &'static str {
    if transport == "polling" {
        "polling"
    } else {
        "websocket"
    }
}

fn echo_values() -> Value {
    json!([
        [null], [true], [false], [0], [-1], [1.5], [""], ["héllo ☃ 😀"], [[]], [{}],
        [[1, [2, [3]]]], [{"a": {"b": [null]}}],
        [1, "two", {"3": [true]}],
        [{"$bytes": "0001ff"}],
        [{"bin": {"$bytes": "dead"}, "list": [{"$bytes": "beef"}, "x"]}],
        ["text", {"$bytes": ""}, [{"$bytes": "01"}, {"$bytes": "02"}]],
        []
    ])
}

async fn connect(test: &str, transport: &str) {
    let Some(r) = run(test, "connect", transport, json!({})).await else {
        return;
    };
    for client in ["A", "B"] {
        assert_eq!(r[client]["transport"], final_transport(transport), "{r}");
        // Protocol-v4 clients send no auth payload: `{}` is their greeting.
        assert_eq!(r[client]["/"]["greeting"], json!([{}]), "{r}");
        assert_eq!(r[client]["/custom"]["greeting"], json!([{}]), "{r}");
    }
    let welcome = &r["B"]["/chat"]["greeting"];
    assert!(
        welcome[0]["sid"].as_str().is_some_and(|s| !s.is_empty()),
        "welcome {{sid}} on /chat with the token from the query: {r}"
    );
}

async fn reject(test: &str, transport: &str) {
    let Some(r) = run(test, "reject", transport, json!({})).await else {
        return;
    };
    // Protocol v4's CONNECT_ERROR carries the error's data, as Node's server sends it.
    for case in ["bad", "none"] {
        assert_eq!(r[case]["error"], json!({"reason": "bad token"}), "{r}");
        assert_eq!(r[case]["connected"], json!(false), "{r}");
    }
}

async fn echo(test: &str, transport: &str, namespace: &str) {
    let values = echo_values();
    let input = json!({ "values": values, "namespace": namespace });
    let Some(r) = run(test, "echo", transport, input).await else {
        return;
    };
    assert_eq!(r["results"], values, "every value round-trips: {r}");
    assert_eq!(r["transport"], final_transport(transport), "{r}");
}

async fn request_callback(test: &str, transport: &str) {
    let args = json!([1, "x", {"b": {"$bytes": "0a0b"}}]);
    let Some(r) = run(test, "request_callback", transport, json!({ "args": args })).await else {
        return;
    };
    assert_eq!(r["ask"], args, "{r}");
    let mut answer = vec![json!("got")];
    answer.extend(args.as_array().unwrap().iter().cloned());
    assert_eq!(r["answer"], Value::Array(answer), "{r}");
}

async fn rooms(test: &str, transport: &str) {
    let Some(r) = run(test, "rooms", transport, json!({})).await else {
        return;
    };
    assert_eq!(r["acks"], json!(vec![true; 8]), "{r}");
    assert_eq!(r["received"], json!({"A": [], "B": [1], "C": [3]}), "{r}");
}

async fn disconnect_me(test: &str, transport: &str) {
    let Some(r) = run(test, "disconnect_me", transport, json!({})).await else {
        return;
    };
    assert_eq!(r["reason"], "io server disconnect", "{r}");
    assert_eq!(r["custom_connected"], json!(false), "{r}");
    assert_eq!(r["main_echo"], json!(["alive"]), "{r}");
    assert_eq!(r["transport"], final_transport(transport), "{r}");
}

async fn payload(test: &str, transport: &str) {
    let max = Options::default().max_payload;
    let input = json!({ "ok_size": max - 2000, "big_size": max + 1000 });
    let Some(r) = run(test, "payload", transport, input).await else {
        return;
    };
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
}

async fn idle(test: &str, transport: &str) {
    // 3 s of silence is ten heartbeat periods of the test bed (300 ms + 200 ms).
    let input = json!({ "ms": 3000, "clients": 3 });
    let Some(r) = run(test, "idle", transport, input).await else {
        return;
    };
    assert_eq!(r["disconnects"], json!(0), "{r}");
    assert_eq!(r["connected"], json!(3), "{r}");
    assert_eq!(
        r["echoes"],
        json!([["after-idle"], ["after-idle"], ["after-idle"]]),
        "{r}"
    );
}

async fn mixed(test: &str, transport: &str) {
    let Some(r) = run(test, "mixed", transport, json!({})).await else {
        return;
    };
    assert_eq!(r["acks"], json!(vec![true; 6]), "{r}");
    assert_eq!(
        r["received"],
        json!({
            "v4": [{"from": "v3", "b": {"$bytes": "0102"}}],
            "v3": [{"from": "v4", "b": {"$bytes": "03"}}],
        }),
        "{r}"
    );
    assert_eq!(r["broadcast"], json!("hi"), "{r}");
    assert_eq!(r["broadcast_back"], json!("back"), "{r}");
    let t = final_transport(transport);
    assert_eq!(r["transports"], json!([t, t]), "{r}");
}

macro_rules! per_transport {
    ($($name:ident($($arg:expr),*)),* $(,)?) => {
        $(mod $name {
            #[tokio::test]
            async fn websocket() {
                super::$name(concat!(stringify!($name), "::websocket"), "websocket" $(, $arg)*).await;
            }
            #[tokio::test]
            async fn polling() {
                super::$name(concat!(stringify!($name), "::polling"), "polling" $(, $arg)*).await;
            }
            #[tokio::test]
            async fn upgrade() {
                super::$name(concat!(stringify!($name), "::upgrade"), "upgrade" $(, $arg)*).await;
            }
        })*
    };
}

async fn echo_root(test: &str, transport: &str) {
    echo(test, transport, "/").await;
}

async fn echo_chat(test: &str, transport: &str) {
    echo(test, transport, "/chat").await;
}

per_transport!(
    connect(),
    reject(),
    echo_root(),
    echo_chat(),
    request_callback(),
    rooms(),
    disconnect_me(),
    payload(),
    idle(),
    mixed(),
);
