//! The tower guide (`docs/tower.md`), proven on a real socket: plain hyper serves the
//! Socket.IO endpoint (WebSocket upgrade and polling) through `SocketIoLayer`, the inner
//! service answers everything else, and the peer address reaches the handshake.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::SocketAddr;

use socketio_tests::{Polling, STEP, Ws, http, parse_open, within};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
}

async fn start() -> Running {
    let io = hyper_app::socketio().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(hyper_app::serve(listener, io, async move {
        let _ = rx.await;
    }));
    Running {
        addr,
        stop: Some(tx),
        server,
    }
}

#[tokio::test]
async fn the_inner_service_answers_every_other_path() {
    let srv = start().await;
    let r = http(srv.addr, "GET", "/", b"", &[]).await.unwrap();
    assert_eq!((r.status, r.text().as_str()), (200, "hello from hyper"));
    let r = http(srv.addr, "GET", "/socket.io/x", b"", &[])
        .await
        .unwrap();
    assert_eq!((r.status, r.text().as_str()), (404, "no such page"));
    // The engine's own errors come from the engine.
    let r = http(
        srv.addr,
        "GET",
        "/socket.io/?EIO=3&transport=polling",
        b"",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        r#"{"code":5,"message":"Unsupported protocol version"}"#
    );
}

#[tokio::test]
async fn socketio_over_websocket_through_plain_hyper() {
    let srv = start().await;
    let mut ws = Ws::dial(srv.addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .expect("the WebSocket upgrade works through hyper");
    parse_open(&ws.text().await);
    ws.send_text("40").await;
    assert!(ws.recv_text().await.starts_with("40{\"sid\":"));
    // `with_peer_addr` gave the engine the client's address.
    let hello = ws.recv_text().await;
    let from: String = serde_json::from_str::<serde_json::Value>(&hello[2..]).unwrap()[1]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(hello, format!(r#"42["hello","{from}"]"#));
    let from: SocketAddr = from.parse().expect("a socket address");
    assert!(from.ip().is_loopback());
    assert_ne!(from.port(), srv.addr.port());

    ws.send_text(r#"421["echo","over hyper",{"n":1}]"#).await;
    assert_eq!(ws.recv_text().await, r#"431["over hyper",{"n":1}]"#);
}

#[tokio::test]
async fn socketio_over_polling_through_plain_hyper() {
    let srv = start().await;
    let (poll, _open) = Polling::open(srv.addr, "/socket.io/").await;
    assert_eq!(poll.post(b"40").await.status, 200);
    let body = poll.get_skip_pings().await;
    let mut packets = body.split('\x1e');
    assert!(packets.next().unwrap().starts_with("40{\"sid\":"), "{body}");
    let hello = match packets.next() {
        Some(p) => p.to_owned(),
        None => poll.get_skip_pings().await,
    };
    assert!(hello.starts_with(r#"42["hello","127.0.0.1:"#), "{hello}");
    assert_eq!(poll.post(br#"427["echo",1]"#).await.status, 200);
    assert_eq!(poll.get_skip_pings().await, "437[1]");
}

#[tokio::test]
async fn stopping_disconnects_the_clients_and_returns() {
    let mut srv = start().await;
    let mut ws = Ws::dial(srv.addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    parse_open(&ws.text().await);
    ws.send_text("40").await;
    assert!(ws.recv_text().await.starts_with("40"));
    srv.stop.take().unwrap().send(()).unwrap();
    ws.expect_closed(STEP, "the server stops").await;
    within("the server to stop", STEP, &mut srv.server)
        .await
        .unwrap()
        .unwrap();
    assert!(tokio::net::TcpStream::connect(srv.addr).await.is_err());
}
