//! Shared helpers for the integration tests: starting the test bed, a raw HTTP/1.1 client, a
//! raw WebSocket client speaking Engine.IO / Socket.IO frames, and the interop-client runner.
//!
//! Every wait is bounded: a hang fails the test with a message naming what was awaited.
//!
//! Set `SOCKETIO_TEST_ADDR=host:port` to run the suites against an external server (for
//! example the reference Node implementation) instead of the in-process test bed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

pub use testbed::Options;

/// The default bound on any single awaited event (a frame, a response, a close).
pub const STEP: Duration = Duration::from_secs(5);

/// Await `fut`, failing the test with `what` if it takes longer than `limit`.
pub async fn within<F: Future>(what: &str, limit: Duration, fut: F) -> F::Output {
    match tokio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {limit:?} waiting for {what}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Test bed
// ---------------------------------------------------------------------------------------------

/// A test-bed server: in-process, or external when `SOCKETIO_TEST_ADDR` is set.
#[derive(Debug)]
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The options it runs with (for an external server: those read from its handshake).
    pub opts: Options,
    running: Option<testbed::Running>,
}

impl TestServer {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether this is an external server (`SOCKETIO_TEST_ADDR`).
    pub fn is_external(&self) -> bool {
        self.running.is_none()
    }

    /// Stop the in-process server (no-op for an external one).
    pub async fn shutdown(self) {
        if let Some(r) = self.running {
            within("test-bed shutdown", STEP, r.shutdown()).await;
        }
    }
}

fn external_addr() -> Option<SocketAddr> {
    let v = std::env::var("SOCKETIO_TEST_ADDR").ok()?;
    let v = v.trim().trim_start_matches("http://").trim_end_matches('/');
    use std::net::ToSocketAddrs;
    let addr = v
        .to_socket_addrs()
        .unwrap_or_else(|e| panic!("SOCKETIO_TEST_ADDR={v}: {e}"))
        .next()
        .unwrap_or_else(|| panic!("SOCKETIO_TEST_ADDR={v}: no address"));
    Some(addr)
}

/// Start the test bed with `opts` on `127.0.0.1:0`, or use the external server named by
/// `SOCKETIO_TEST_ADDR` (whose options are then read from its handshake; see
/// [`try_start_testbed`] for tests that need specific options).
pub async fn start_testbed(opts: Options) -> TestServer {
    if let Some(addr) = external_addr() {
        let (_, open) = Polling::open(addr, "/socket.io/").await;
        let ms = |k: &str| Duration::from_millis(open[k].as_u64().unwrap_or(0));
        let ext = Options {
            ping_interval: ms("pingInterval"),
            ping_timeout: ms("pingTimeout"),
            max_payload: open["maxPayload"].as_u64().unwrap_or(0) as usize,
            ..opts
        };
        return TestServer {
            addr,
            opts: ext,
            running: None,
        };
    }
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    let running = within("test-bed start", STEP, testbed::spawn(addr, opts.clone()))
        .await
        .unwrap_or_else(|e| panic!("cannot start the test bed: {e}"));
    TestServer {
        addr: running.addr,
        opts,
        running: Some(running),
    }
}

/// Like [`start_testbed`], but when the external server runs with other heartbeat or payload
/// settings than `opts`, print `SKIPPED: <test>: <reason>` and return `None`.
pub async fn try_start_testbed(test: &str, opts: Options) -> Option<TestServer> {
    let want = opts.clone();
    let srv = start_testbed(opts).await;
    if srv.is_external()
        && (srv.opts.ping_interval != want.ping_interval
            || srv.opts.ping_timeout != want.ping_timeout
            || srv.opts.max_payload != want.max_payload)
    {
        loud(&format!(
            "SKIPPED: {test}: needs ping {:?}/{:?} maxPayload {}, the external server has {:?}/{:?} {}",
            want.ping_interval,
            want.ping_timeout,
            want.max_payload,
            srv.opts.ping_interval,
            srv.opts.ping_timeout,
            srv.opts.max_payload
        ));
        return None;
    }
    Some(srv)
}

/// Print a line on the real stderr, past the test harness's output capture, so that skips
/// and deviations are visible in a normal `cargo test` run.
pub fn loud(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The options used by load tests: a 1000 ms / 5000 ms heartbeat.
pub fn load_options() -> Options {
    Options {
        ping_interval: Duration::from_millis(1000),
        ping_timeout: Duration::from_millis(5000),
        ..Options::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1
// ---------------------------------------------------------------------------------------------

/// An HTTP response read off the wire.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as (lossy) UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Send raw bytes on a fresh TCP connection and read until the peer closes.
/// Errors (reset, abort) are returned, with whatever was read lost.
pub async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(addr).await?;
    // The server may answer (413, 400) before reading everything: ignore write errors and
    // read what it says.
    let _ = s.write_all(request).await;
    let mut out = Vec::new();
    match s.read_to_end(&mut out).await {
        Ok(_) => Ok(out),
        Err(e) if !out.is_empty() => {
            let _ = e;
            Ok(out)
        }
        Err(e) => Err(e),
    }
}

/// Parse an HTTP/1.1 response (Content-Length, chunked, or read-to-close bodies).
pub fn parse_response(raw: &[u8]) -> Option<Response> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    let rest = &raw[end + 4..];
    let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        let mut body = Vec::new();
        let mut rest = rest;
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n")?;
            let size_str = std::str::from_utf8(&rest[..nl]).ok()?;
            let size = usize::from_str_radix(size_str.split(';').next()?.trim(), 16).ok()?;
            rest = &rest[nl + 2..];
            if size == 0 {
                break;
            }
            body.extend_from_slice(rest.get(..size)?);
            rest = rest.get(size + 2..)?;
        }
        body
    } else if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        rest.get(..len)?.to_vec()
    } else {
        rest.to_vec()
    };
    Some(Response {
        status,
        headers,
        body,
    })
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`).
/// `Err` means the server closed or reset the connection without a complete response.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
    headers: &[(&str, &str)],
) -> std::io::Result<Response> {
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    let raw = raw_exchange(addr, &bytes).await?;
    parse_response(&raw).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!(
                "incomplete HTTP response: {:?}",
                String::from_utf8_lossy(&raw)
            ),
        )
    })
}

/// [`http()`] that must produce a response within [`STEP`].
pub async fn http_ok(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Response {
    within(
        &format!("{method} {path}"),
        STEP,
        http(addr, method, path, body, &[]),
    )
    .await
    .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

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
    /// Handshake; returns the session and the open packet's JSON.
    pub async fn open(addr: SocketAddr, path: &'static str) -> (Polling, Map<String, Value>) {
        let r = http_ok(addr, "GET", &format!("{path}?EIO=4&transport=polling"), b"").await;
        assert_eq!(r.status, 200, "handshake: {}", r.text());
        let open = parse_open(&r.text());
        let sid = open["sid"].as_str().expect("sid is a string").to_string();
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
}

// ---------------------------------------------------------------------------------------------
// Raw WebSocket
// ---------------------------------------------------------------------------------------------

/// A data frame seen by [`Ws`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
    /// The server closed the socket (close frame, EOF or error).
    Closed,
}

type WsStream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A raw WebSocket client.
pub struct Ws {
    inner: WsStream,
    closed: bool,
}

impl std::fmt::Debug for Ws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ws").field("closed", &self.closed).finish()
    }
}

impl Ws {
    /// Open `ws://addr{path_and_query}`.
    pub async fn connect(
        addr: SocketAddr,
        path_and_query: &str,
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let url = format!("ws://{addr}{path_and_query}");
        let (inner, _) = within(
            "websocket handshake",
            STEP,
            tokio_tungstenite::connect_async(url),
        )
        .await?;
        Ok(Ws {
            inner,
            closed: false,
        })
    }

    /// The next data frame within `limit`, or `None` on timeout.
    pub async fn next_within(&mut self, limit: Duration) -> Option<Frame> {
        if self.closed {
            return Some(Frame::Closed);
        }
        let res = tokio::time::timeout(limit, async {
            loop {
                match self.inner.next().await {
                    Some(Ok(Message::Text(t))) => return Frame::Text(t.to_string()),
                    Some(Ok(Message::Binary(b))) => return Frame::Binary(b.to_vec()),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Frame::Closed,
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

    /// The next data frame (bounded by [`STEP`]).
    pub async fn next(&mut self) -> Frame {
        match self.next_within(STEP).await {
            Some(f) => f,
            None => panic!("timed out after {STEP:?} waiting for a websocket frame"),
        }
    }

    /// The next frame, which must be text.
    pub async fn text(&mut self) -> String {
        match self.next().await {
            Frame::Text(t) => t,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// The next frame that is not an Engine.IO ping; pings are answered with `3`.
    pub async fn next_skip_pings(&mut self) -> Frame {
        loop {
            match self.next().await {
                Frame::Text(t) if t == "2" => self.send_text("3").await,
                f => return f,
            }
        }
    }

    /// The next non-ping frame, which must be text.
    pub async fn text_skip_pings(&mut self) -> String {
        match self.next_skip_pings().await {
            Frame::Text(t) => t,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// Send a text frame (errors are ignored: the server may have closed already).
    pub async fn send_text(&mut self, s: &str) {
        let _ = self.inner.send(Message::text(s)).await;
    }

    /// Send a binary frame (errors are ignored).
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

    /// Whether the socket is known to be closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Close from our side.
    pub async fn close(mut self) {
        let _ = self.inner.close(None).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Socket.IO over a raw websocket
// ---------------------------------------------------------------------------------------------

/// A raw Socket.IO client on one websocket: frames are written and checked by hand.
#[derive(Debug)]
pub struct Sio {
    /// The websocket.
    pub ws: Ws,
    /// The Engine.IO open packet.
    pub open: Map<String, Value>,
    next_ack: u64,
}

impl Sio {
    /// Open a websocket to `/socket.io/` and read the Engine.IO open packet.
    pub async fn open(addr: SocketAddr) -> Sio {
        let mut ws = Ws::connect(addr, "/socket.io/?EIO=4&transport=websocket")
            .await
            .unwrap_or_else(|e| panic!("websocket to /socket.io/: {e}"));
        let open = parse_open(&ws.text().await);
        Sio {
            ws,
            open,
            next_ack: 1000,
        }
    }

    /// Open and CONNECT to `/` (skipping the `auth` greeting).
    pub async fn connect(addr: SocketAddr) -> Sio {
        let mut s = Sio::open(addr).await;
        s.join("").await;
        s
    }

    /// CONNECT to namespace `nsp` (`""` for `/`, else `/name`) without auth, check the reply
    /// and the `auth` greeting; returns the namespace sid.
    pub async fn join(&mut self, nsp: &str) -> String {
        let prefix = if nsp.is_empty() {
            String::new()
        } else {
            format!("{nsp},")
        };
        self.ws.send_text(&format!("40{prefix}")).await;
        let reply = self.ws.text_skip_pings().await;
        let json = reply
            .strip_prefix(&format!("40{prefix}"))
            .unwrap_or_else(|| panic!("CONNECT reply for {nsp:?}: {reply:?}"));
        let v: Value = serde_json::from_str(json).expect("CONNECT payload is JSON");
        let sid = v["sid"].as_str().expect("sid").to_string();
        let greet = self.ws.text_skip_pings().await;
        assert_eq!(greet, format!("42{prefix}[\"auth\",{{}}]"));
        sid
    }

    /// CONNECT to `/chat` with `{"token":"secret"}`; checks the `welcome` greeting and
    /// returns the namespace sid.
    pub async fn join_chat(&mut self) -> String {
        self.ws.send_text(r#"40/chat,{"token":"secret"}"#).await;
        let reply = self.ws.text_skip_pings().await;
        let json = reply
            .strip_prefix("40/chat,")
            .unwrap_or_else(|| panic!("CONNECT reply for /chat: {reply:?}"));
        let v: Value = serde_json::from_str(json).expect("CONNECT payload is JSON");
        let sid = v["sid"].as_str().expect("sid").to_string();
        let greet = self.ws.text_skip_pings().await;
        assert_eq!(greet, format!(r#"42/chat,["welcome",{{"sid":"{sid}"}}]"#));
        sid
    }

    /// Send `42<nsp>id["echo", "<tag>"]` and require the matching ack: the connection and
    /// the namespace still work. Skips pings and unrelated frames.
    pub async fn assert_alive(&mut self, tag: &str) {
        if let Err(e) = self.try_alive(tag).await {
            panic!("{e}");
        }
    }

    /// [`Sio::assert_alive`] returning the failure instead of panicking.
    pub async fn try_alive(&mut self, tag: &str) -> Result<(), String> {
        self.next_ack += 1;
        let id = self.next_ack;
        self.ws
            .send_text(&format!("42{id}[\"echo\",\"{tag}\"]"))
            .await;
        let want = format!("43{id}[\"{tag}\"]");
        let res = tokio::time::timeout(STEP, async {
            loop {
                match self.ws.next_within(STEP).await {
                    Some(Frame::Text(t)) if t == "2" => self.ws.send_text("3").await,
                    Some(Frame::Text(t)) if t == want => return Ok(()),
                    Some(Frame::Closed) => {
                        return Err(format!("healthy client was disconnected ({tag})"));
                    }
                    Some(_) => {}
                    None => return Err(format!("no ack {want} within {STEP:?}")),
                }
            }
        })
        .await;
        res.unwrap_or_else(|_| Err(format!("no ack {want} within {STEP:?}")))
    }
}

/// A healthy client on `/` whose heartbeat is answered by a background task, so it stays
/// connected however long the test spends elsewhere; [`Healthy::assert_alive`] proves it
/// still works.
#[derive(Debug)]
pub struct Healthy {
    tx: tokio::sync::mpsc::Sender<(String, tokio::sync::oneshot::Sender<Result<(), String>>)>,
}

impl Healthy {
    /// Connect to `/` and start answering pings.
    pub async fn connect(addr: SocketAddr) -> Healthy {
        let mut s = Sio::connect(addr).await;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(
            String,
            tokio::sync::oneshot::Sender<Result<(), String>>,
        )>(1);
        tokio::spawn(async move {
            enum Ev {
                Cmd(Option<(String, tokio::sync::oneshot::Sender<Result<(), String>>)>),
                Frame(Option<Frame>),
            }
            let mut dead: Option<String> = None;
            loop {
                let ev = tokio::select! {
                    c = rx.recv() => Ev::Cmd(c),
                    f = s.ws.next_within(Duration::from_secs(3600)), if dead.is_none() => Ev::Frame(f),
                };
                match ev {
                    Ev::Cmd(None) => break,
                    Ev::Cmd(Some((tag, reply))) => {
                        let r = match &dead {
                            Some(e) => Err(format!("{e} (before {tag})")),
                            None => s.try_alive(&tag).await,
                        };
                        let _ = reply.send(r);
                    }
                    Ev::Frame(Some(Frame::Text(t))) if t == "2" => s.ws.send_text("3").await,
                    Ev::Frame(Some(Frame::Closed)) => {
                        dead = Some("healthy client was disconnected".into());
                    }
                    Ev::Frame(_) => {}
                }
            }
        });
        Healthy { tx }
    }

    /// Require an acked echo on the healthy client.
    pub async fn assert_alive(&self, tag: &str) {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send((tag.to_string(), reply))
            .await
            .expect("healthy client task");
        match within("healthy client", STEP * 2, rx).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => panic!("healthy client task ended"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Interop clients
// ---------------------------------------------------------------------------------------------

/// Where the official clients live once installed.
#[derive(Debug, Clone)]
pub struct Clients {
    /// `node` binary.
    pub node: PathBuf,
    /// `<repo>/.interop/node` (holds `node_modules/socket.io-client`).
    pub node_dir: PathBuf,
    /// `<repo>/.interop/venv/bin/python`.
    pub python: PathBuf,
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn services_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
        || std::env::var("SOCKETIO_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

fn which(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(bin))
            .find(|c| c.is_file())
    })
}

fn install_clients() -> Result<Clients, String> {
    let node = which("node").ok_or("node is not installed")?;
    which("npm").ok_or("npm is not installed")?;
    which("python3").ok_or("python3 is not installed")?;
    let root = repo_root();
    let dir = root.join(".interop");
    std::fs::create_dir_all(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    let lock = dir.join(".lock");
    let script = root.join("tests/interop/install.sh");
    let out = std::process::Command::new("flock")
        .arg(&lock)
        .arg("bash")
        .arg(&script)
        .output()
        .map_err(|e| format!("running flock {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "install.sh failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(Clients {
        node,
        node_dir: dir.join("node"),
        python: dir.join("venv/bin/python"),
    })
}

/// Install the clients once per test process (under `flock .interop/.lock`). When a tool is
/// missing or the install fails: panic if `CI` or `SOCKETIO_REQUIRE_SERVICES=1` is set, else
/// print `SKIPPED: <test>: <reason>` and return `None`.
pub async fn clients(test: &str) -> Option<Clients> {
    static ONCE: std::sync::OnceLock<Result<Clients, String>> = std::sync::OnceLock::new();
    let res = tokio::task::spawn_blocking(|| ONCE.get_or_init(install_clients).clone())
        .await
        .expect("install task");
    match res {
        Ok(c) => Some(c),
        Err(e) if services_required() => panic!("interop clients unavailable: {e}"),
        Err(e) => {
            loud(&format!(
                "SKIPPED: {test}: interop clients unavailable: {e}"
            ));
            None
        }
    }
}

/// Which client library runs a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lib {
    /// socket.io-client (Node).
    Js,
    /// python-socketio `AsyncClient`.
    PyAsync,
    /// python-socketio `Client` (threads).
    PySync,
}

/// The outcome of one scenario run.
#[derive(Debug)]
pub struct Outcome {
    /// The last JSON line the script printed.
    pub report: Value,
    /// Its stderr, for messages.
    pub stderr: String,
}

/// Run `scenario` of the interop runner for `lib` against `url` over `transport`
/// (`websocket`, `polling`, `upgrade`), with `input` as its JSON input. Fails the test when
/// the script exits non-zero, prints no JSON, or runs longer than `limit`.
pub async fn run_scenario(
    c: &Clients,
    lib: Lib,
    scenario: &str,
    url: &str,
    transport: &str,
    input: &Value,
    limit: Duration,
) -> Outcome {
    let root = repo_root();
    let mut cmd = match lib {
        Lib::Js => {
            let mut cmd = tokio::process::Command::new(&c.node);
            cmd.arg(root.join("tests/interop/js/runner.mjs"))
                .env("NODE_PATH", c.node_dir.join("node_modules"))
                .env("INTEROP_NODE_MODULES", c.node_dir.join("node_modules"));
            cmd
        }
        Lib::PyAsync | Lib::PySync => {
            let mut cmd = tokio::process::Command::new(&c.python);
            cmd.arg(root.join("tests/interop/py/runner.py"));
            cmd.env(
                "INTEROP_PY_CLIENT",
                if lib == Lib::PySync { "sync" } else { "async" },
            );
            cmd
        }
    };
    cmd.arg(scenario)
        .arg(url)
        .arg(transport)
        .env("INTEROP_INPUT", input.to_string())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let what = format!("{lib:?} scenario {scenario} over {transport}");
    let out = within(&what, limit, cmd.output())
        .await
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    let report = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .unwrap_or_else(|| panic!("{what}: no JSON report:\nstdout: {stdout}\nstderr: {stderr}"));
    Outcome { report, stderr }
}

/// `true` when `SOCKETIO_TEST_NODE_REFERENCE=1`: the external server is the reference Node
/// implementation, which deviates from our contract in a few documented places. The caller
/// then relaxes exactly that assertion; a `DEVIATION:` line is printed.
pub fn node_reference_deviation(what: &str) -> bool {
    let on = std::env::var("SOCKETIO_TEST_NODE_REFERENCE").is_ok_and(|v| v == "1")
        && external_addr().is_some();
    if on {
        loud(&format!("DEVIATION (Node reference): {what}"));
    }
    on
}
