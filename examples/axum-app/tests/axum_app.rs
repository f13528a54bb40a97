//! The axum guide (`docs/axum.md`), proven on a real socket: shared state, the auth and CORS
//! layers next to the engine's CORS policy, the `/api` sub-path, and graceful shutdown with
//! both `socketio::serve` and `axum::serve`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum_app::{App, Board, Config};
use serde_json::{Value, json};
use socketio_tests::{Frame, STEP, Ws, http, parse_open, within};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const ORIGIN: &str = "http://app.example";
const EVIL: &str = "http://evil.example";
const TOKEN: &str = "s3cret";
const BEARER: &str = "Bearer s3cret";
const WS_PATH: &str = "/api/socket.io/?EIO=4&transport=websocket";

#[derive(Clone, Copy)]
enum Serve {
    Socketio,
    Axum,
}

struct Running {
    addr: SocketAddr,
    app: App,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
}

async fn start(how: Serve) -> Running {
    let app = axum_app::app(&Config {
        origin: ORIGIN.into(),
        token: TOKEN.into(),
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let stop = async move {
        let _ = rx.await;
    };
    let server = match how {
        Serve::Socketio => tokio::spawn(axum_app::serve_socketio(listener, app.clone(), stop)),
        Serve::Axum => tokio::spawn(axum_app::serve_axum(listener, app.clone(), stop)),
    };
    Running {
        addr,
        app,
        stop: Some(tx),
        server,
    }
}

/// A Socket.IO client on `/` of `/api/socket.io/`, connected with `token`: the CONNECT reply.
async fn connect(addr: SocketAddr, token: &str) -> (Ws, String) {
    let mut ws = Ws::dial(addr, WS_PATH).await.expect("websocket");
    let open = parse_open(&ws.text().await);
    assert!(open["sid"].is_string());
    ws.send_text(&format!("40{}", json!({ "token": token })))
        .await;
    let reply = ws.recv_text().await;
    (ws, reply)
}

fn header<'a>(r: &'a socketio_tests::Response, name: &str) -> Vec<&'a str> {
    r.headers
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[tokio::test]
async fn http_routes_and_socketio_handlers_share_one_board() {
    let srv = start(Serve::Socketio).await;
    // `socketio::State<Board>` and the axum state are the one `Arc` registered on the builder.
    let registered = srv.app.io.state::<Board>().unwrap();
    assert!(Arc::ptr_eq(&registered.0, &srv.app.board));

    let (mut ws, reply) = connect(srv.addr, TOKEN).await;
    let sid = reply.strip_prefix("40").expect("CONNECT accepted");
    let sid: Value = serde_json::from_str(sid).unwrap();
    let sid = sid["sid"].as_str().unwrap().to_owned();

    // A Socket.IO event writes the board...
    ws.send_text(r#"421["post","from socket.io"]"#).await;
    assert_eq!(
        ws.recv_text().await,
        format!(r#"42["post",{{"author":"{sid}","text":"from socket.io"}}]"#)
    );
    assert_eq!(ws.recv_text().await, "431[1]");
    // ...and an HTTP route reads it.
    let r = http(
        srv.addr,
        "GET",
        "/api/posts",
        b"",
        &[("Authorization", BEARER)],
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let posts: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(posts, json!([{ "author": sid, "text": "from socket.io" }]));

    // An HTTP route writes the board and emits to the Socket.IO clients.
    let body = br#"{"author":"curl","text":"from http"}"#;
    let r = http(
        srv.addr,
        "POST",
        "/api/posts",
        body,
        &[
            ("Authorization", BEARER),
            ("Content-Type", "application/json"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.text(), "2");
    assert_eq!(
        ws.recv_text().await,
        r#"42["post",{"author":"curl","text":"from http"}]"#
    );
    assert_eq!(srv.app.board.posts().len(), 2);
}

#[tokio::test]
async fn the_api_needs_the_bearer_token_and_socketio_the_auth_token() {
    let srv = start(Serve::Socketio).await;
    for headers in [&[][..], &[("Authorization", "Bearer wrong")][..]] {
        let r = http(srv.addr, "GET", "/api/posts", b"", headers)
            .await
            .unwrap();
        assert_eq!(r.status, 401, "{headers:?}");
    }
    let r = http(srv.addr, "GET", "/health", b"", &[]).await.unwrap();
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));

    // The auth layer does not wrap the engine path: the connect handler decides.
    let (_ws, reply) = connect(srv.addr, "wrong").await;
    assert_eq!(reply, r#"44{"message":"unauthorized"}"#);
    let (_ws, reply) = connect(srv.addr, TOKEN).await;
    assert!(reply.starts_with("40{\"sid\":"), "{reply}");
}

#[tokio::test]
async fn the_cors_layer_and_the_engine_policy_agree() {
    let srv = start(Serve::Socketio).await;
    let preflight = |origin: &'static str| {
        [
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization,content-type",
            ),
        ]
    };
    // The API's preflight is answered by tower-http, before the auth check (no token in it).
    let r = http(srv.addr, "OPTIONS", "/api/posts", b"", &preflight(ORIGIN))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(header(&r, "access-control-allow-origin"), [ORIGIN]);
    assert_eq!(header(&r, "access-control-allow-credentials"), ["true"]);
    // The engine's preflight is answered by the engine, with the same origin.
    let engine = "/api/socket.io/?EIO=4&transport=polling";
    let r = http(srv.addr, "OPTIONS", engine, b"", &preflight(ORIGIN))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(header(&r, "access-control-allow-origin"), [ORIGIN]);
    assert_eq!(header(&r, "access-control-allow-credentials"), ["true"]);

    // Another origin: tower-http leaves the headers out (the browser refuses the answer), the
    // engine refuses the request itself (as python-socketio).
    let r = http(srv.addr, "OPTIONS", "/api/posts", b"", &preflight(EVIL))
        .await
        .unwrap();
    assert!(header(&r, "access-control-allow-origin").is_empty());
    let r = http(srv.addr, "OPTIONS", engine, b"", &preflight(EVIL))
        .await
        .unwrap();
    assert_eq!(r.status, 400);
    let r = http(srv.addr, "GET", engine, b"", &[("Origin", EVIL)])
        .await
        .unwrap();
    assert_eq!(r.status, 400);

    // Real requests carry the header once: each path has one CORS owner.
    let r = http(
        srv.addr,
        "GET",
        "/api/posts",
        b"",
        &[("Origin", ORIGIN), ("Authorization", BEARER)],
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(header(&r, "access-control-allow-origin"), [ORIGIN]);
    let r = http(srv.addr, "GET", engine, b"", &[("Origin", ORIGIN)])
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(header(&r, "access-control-allow-origin"), [ORIGIN]);
    assert!(r.text().starts_with("0{"), "{}", r.text());
}

#[tokio::test]
async fn the_engine_lives_under_the_sub_path_only() {
    let srv = start(Serve::Socketio).await;
    let r = http(
        srv.addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        b"",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(r.status, 404);
    for path in ["/api/socket.io/", "/api/socket.io"] {
        let r = http(
            srv.addr,
            "GET",
            &format!("{path}?EIO=4&transport=polling"),
            b"",
            &[],
        )
        .await
        .unwrap();
        assert_eq!(r.status, 200, "{path}");
        assert!(r.text().starts_with("0{"), "{path}: {}", r.text());
    }
}

async fn shuts_down_gracefully(how: Serve) {
    let mut srv = start(how).await;
    let (mut ws, reply) = connect(srv.addr, TOKEN).await;
    assert!(reply.starts_with("40"), "{reply}");
    let disconnected = Arc::new(tokio::sync::Notify::new());
    let seen = disconnected.clone();
    srv.app.io.of("/").on_disconnect(move || {
        seen.notify_one();
        async {}
    });

    srv.stop.take().unwrap().send(()).unwrap();
    // `io.shutdown()` closes the client and runs its disconnect handler...
    ws.expect_closed(STEP, "the server shuts down").await;
    within("the disconnect handler", STEP, disconnected.notified()).await;
    // ...then the HTTP server stops and the serve future returns.
    let served = within("the server to stop", STEP, &mut srv.server).await;
    served.unwrap().unwrap();
    assert!(tokio::net::TcpStream::connect(srv.addr).await.is_err());
    assert!(matches!(ws.next_within(STEP).await, Some(Frame::Closed)));
}

#[tokio::test]
async fn socketio_serve_shuts_down_gracefully() {
    shuts_down_gracefully(Serve::Socketio).await;
}

#[tokio::test]
async fn axum_serve_shuts_down_gracefully() {
    shuts_down_gracefully(Serve::Axum).await;
}
