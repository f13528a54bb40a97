//! The bare Engine.IO layer in-process: an [`EchoEngine`] (`socketio::engine::Engine` with an
//! echo handler mounted at `/engine.io/`) whose handler reports every open, message and close,
//! so a test can wait for what the engine did instead of guessing how long it takes.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt as _;
use socketio::engine::{
    CloseReason, Engine, EngineConfig, EngineConn, EngineHandler, Frame, Message, SendError,
};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tower::ServiceExt as _;

use crate::{STEP, within};

/// The echo handler: text `t` is answered with `4t`, binary with the same bytes, and
/// `flood:<n>` makes the server send `n` frames `4x` at once (their results are kept).
pub struct Echo {
    opened: UnboundedSender<EngineConn>,
    closed: UnboundedSender<(String, CloseReason)>,
    received: Mutex<Vec<Message>>,
    flood_results: Mutex<Vec<Result<(), SendError>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl EngineHandler for Echo {
    type State = usize;

    fn on_open(&self, conn: &EngineConn) -> usize {
        let _ = self.opened.send(conn.clone());
        0
    }

    fn on_message(&self, count: &mut usize, conn: &EngineConn, msg: Message) {
        *count += 1;
        lock(&self.received).push(msg.clone());
        match msg {
            Message::Text(t) => {
                if let Some(n) = t.strip_prefix("flood:") {
                    let n: usize = n.parse().unwrap_or(0);
                    let mut results = lock(&self.flood_results);
                    for _ in 0..n {
                        results.push(conn.send(Frame::Text(Bytes::from_static(b"4x"))));
                    }
                } else {
                    let _ = conn.send(Frame::Text(Bytes::from(format!("4{t}"))));
                }
            }
            Message::Binary(b) => {
                let _ = conn.send(Frame::Binary(b));
            }
        }
    }

    fn on_close(&self, _count: &mut usize, conn: &EngineConn, reason: CloseReason) {
        let _ = self.closed.send((conn.sid().to_owned(), reason));
    }
}

/// The Engine.IO settings of the conformance cases: a 300 ms / 200 ms heartbeat.
pub fn engine_test_config() -> EngineConfig {
    let mut cfg = EngineConfig::default();
    cfg.ping_interval = Duration::from_millis(300);
    cfg.ping_timeout = Duration::from_millis(200);
    cfg
}

/// An [`Echo`] engine mounted at `/engine.io/` of [`EchoEngine::app`].
pub struct EchoEngine {
    /// The engine (for `connection_count`, `shutdown`, the handler).
    pub engine: Engine<Echo>,
    /// The router with the engine at `/engine.io/` (drive it with `tower::ServiceExt::oneshot`
    /// or [`EchoEngine::serve`] it).
    pub app: Router,
    opened: tokio::sync::Mutex<UnboundedReceiver<EngineConn>>,
    closed: tokio::sync::Mutex<UnboundedReceiver<(String, CloseReason)>>,
}

impl EchoEngine {
    /// A new engine with `config`.
    pub fn new(config: EngineConfig) -> EchoEngine {
        let (otx, opened) = unbounded_channel();
        let (ctx, closed) = unbounded_channel();
        let echo = Echo {
            opened: otx,
            closed: ctx,
            received: Mutex::new(Vec::new()),
            flood_results: Mutex::new(Vec::new()),
        };
        let engine = Engine::new(config, echo);
        let app = socketio::router::mount(Router::new(), "/engine.io/", engine.clone());
        EchoEngine {
            engine,
            app,
            opened: tokio::sync::Mutex::new(opened),
            closed: tokio::sync::Mutex::new(closed),
        }
    }

    /// Serve [`EchoEngine::app`] with [`socketio::serve`] on `127.0.0.1:0` (the task runs until
    /// the test's runtime ends).
    pub async fn serve(&self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("local_addr: {e}"));
        let app = self.app.clone();
        tokio::spawn(async move {
            let _ = socketio::serve(listener, app).await;
        });
        addr
    }

    /// The next connection the engine opened (bounded by [`STEP`]).
    pub async fn next_open(&self) -> EngineConn {
        let mut rx = self.opened.lock().await;
        within("the engine to open a connection", STEP, rx.recv())
            .await
            .expect("engine handler dropped")
    }

    /// The next connection the engine closed, with its reason (bounded by [`STEP`]).
    pub async fn next_close(&self) -> (String, CloseReason) {
        let mut rx = self.closed.lock().await;
        within("the engine to close a connection", STEP, rx.recv())
            .await
            .expect("engine handler dropped")
    }

    /// Every message the handler received so far, in order.
    pub fn received(&self) -> Vec<Message> {
        lock(&self.engine.handler().received).clone()
    }

    /// `GET /engine.io/?EIO=4&transport=polling` in-process; returns the new sid.
    pub async fn handshake(&self) -> String {
        let r = self.get("/engine.io/?EIO=4&transport=polling").await;
        assert_eq!(r.status, StatusCode::OK, "handshake: {}", r.text());
        let v: serde_json::Value = serde_json::from_slice(r.body.get(1..).unwrap_or_default())
            .unwrap_or_else(|e| panic!("handshake body {:?}: {e}", r.text()));
        v["sid"]
            .as_str()
            .unwrap_or_else(|| panic!("handshake without sid: {}", r.text()))
            .to_owned()
    }

    /// One request to [`EchoEngine::app`] in-process (no socket).
    pub async fn req(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> AppResponse {
        oneshot(&self.app, method, uri, headers, body).await
    }

    /// In-process GET.
    pub async fn get(&self, uri: &str) -> AppResponse {
        self.req("GET", uri, &[], Body::empty()).await
    }

    /// In-process POST.
    pub async fn post(&self, uri: &str, body: &'static [u8]) -> AppResponse {
        self.req("POST", uri, &[], Body::from(body)).await
    }

    /// Start a polling GET for `sid` and return once the engine holds it pending: the
    /// request is driven until it waits (it has registered as the session's poll and found
    /// nothing to send), which the engine does before its first await. Fails if the GET
    /// answers at once. The returned task resolves when the engine answers it.
    pub async fn pending_get(self: &Arc<Self>, sid: &str) -> tokio::task::JoinHandle<AppResponse> {
        let b = Arc::clone(self);
        let uri = poll_uri(sid);
        let fut: Pin<Box<dyn Future<Output = AppResponse> + Send>> =
            Box::pin(async move { b.get(&uri).await });
        pending(fut, "a polling GET").await
    }
}

/// Drive `fut` until it first waits, then run the rest of it on a task. Fails the test if it
/// completes without waiting: the caller relies on it being parked in the server.
pub async fn pending<T: Send + 'static>(
    mut fut: Pin<Box<dyn Future<Output = T> + Send>>,
    what: &str,
) -> tokio::task::JoinHandle<T> {
    let first = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
    assert!(first.is_pending(), "{what} was answered at once");
    tokio::spawn(fut)
}

/// The polling URI of `sid` at `/engine.io/`.
pub fn poll_uri(sid: &str) -> String {
    format!("/engine.io/?EIO=4&transport=polling&sid={sid}")
}

/// A response of an in-process request ([`oneshot`]).
#[derive(Debug)]
pub struct AppResponse {
    /// Status code.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl AppResponse {
    /// The body as UTF-8 (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One request to `app` in-process with `tower::ServiceExt::oneshot`; the body is read
/// to the end.
pub async fn oneshot(
    app: &Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> AppResponse {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b
        .body(body.into())
        .unwrap_or_else(|e| panic!("request {method} {uri}: {e}"));
    let resp = match app.clone().oneshot(req).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("body of {method} {uri}: {e}"))
        .to_bytes();
    AppResponse {
        status,
        headers,
        body,
    }
}

impl EchoEngine {
    /// The results of the sends of every `flood:<n>` so far.
    pub fn flood_results(&self) -> Vec<Result<(), SendError>> {
        lock(&self.engine.handler().flood_results).clone()
    }
}
