//! Helpers for the `server_*` integration tests: a server on `127.0.0.1:0`, a raw Socket.IO
//! client over WebSocket (tokio-tungstenite) and over HTTP long-polling (hand-written HTTP/1.1
//! so nothing is hidden), and bounded waits.
//!
//! Included by each test file with `#[path = "../support/mod.rs"] mod support;`.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use socketio::SocketIo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMsg;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

/// Upper bound of every wait in these tests.
pub const WAIT: Duration = Duration::from_secs(5);

/// Await `fut`, failing the test with `what` after [`WAIT`].
pub async fn within<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(WAIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

/// The next value of a channel that handlers report into, bounded by [`WAIT`].
pub async fn next<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    within("a value reported by a handler", rx.recv())
        .await
        .expect("reporting channel closed")
}

/// A running server.
pub struct TestServer {
    /// The server handle.
    pub io: SocketIo,
    /// Where it listens.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serve `io.router()` on `127.0.0.1:0` with [`socketio::serve`] (its default deadlines; connect
/// info, so handshakes carry the peer address).
pub async fn serve(io: SocketIo) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = io.router();
    let task = tokio::spawn(async move {
        let _ = socketio::serve(listener, app).await;
    });
    TestServer { io, addr, task }
}

/// One frame received by a raw client (Engine.IO pings answered and hidden).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recv {
    /// A text Engine.IO packet, type digit included (`"42[\"a\"]"`).
    Text(String),
    /// A binary message (an attachment).
    Binary(Vec<u8>),
    /// The connection was closed by the server.
    Closed,
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw Socket.IO client over WebSocket.
pub struct Ws {
    ws: WsStream,
    /// The Engine.IO sid from the open packet.
    pub eio_sid: String,
    /// Answer server pings (default true).
    pub auto_pong: bool,
}

impl Ws {
    /// Open `ws://addr/socket.io/?EIO=4&transport=websocket` and read the open packet.
    pub async fn open(addr: SocketAddr) -> Ws {
        Self::open_with(addr, "", &[]).await
    }

    /// Open a connection, or `None` when the server refuses it (failed upgrade, or a close
    /// instead of the open packet).
    pub async fn try_open(addr: SocketAddr) -> Option<Ws> {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = within(
            "the websocket handshake",
            tokio_tungstenite::connect_async(url),
        )
        .await
        .ok()?;
        let mut c = Ws {
            ws,
            eio_sid: String::new(),
            auto_pong: true,
        };
        match c.recv().await {
            Recv::Text(t) if t.starts_with('0') => Some(c),
            _ => None,
        }
    }

    /// Open with extra query parameters (`"a=1&b=2"`) and request headers.
    pub async fn open_with(addr: SocketAddr, query: &str, headers: &[(&str, &str)]) -> Ws {
        let mut url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        if !query.is_empty() {
            url.push('&');
            url.push_str(query);
        }
        let mut req = url.into_client_request().unwrap();
        for (k, v) in headers {
            req.headers_mut().insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        let (ws, _) = within(
            "the websocket handshake",
            tokio_tungstenite::connect_async(req),
        )
        .await
        .unwrap();
        let mut c = Ws {
            ws,
            eio_sid: String::new(),
            auto_pong: true,
        };
        let open = c.recv_text().await;
        let json = open
            .strip_prefix('0')
            .unwrap_or_else(|| panic!("not an open packet: {open}"));
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        c.eio_sid = v["sid"].as_str().unwrap().to_owned();
        c
    }

    /// The client's local socket address (what the server sees as the peer).
    pub fn local_addr(&self) -> SocketAddr {
        match self.ws.get_ref() {
            tokio_tungstenite::MaybeTlsStream::Plain(s) => s.local_addr().unwrap(),
            _ => panic!("plain TCP expected"),
        }
    }

    /// Send one Engine.IO text packet as is (`"40"`, `"42[\"a\"]"`).
    pub async fn send(&mut self, text: &str) {
        self.ws.send(WsMsg::text(text)).await.unwrap();
    }

    /// Send one binary message (an attachment).
    pub async fn send_binary(&mut self, data: &[u8]) {
        self.ws.send(WsMsg::binary(data.to_vec())).await.unwrap();
    }

    /// Close the WebSocket cleanly.
    pub async fn close(&mut self) {
        let _ = self.ws.close(None).await;
    }

    /// The next frame (pings answered unless `auto_pong` is off), within [`WAIT`].
    pub async fn recv(&mut self) -> Recv {
        loop {
            let msg = within("a frame from the server", self.ws.next()).await;
            match msg {
                Some(Ok(WsMsg::Text(t))) => {
                    if t.as_str() == "2" {
                        if self.auto_pong {
                            let _ = self.ws.send(WsMsg::text("3")).await;
                        }
                        continue;
                    }
                    return Recv::Text(t.as_str().to_owned());
                }
                Some(Ok(WsMsg::Binary(b))) => return Recv::Binary(b.to_vec()),
                Some(Ok(WsMsg::Close(_))) | None | Some(Err(_)) => return Recv::Closed,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next frame, which must be text.
    pub async fn recv_text(&mut self) -> String {
        match self.recv().await {
            Recv::Text(t) => t,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// The next frame, which must be binary.
    pub async fn recv_binary(&mut self) -> Vec<u8> {
        match self.recv().await {
            Recv::Binary(b) => b,
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }

    /// Read until the server closes the connection; returns the text frames seen before.
    pub async fn until_closed(&mut self) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match self.recv().await {
                Recv::Closed => return seen,
                Recv::Text(t) => seen.push(t),
                Recv::Binary(_) => {}
            }
        }
    }

    /// Join namespace `nsp` (auth JSON optional) and return the socket's sid.
    pub async fn connect(&mut self, nsp: &str, auth: Option<&str>) -> String {
        self.send(&connect_packet(nsp, auth)).await;
        let reply = self.recv_text().await;
        connect_sid(nsp, &reply)
    }

    /// Ask for an ack of `event` in `nsp` with ack id `id` and return the ack's JSON array.
    /// Doubles as a barrier: every frame the server queued for this client before answering
    /// this event arrives before the ack (frames received meanwhile are returned too).
    pub async fn roundtrip(&mut self, nsp: &str, id: u64, event: &str) -> Vec<String> {
        self.send(&format!("42{}{id}[\"{event}\"]", nsp_prefix(nsp)))
            .await;
        let want = format!("43{}{id}", nsp_prefix(nsp));
        let mut before = Vec::new();
        loop {
            let t = self.recv_text().await;
            if t.starts_with(&want) {
                return before;
            }
            before.push(t);
        }
    }
}

/// `"/chat,"` for `/chat`, `""` for `/`.
pub fn nsp_prefix(nsp: &str) -> String {
    if nsp == "/" {
        String::new()
    } else {
        format!("{nsp},")
    }
}

/// The CONNECT packet a client sends.
pub fn connect_packet(nsp: &str, auth: Option<&str>) -> String {
    format!("40{}{}", nsp_prefix(nsp), auth.unwrap_or(""))
}

/// Check that `reply` is the CONNECT reply of `nsp` and return its sid.
pub fn connect_sid(nsp: &str, reply: &str) -> String {
    let prefix = format!("40{}", nsp_prefix(nsp));
    let json = reply
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("expected a CONNECT reply for {nsp}, got {reply}"));
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let sid = v["sid"].as_str().unwrap().to_owned();
    assert_eq!(
        v.as_object().unwrap().len(),
        1,
        "CONNECT payload is only the sid: {reply}"
    );
    sid
}

/// A raw Socket.IO client over HTTP long-polling.
pub struct Polling {
    addr: SocketAddr,
    /// The Engine.IO sid.
    pub eio_sid: String,
}

/// An HTTP response.
#[derive(Debug)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Body.
    pub body: Vec<u8>,
}

/// One HTTP/1.1 request with `Connection: close`; returns status and (de-chunked) body.
pub async fn http(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> HttpResponse {
    let mut stream = within("tcp connect", TcpStream::connect(addr))
        .await
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    within("an HTTP response", stream.read_to_end(&mut raw))
        .await
        .unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut body = raw[split + 4..].to_vec();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    HttpResponse { status, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16)
                .unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

impl Polling {
    /// Handshake over polling (extra query optional).
    pub async fn open(addr: SocketAddr, query: &str) -> Polling {
        let mut path = "/socket.io/?EIO=4&transport=polling".to_owned();
        if !query.is_empty() {
            path.push('&');
            path.push_str(query);
        }
        let r = http(addr, "GET", &path, b"").await;
        assert_eq!(
            r.status,
            200,
            "handshake: {}",
            String::from_utf8_lossy(&r.body)
        );
        let text = String::from_utf8(r.body).unwrap();
        let json = text
            .strip_prefix('0')
            .unwrap_or_else(|| panic!("not an open packet: {text}"));
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        Polling {
            addr,
            eio_sid: v["sid"].as_str().unwrap().to_owned(),
        }
    }

    fn path(&self) -> String {
        format!("/socket.io/?EIO=4&transport=polling&sid={}", self.eio_sid)
    }

    /// POST packets (joined with the record separator); returns the status.
    pub async fn post(&self, packets: &[&str]) -> u16 {
        let body = packets.join("\x1e");
        http(self.addr, "POST", &self.path(), body.as_bytes())
            .await
            .status
    }

    /// One GET: the status and the packets of the payload (pings answered with a POST `3`).
    pub async fn get(&self) -> (u16, Vec<String>) {
        let r = http(self.addr, "GET", &self.path(), b"").await;
        let text = String::from_utf8(r.body).unwrap();
        let packets: Vec<String> = text.split('\x1e').map(str::to_owned).collect();
        (r.status, packets)
    }

    /// GET until a payload with something other than pings arrives; pings are answered.
    pub async fn get_packets(&self) -> Vec<String> {
        loop {
            let (status, packets) = self.get().await;
            assert_eq!(status, 200, "poll failed: {packets:?}");
            let pinged = packets.iter().any(|p| p == "2");
            let rest: Vec<String> = packets.into_iter().filter(|p| p != "2").collect();
            if pinged {
                assert_eq!(self.post(&["3"]).await, 200);
            }
            if !rest.is_empty() {
                return rest;
            }
        }
    }

    /// Join namespace `nsp` and return the socket's sid.
    pub async fn connect(&self, nsp: &str, auth: Option<&str>) -> String {
        assert_eq!(self.post(&[&connect_packet(nsp, auth)]).await, 200);
        let packets = self.get_packets().await;
        connect_sid(nsp, &packets[0])
    }
}

/// A JSON array of event arguments, as received in a frame after the event id/namespace.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}
