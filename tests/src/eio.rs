//! The raw Engine.IO clients: [`Polling`] (hand-written HTTP long-polling) and [`Ws`] (a
//! websocket whose frames are written and checked by hand). Both speak bytes exactly as the
//! server sees them; nothing is decoded behind the test's back.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::http::{Response, http, http_ok};
use crate::{STEP, within};

/// Parse an Engine.IO open packet `0{...}` into its JSON object.
pub fn parse_open(packet: &str) -> Map<String, Value> {
    let json = packet
        .strip_prefix('0')
        .unwrap_or_else(|| panic!("not an open packet: {packet:?}"));
    match serde_json::from_str(json) {
        Ok(Value::Object(m)) => m,
        other => panic!("open packet payload is not an object: {packet:?} ({other:?})"),
    }
}

fn sid_of(open: &Map<String, Value>) -> String {
    open.get("sid")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("open packet without a string sid: {open:?}"))
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Long-polling
// ---------------------------------------------------------------------------------------------

/// A long-polling Engine.IO session driven by raw HTTP requests.
#[derive(Debug, Clone)]
pub struct Polling {
    /// Server address.
    pub addr: SocketAddr,
    /// `/socket.io/` or `/engine.io/`.
    pub path: &'static str,
    /// Engine.IO session id.
    pub sid: String,
}

impl Polling {
    /// Handshake at `path`; returns the session and the open packet's JSON.
    pub async fn open(addr: SocketAddr, path: &'static str) -> (Polling, Map<String, Value>) {
        Self::open_with(addr, path, "").await
    }

    /// Handshake at `path` with extra query parameters (`"a=1&b=2"`, may be empty).
    pub async fn open_with(
        addr: SocketAddr,
        path: &'static str,
        query: &str,
    ) -> (Polling, Map<String, Value>) {
        let mut uri = format!("{path}?EIO=4&transport=polling");
        if !query.is_empty() {
            uri.push('&');
            uri.push_str(query);
        }
        let r = http_ok(addr, "GET", &uri, b"").await;
        assert_eq!(r.status, 200, "handshake: {}", r.text());
        let open = parse_open(&r.text());
        let sid = sid_of(&open);
        (Polling { addr, path, sid }, open)
    }

    /// The polling URL of this session.
    pub fn url(&self) -> String {
        format!("{}?EIO=4&transport=polling&sid={}", self.path, self.sid)
    }

    /// GET (long-poll), bounded by [`STEP`].
    pub async fn get(&self) -> Response {
        http_ok(self.addr, "GET", &self.url(), b"").await
    }

    /// GET, returning `Err` when the server aborts the request.
    pub async fn try_get(&self) -> std::io::Result<Response> {
        within(
            "polling GET",
            STEP,
            http(self.addr, "GET", &self.url(), b"", &[]),
        )
        .await
    }

    /// POST a payload, bounded by [`STEP`].
    pub async fn post(&self, body: &[u8]) -> Response {
        http_ok(self.addr, "POST", &self.url(), body).await
    }

    /// POST, returning `Err` when the server aborts the request.
    pub async fn try_post(&self, body: &[u8]) -> std::io::Result<Response> {
        within(
            "polling POST",
            STEP,
            http(
                self.addr,
                "POST",
                &self.url(),
                body,
                &[("Content-Type", "text/plain;charset=UTF-8")],
            ),
        )
        .await
    }

    /// POST `packets` joined with the record separator; returns the status.
    pub async fn post_packets(&self, packets: &[&str]) -> u16 {
        let body = packets.join("\x1e");
        match self.try_post(body.as_bytes()).await {
            Ok(r) => r.status,
            Err(e) => panic!("POST {packets:?}: {e}"),
        }
    }

    /// GET until a body other than a lone ping arrives, answering pings with a POST `3`.
    pub async fn get_skip_pings(&self) -> String {
        loop {
            let r = self.get().await;
            assert_eq!(r.status, 200, "GET: {}", r.text());
            let body = r.text();
            if body == "2" {
                let p = self.post(b"3").await;
                assert_eq!(p.status, 200);
                continue;
            }
            return body;
        }
    }

    /// GET until a payload with something other than pings arrives (pings are answered);
    /// returns its packets, pings removed.
    pub async fn get_packets(&self) -> Vec<String> {
        loop {
            let r = self.get().await;
            assert_eq!(r.status, 200, "poll failed: {}", r.text());
            let text = r.text();
            let pinged = text.split('\x1e').any(|p| p == "2");
            let rest: Vec<String> = text
                .split('\x1e')
                .filter(|p| *p != "2")
                .map(str::to_owned)
                .collect();
            if pinged {
                assert_eq!(self.post_packets(&["3"]).await, 200);
            }
            if !rest.is_empty() {
                return rest;
            }
        }
    }

    /// Join namespace `nsp` (`"/"` or `"/name"`, auth JSON optional); returns the socket's sid.
    pub async fn join(&self, nsp: &str, auth: Option<&str>) -> String {
        assert_eq!(
            self.post_packets(&[&crate::connect_packet(nsp, auth)])
                .await,
            200
        );
        let packets = self.get_packets().await;
        let first = packets
            .first()
            .unwrap_or_else(|| panic!("no CONNECT reply for {nsp}"));
        crate::connect_sid(nsp, first)
    }
}

// ---------------------------------------------------------------------------------------------
// WebSocket
// ---------------------------------------------------------------------------------------------

/// A data frame seen by [`Ws`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text frame (an Engine.IO packet, type digit included: `"42[\"a\"]"`).
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
    /// The server closed the socket (close frame, EOF or error).
    Closed,
}

type WsStream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A raw WebSocket client.
///
/// [`Ws::next`] and [`Ws::text`] see every frame, Engine.IO pings included; [`Ws::recv`] and
/// its family hide pings (answering them unless [`Ws::auto_pong`] is off).
pub struct Ws {
    inner: WsStream,
    closed: bool,
    close_code: Option<u16>,
    /// The Engine.IO sid from the open packet (empty when opened with [`Ws::dial`], which
    /// does not read it).
    pub sid: String,
    /// Whether [`Ws::recv`] answers the pings it hides (default true).
    pub auto_pong: bool,
}

impl std::fmt::Debug for Ws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ws")
            .field("sid", &self.sid)
            .field("closed", &self.closed)
            .finish()
    }
}

impl Ws {
    /// Open `ws://addr{path_and_query}`; nothing is read (not even the open packet).
    pub async fn dial(
        addr: SocketAddr,
        path_and_query: &str,
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        Self::dial_with(addr, path_and_query, &[]).await
    }

    /// [`Ws::dial`] with extra request headers.
    pub async fn dial_with(
        addr: SocketAddr,
        path_and_query: &str,
        headers: &[(&str, &str)],
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let mut req = format!("ws://{addr}{path_and_query}").into_client_request()?;
        for (k, v) in headers {
            let name = http::HeaderName::from_bytes(k.as_bytes())
                .unwrap_or_else(|e| panic!("header name {k}: {e}"));
            let value =
                http::HeaderValue::from_str(v).unwrap_or_else(|e| panic!("header {k}: {e}"));
            req.headers_mut().insert(name, value);
        }
        let (inner, _) = within(
            "websocket handshake",
            STEP,
            tokio_tungstenite::connect_async(req),
        )
        .await?;
        Ok(Ws {
            inner,
            closed: false,
            close_code: None,
            sid: String::new(),
            auto_pong: true,
        })
    }

    /// Open `/socket.io/` over websocket and read the open packet.
    pub async fn open(addr: SocketAddr) -> Ws {
        Self::open_with(addr, "", &[]).await
    }

    /// Open `/socket.io/` with extra query parameters (`"a=1&b=2"`) and request headers, and
    /// read the open packet.
    pub async fn open_with(addr: SocketAddr, query: &str, headers: &[(&str, &str)]) -> Ws {
        let mut pq = "/socket.io/?EIO=4&transport=websocket".to_owned();
        if !query.is_empty() {
            pq.push('&');
            pq.push_str(query);
        }
        let mut c = Self::dial_with(addr, &pq, headers)
            .await
            .unwrap_or_else(|e| panic!("websocket to {pq}: {e}"));
        let open = parse_open(&c.recv_text().await);
        c.sid = sid_of(&open);
        c
    }

    /// Open `/socket.io/`, or `None` when the server refuses (failed upgrade, or a close
    /// instead of the open packet).
    pub async fn try_open(addr: SocketAddr) -> Option<Ws> {
        let mut c = Self::dial(addr, "/socket.io/?EIO=4&transport=websocket")
            .await
            .ok()?;
        match c.recv().await {
            Frame::Text(t) if t.starts_with('0') => {
                c.sid = sid_of(&parse_open(&t));
                Some(c)
            }
            _ => None,
        }
    }

    /// The client's local socket address (what the server sees as the peer).
    pub fn local_addr(&self) -> SocketAddr {
        match self.inner.get_ref() {
            tokio_tungstenite::MaybeTlsStream::Plain(s) => {
                s.local_addr().unwrap_or_else(|e| panic!("local_addr: {e}"))
            }
            _ => panic!("plain TCP expected"),
        }
    }

    /// The next data frame within `limit` (pings included), or `None` on timeout.
    pub async fn next_within(&mut self, limit: Duration) -> Option<Frame> {
        if self.closed {
            return Some(Frame::Closed);
        }
        let inner = &mut self.inner;
        let code = &mut self.close_code;
        let res = tokio::time::timeout(limit, async {
            loop {
                match inner.next().await {
                    Some(Ok(Message::Text(t))) => return Frame::Text(t.to_string()),
                    Some(Ok(Message::Binary(b))) => return Frame::Binary(b.to_vec()),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Close(f))) => {
                        *code = f.map(|f| u16::from(f.code));
                        return Frame::Closed;
                    }
                    Some(Err(_)) | None => return Frame::Closed,
                }
            }
        })
        .await
        .ok();
        if res == Some(Frame::Closed) {
            self.closed = true;
        }
        res
    }

    /// The next data frame, pings included (bounded by [`STEP`]).
    pub async fn next(&mut self) -> Frame {
        match self.next_within(STEP).await {
            Some(f) => f,
            None => panic!("timed out after {STEP:?} waiting for a websocket frame"),
        }
    }

    /// The next frame, pings included, which must be text.
    pub async fn text(&mut self) -> String {
        match self.next().await {
            Frame::Text(t) => t,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// The next frame that is not an Engine.IO ping (pings are answered with `3` unless
    /// [`Ws::auto_pong`] is off), bounded by [`STEP`].
    pub async fn recv(&mut self) -> Frame {
        loop {
            match self.next().await {
                Frame::Text(t) if t == "2" => {
                    if self.auto_pong {
                        self.send_text("3").await;
                    }
                }
                f => return f,
            }
        }
    }

    /// The next non-ping frame, which must be text.
    pub async fn recv_text(&mut self) -> String {
        match self.recv().await {
            Frame::Text(t) => t,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// The next non-ping frame, which must be binary.
    pub async fn recv_binary(&mut self) -> Vec<u8> {
        match self.recv().await {
            Frame::Binary(b) => b,
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }

    /// Read until the server closes the connection; returns the text frames seen before
    /// (pings hidden).
    pub async fn until_closed(&mut self) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match self.recv().await {
                Frame::Closed => return seen,
                Frame::Text(t) => seen.push(t),
                Frame::Binary(_) => {}
            }
        }
    }

    /// Send one text frame, which must go out (the test fails if the socket is gone).
    pub async fn send(&mut self, text: &str) {
        if let Err(e) = self.inner.send(Message::text(text)).await {
            panic!("sending {text:?}: {e}");
        }
    }

    /// Send a text frame; errors are ignored (the server may have closed already).
    pub async fn send_text(&mut self, s: &str) {
        let _ = self.inner.send(Message::text(s)).await;
    }

    /// Send a binary frame; errors are ignored (the server may have closed already).
    pub async fn send_binary(&mut self, b: &[u8]) {
        let _ = self.inner.send(Message::binary(b.to_vec())).await;
    }

    /// Wait for the server to close the socket within `limit`, answering Engine.IO pings so
    /// that the close cannot be a ping timeout. Other frames are ignored.
    pub async fn expect_closed(&mut self, limit: Duration, what: &str) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                Some(Frame::Closed) => return,
                Some(Frame::Text(t)) if t == "2" => self.send_text("3").await,
                Some(_) => {}
                None => panic!("the server did not close the connection within {limit:?}: {what}"),
            }
        }
    }

    /// The code of the server's close frame, once [`Frame::Closed`] was seen (`None` when
    /// the connection ended without one).
    pub fn close_code(&self) -> Option<u16> {
        self.close_code
    }

    /// Whether the socket is known to be closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Close from our side (a close frame; errors ignored).
    pub async fn close(&mut self) {
        let _ = self.inner.close(None).await;
    }

    /// Join namespace `nsp` (`"/"` or `"/name"`, auth JSON optional) and return the socket's
    /// sid; the CONNECT payload must be only the sid.
    pub async fn join(&mut self, nsp: &str, auth: Option<&str>) -> String {
        self.send(&crate::connect_packet(nsp, auth)).await;
        let reply = self.recv_text().await;
        crate::connect_sid(nsp, &reply)
    }

    /// Ask for an ack of `event` in `nsp` with ack id `id`; returns the frames received
    /// before the ack. Doubles as a barrier: every frame the server queued for this client
    /// before answering this event arrives before the ack.
    pub async fn roundtrip(&mut self, nsp: &str, id: u64, event: &str) -> Vec<String> {
        let prefix = crate::nsp_prefix(nsp);
        self.send(&format!("42{prefix}{id}[\"{event}\"]")).await;
        let want = format!("43{prefix}{id}");
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
