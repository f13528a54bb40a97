//! The deployment guide (`docs/deployment.md`), proven on a real socket: behind a proxy every
//! client arrives from the proxy's address, so the per-address cap counts the address in
//! `trusted_proxy_header` (the right-most entry: the one the proxy added); without it, all
//! clients share the proxy's one slot. Polling handshakes carry the sticky-session cookie.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::SocketAddr;

use ::http::HeaderName;
use behind_proxy::Settings;
use futures_util::{SinkExt as _, StreamExt as _};
use socketio_tests::{Response, STEP, http, parse_open, within};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const HANDSHAKE: &str = "/socket.io/?EIO=4&transport=polling";

async fn start(settings: Settings) -> SocketAddr {
    let io = settings.socketio().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { socketio::serve(listener, io.router()).await });
    addr
}

fn behind_proxy(per_ip: usize) -> Settings {
    Settings {
        trusted_proxy_header: Some(HeaderName::from_static("x-forwarded-for")),
        max_connections_per_ip: Some(per_ip),
        ..Settings::default()
    }
}

/// A polling handshake as the proxy forwards it: `X-Forwarded-For: <xff>`.
async fn handshake(addr: SocketAddr, xff: &str) -> Response {
    http(addr, "GET", HANDSHAKE, b"", &[("X-Forwarded-For", xff)])
        .await
        .unwrap()
}

fn sid(r: &Response) -> String {
    assert_eq!(r.status, 200, "{}", r.text());
    parse_open(&r.text())["sid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_per_address_cap_counts_the_forwarded_address() {
    let addr = start(behind_proxy(1)).await;
    let first = sid(&handshake(addr, "203.0.113.7").await);

    // The same client again: over its cap, whatever it put to the left of the proxy's entry.
    for xff in ["203.0.113.7", "198.51.100.1, 203.0.113.7"] {
        let r = handshake(addr, xff).await;
        assert_eq!(r.status, 403, "{xff}");
        assert_eq!(r.text(), r#"{"code":4,"message":"Forbidden"}"#);
    }
    // A WebSocket handshake from it is refused too, before the upgrade.
    let mut req = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("x-forwarded-for", "203.0.113.7".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), 403)
        }
        other => panic!("expected a 403, got {other:?}"),
    }
    // Other clients behind the same proxy have slots of their own; a forged left entry
    // does not make a client someone else.
    sid(&handshake(addr, "203.0.113.8").await);
    sid(&handshake(addr, "203.0.113.7, 203.0.113.9").await);

    // The first client's session ends (close packet): its slot is free again.
    let close = format!("{HANDSHAKE}&sid={first}");
    let r = http(
        addr,
        "POST",
        &close,
        b"1",
        &[("X-Forwarded-For", "203.0.113.7")],
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    // The client's poll takes the session's last answer (`6`); the session is then
    // forgotten and its slot given back. Wait for that by retrying, bounded.
    let r = http(
        addr,
        "GET",
        &close,
        b"",
        &[("X-Forwarded-For", "203.0.113.7")],
    )
    .await
    .unwrap();
    assert_eq!((r.status, r.text().as_str()), (200, "6"));
    let admitted = within("the slot to be freed", STEP, async {
        while handshake(addr, "203.0.113.7").await.status != 200 {
            tokio::task::yield_now().await;
        }
        true
    })
    .await;
    assert!(admitted, "the slot was not freed");
}

#[tokio::test]
async fn without_the_header_option_every_client_is_the_proxy() {
    let addr = start(Settings {
        max_connections_per_ip: Some(1),
        ..Settings::default()
    })
    .await;
    sid(&handshake(addr, "203.0.113.7").await);
    // A different client, but the same peer address (the proxy's, here 127.0.0.1).
    assert_eq!(handshake(addr, "203.0.113.8").await.status, 403);
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text frame that is not a ping (pings are answered).
async fn next_text(ws: &mut WsStream) -> String {
    loop {
        let frame = within("a frame", STEP, ws.next()).await;
        match frame.expect("the socket is open").expect("a frame") {
            Message::Text(t) if t.as_str() == "2" => ws.send(Message::text("3")).await.unwrap(),
            Message::Text(t) => return t.to_string(),
            _ => {}
        }
    }
}

#[tokio::test]
async fn handlers_see_the_proxy_as_peer_and_the_header_as_sent() {
    let addr = start(behind_proxy(10)).await;
    let mut req = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("x-forwarded-for", "203.0.113.7".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    parse_open(&next_text(&mut ws).await);
    ws.send(Message::text("40")).await.unwrap();
    assert!(next_text(&mut ws).await.starts_with("40"));
    let greeting = next_text(&mut ws).await;
    let v: serde_json::Value = serde_json::from_str(&greeting[2..]).unwrap();
    // `emit("client", &(peer, forwarded))`: a tuple is sent as two arguments.
    assert_eq!(v[0], "client", "{greeting}");
    let peer: SocketAddr = v[1].as_str().unwrap().parse().unwrap();
    assert!(peer.ip().is_loopback(), "the peer is the proxy: {peer}");
    assert_eq!(v[2], "203.0.113.7");
}

#[tokio::test]
async fn polling_handshakes_carry_the_sticky_session_cookie() {
    let addr = start(Settings {
        sticky_cookie: true,
        ..Settings::default()
    })
    .await;
    let r = http(addr, "GET", HANDSHAKE, b"", &[]).await.unwrap();
    let sid = sid(&r);
    let cookies: Vec<_> = r
        .headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .collect();
    assert_eq!(
        cookies,
        [&(
            "set-cookie".to_owned(),
            format!("io={sid}; Path=/; HttpOnly; SameSite=Lax")
        )]
    );
    // Off by default.
    let addr = start(Settings::default()).await;
    let r = http(addr, "GET", HANDSHAKE, b"", &[]).await.unwrap();
    assert!(r.headers.iter().all(|(k, _)| k != "set-cookie"));
}
