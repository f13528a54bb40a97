//! Interop with the official `socket.io-client` (tests/js/runner.mjs): every
//! behaviour over websocket-only, polling-only and polling→websocket upgrade, with the default
//! parser and (module `msgpack`) with `socket.io-msgpack-parser` against the test bed's
//! `PARSER=msgpack`.

mod interop_common;

scenario_tests!(socketio_tests::Lib::Js;
    connect: [websocket, polling, upgrade],
    reject: [websocket, polling, upgrade],
    echo: [websocket, polling, upgrade],
    echo_chat: [websocket, polling, upgrade],
    request_callback: [websocket, polling, upgrade],
    rooms: [websocket, polling, upgrade],
    disconnect_me: [websocket, polling, upgrade],
    payload: [websocket, polling, upgrade],
    idle: [websocket, polling, upgrade],
    load: [websocket],
    load50: [polling, upgrade],
);

mod msgpack {
    crate::scenario_tests!(socketio_tests::Lib::Js, Msgpack;
        connect: [websocket, polling, upgrade],
        reject: [websocket, polling, upgrade],
        echo: [websocket, polling, upgrade],
        echo_chat: [websocket, polling, upgrade],
        request_callback: [websocket, polling, upgrade],
        rooms: [websocket, polling, upgrade],
        disconnect_me: [websocket, polling, upgrade],
        load: [websocket],
    );
}

/// permessage-deflate with Node's `ws` (socket.io-client offers it by default): negotiated
/// with the test bed's `WS_DEFLATE=1` (directly over WebSocket and after the upgrade from
/// polling), echo and broadcast of a large string arrive compressed (the socket reads a
/// fraction of the string's size), small packets still work; without `WS_DEFLATE` nothing is
/// negotiated and the same string arrives in full.
mod deflate {
    #![allow(clippy::indexing_slicing)]

    use serde_json::{Value, json};
    use socketio_tests::{Lib, Options};

    const BIG: usize = 200_000;

    async fn run(test: &str, transport: &str, on: bool) -> Option<Value> {
        let opts = Options {
            ws_deflate: on,
            ..Options::default()
        };
        let input = json!({ "big_len": BIG });
        let (r, _srv) =
            crate::interop_common::run(test, Lib::Js, "deflate", transport, opts, input).await?;
        assert_eq!(r["transport"], json!(["websocket", "websocket"]), "{r}");
        assert_eq!(r["small"], json!(["hi", 1]), "{r}");
        assert_eq!(r["echo_ok"], true, "{r}");
        assert_eq!(r["broadcast_ok"], true, "{r}");
        Some(r)
    }

    fn bytes_read(r: &Value, key: &str) -> usize {
        r[key].as_u64().unwrap_or_else(|| panic!("{key}: {r}")) as usize
    }

    async fn negotiated(test: &str, transport: &str) {
        let Some(r) = run(test, transport, true).await else {
            return;
        };
        assert_eq!(
            r["extensions"],
            json!(["permessage-deflate", "permessage-deflate"]),
            "{r}"
        );
        for key in ["echo_bytes_read", "broadcast_bytes_read"] {
            let n = bytes_read(&r, key);
            assert!(
                n < BIG / 10,
                "{key}: {n} bytes for a {BIG}-byte string: {r}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn websocket() {
        negotiated("deflate::websocket", "websocket").await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn upgrade() {
        negotiated("deflate::upgrade", "upgrade").await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn off_by_default() {
        let Some(r) = run("deflate::off_by_default", "websocket", false).await else {
            return;
        };
        assert_eq!(r["extensions"], json!(["", ""]), "{r}");
        for key in ["echo_bytes_read", "broadcast_bytes_read"] {
            let n = bytes_read(&r, key);
            assert!(n > BIG, "{key}: {n} bytes for a {BIG}-byte string: {r}");
        }
    }
}
