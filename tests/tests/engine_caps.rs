//! Opt-in connection caps of the engine (`EngineConfig::max_connections`,
//! `max_connections_per_ip`, `trusted_proxy_header`): at the limit, at limit + 1 (403
//! `{"code":4,"message":"Forbidden"}`, as Node refuses in `allowRequest`), and slots freed
//! when sessions close. Polling in memory, WebSocket over real sockets with `socketio::serve`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use futures_util::{SinkExt as _, StreamExt as _};
use http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use socketio::engine::{CloseReason, Engine, EngineConfig, EngineConn, EngineHandler, Message};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::{Instant, sleep, timeout};
use tower::ServiceExt as _;

const FORBIDDEN: &str = r#"{"code":4,"message":"Forbidden"}"#;
const WAIT: Duration = Duration::from_secs(10);

struct Handler {
    opened: UnboundedSender<EngineConn>,
}

impl EngineHandler for Handler {
    type State = ();
    fn on_open(&self, conn: &EngineConn) {
        let _ = self.opened.send(conn.clone());
    }
    fn on_message(&self, _: &mut (), _: &EngineConn, _: Message) {}
    fn on_close(&self, _: &mut (), _: &EngineConn, _: CloseReason) {}
}

struct Bed {
    engine: Engine<Handler>,
    app: Router,
    opened: UnboundedReceiver<EngineConn>,
}

fn bed(config: EngineConfig) -> Bed {
    let (opened_tx, opened) = unbounded_channel();
    let engine = Engine::new(config, Handler { opened: opened_tx });
    let app = socketio::router::mount(Router::new(), "/engine.io/", engine.clone());
    Bed {
        engine,
        app,
        opened,
    }
}

impl Bed {
    /// A polling handshake from `peer`, with extra headers; returns status and body.
    async fn handshake(&self, peer: &str, headers: &[(&str, &str)]) -> (StatusCode, String) {
        let mut b = Request::get("/engine.io/?EIO=4&transport=polling");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut req = b.body(Body::empty()).unwrap();
        let peer: SocketAddr = peer.parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(peer));
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        if status == StatusCode::FORBIDDEN {
            assert_eq!(resp.headers()["content-type"], "application/json");
        }
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    async fn accepted(&self, peer: &str) {
        let (status, body) = self.handshake(peer, &[]).await;
        assert_eq!(status, StatusCode::OK, "{peer}: {body}");
    }

    async fn refused(&self, peer: &str, headers: &[(&str, &str)]) {
        assert_eq!(
            self.handshake(peer, headers).await,
            (StatusCode::FORBIDDEN, FORBIDDEN.to_owned()),
            "{peer} {headers:?}"
        );
    }

    /// Close the oldest open session from the server side and wait until it is forgotten.
    async fn close_one(&mut self) {
        let before = self.engine.connection_count();
        let conn = timeout(WAIT, self.opened.recv()).await.unwrap().unwrap();
        conn.close(CloseReason::ForcedClose);
        self.wait_for_count(before - 1).await;
    }

    /// Wait until the engine holds `n` sessions: a closed session is forgotten after its
    /// last poll (or a grace period), with no event of its own.
    async fn wait_for_count(&self, n: usize) {
        socketio_tests::eventually(&format!("{n} sessions"), WAIT, || {
            self.engine.connection_count() == n
        })
        .await;
    }
}

fn caps(total: Option<usize>, per_ip: Option<usize>) -> EngineConfig {
    let mut cfg = EngineConfig::default();
    cfg.max_connections = total;
    cfg.max_connections_per_ip = per_ip;
    cfg
}

#[tokio::test]
async fn total_cap_at_limit_and_limit_plus_one_and_a_closed_session_frees_its_slot() {
    let mut b = bed(caps(Some(3), None));
    b.accepted("1.1.1.1:1").await;
    b.accepted("2.2.2.2:1").await;
    b.accepted("3.3.3.3:1").await;
    b.refused("4.4.4.4:1", &[]).await;
    b.refused("1.1.1.1:2", &[]).await;
    b.close_one().await;
    b.accepted("4.4.4.4:1").await;
    b.refused("5.5.5.5:1", &[]).await;
}

#[tokio::test]
async fn per_ip_cap_at_limit_and_limit_plus_one_other_addresses_unaffected() {
    let mut b = bed(caps(None, Some(2)));
    b.accepted("1.1.1.1:1").await;
    b.accepted("1.1.1.1:2").await;
    b.refused("1.1.1.1:3", &[]).await;
    b.accepted("2.2.2.2:1").await;
    b.accepted("2.2.2.2:2").await;
    b.refused("2.2.2.2:3", &[]).await;
    // The first session was 1.1.1.1's: its slot is free again.
    b.close_one().await;
    b.accepted("1.1.1.1:4").await;
    b.refused("1.1.1.1:5", &[]).await;
}

#[tokio::test]
async fn the_trusted_proxy_header_names_the_client_by_its_right_most_entry() {
    let b = bed({
        let mut cfg = caps(None, Some(1));
        cfg.trusted_proxy_header = Some(http::HeaderName::from_static("x-forwarded-for"));
        cfg
    });
    let proxy = "10.0.0.1:5000";
    let (status, _) = b
        .handshake(proxy, &[("x-forwarded-for", "9.9.9.9, 1.1.1.1")])
        .await;
    assert_eq!(status, StatusCode::OK);
    // The client forged the left part; the proxy's entry says 1.1.1.1 again.
    b.refused(proxy, &[("x-forwarded-for", "8.8.8.8, 1.1.1.1")])
        .await;
    // Another client behind the same proxy.
    let (status, _) = b
        .handshake(proxy, &[("x-forwarded-for", "1.1.1.1, 2.2.2.2")])
        .await;
    assert_eq!(status, StatusCode::OK);
    // Without the header, the proxy's own address is the client.
    b.accepted(proxy).await;
    b.refused(proxy, &[]).await;
}

#[tokio::test]
async fn a_forwarded_header_is_ignored_when_no_proxy_is_trusted() {
    let b = bed(caps(None, Some(1)));
    let (status, _) = b
        .handshake("10.0.0.1:1", &[("x-forwarded-for", "1.1.1.1")])
        .await;
    assert_eq!(status, StatusCode::OK);
    b.refused("10.0.0.1:2", &[("x-forwarded-for", "2.2.2.2")])
        .await;
}

#[tokio::test]
async fn without_caps_nothing_is_refused() {
    let b = bed(EngineConfig::default());
    for i in 0..50 {
        b.accepted(&format!("1.1.1.1:{i}")).await;
    }
}

// ---------------------------------------------------------------- WebSocket, real sockets

async fn serve(b: &Bed) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(socketio::serve(listener, b.app.clone()).into_future());
    addr
}

/// A WebSocket handshake written by hand, to read the refusal's status and body.
async fn raw_ws_handshake(addr: SocketAddr) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: test\r\n\
          Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    )
    .await
    .unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let n = timeout(WAIT, s.read(&mut buf)).await.unwrap().unwrap();
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
            if status == 101 || n == 0 || body.len() >= FORBIDDEN.len() {
                return (status, body.to_owned());
            }
        }
        assert!(n > 0, "closed before a response: {data:?}");
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws_open(addr: SocketAddr) -> Ws {
    let url = format!("ws://{addr}/engine.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let open = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert!(open.into_text().unwrap().starts_with('0'));
    ws
}

#[tokio::test]
async fn a_websocket_over_the_total_cap_gets_403_before_the_upgrade() {
    let b = bed(caps(Some(2), None));
    let addr = serve(&b).await;
    let first = ws_open(addr).await;
    // Polling and WebSocket sessions share the cap.
    b.accepted("1.1.1.1:1").await;
    assert_eq!(raw_ws_handshake(addr).await, (403, FORBIDDEN.to_owned()));
    drop(first);
    b.wait_for_count(1).await;
    let _again = ws_open(addr).await;
    assert_eq!(raw_ws_handshake(addr).await, (403, FORBIDDEN.to_owned()));
}

#[tokio::test]
async fn a_websocket_over_the_per_ip_cap_gets_403_and_counts_the_peer_address() {
    let b = bed(caps(None, Some(2)));
    let addr = serve(&b).await;
    let _one = ws_open(addr).await;
    let _two = ws_open(addr).await;
    assert_eq!(raw_ws_handshake(addr).await, (403, FORBIDDEN.to_owned()));
    // Another address is still welcome.
    b.accepted("1.1.1.1:1").await;
}

#[tokio::test]
async fn a_session_upgraded_to_websocket_keeps_its_one_slot() {
    let b = bed(caps(Some(1), None));
    let addr = serve(&b).await;
    // Polling handshake over the socket, then the upgrade with that sid.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 1024];
    let sid = loop {
        let n = timeout(WAIT, s.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0);
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some(rest) = text.split_once("\"sid\":\"").map(|(_, r)| r.to_owned())
            && let Some((sid, _)) = rest.split_once('"')
        {
            break sid.to_owned();
        }
    };
    let url = format!("ws://{addr}/engine.io/?EIO=4&transport=websocket&sid={sid}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send("2probe".into()).await.unwrap();
    let probe = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(probe.into_text().unwrap().as_str(), "3probe");
    ws.send("5".into()).await.unwrap();
    // Once upgraded, the polling side has let go; the slot is still taken.
    b.refused("1.1.1.1:1", &[]).await;
    // The behaviour under test is that the slot stays taken over time: sample it for 300 ms.
    let deadline = Instant::now() + Duration::from_millis(300);
    while Instant::now() < deadline {
        assert_eq!(b.engine.connection_count(), 1);
        b.refused("1.1.1.1:1", &[]).await;
        sleep(Duration::from_millis(20)).await;
    }
    drop(ws);
    b.wait_for_count(0).await;
    b.accepted("1.1.1.1:1").await;
}
