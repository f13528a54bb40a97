//! Engine.IO v4 server: handshake, HTTP long-polling, WebSocket, the polling -> WebSocket
//! upgrade, heartbeat, and the HTTP error contract of the reference server.
//!
//! The engine knows nothing of Socket.IO. It hands every message of a connection, in order, to
//! an [`EngineHandler`], and sends whatever [`Frame`]s the layer above pushes into the
//! connection's bounded outgoing queue. It can be used alone (see the `/engine.io/` echo server
//! of `examples/testbed`).
//!
//! The state of one session (queue, byte budget, poll and upgrade state, heartbeat) is one
//! sans-IO state machine, `session::SessionState`; the transports perform the I/O it asks
//! for. Its limits ([`EngineConfig::max_buffered_bytes`], [`EngineConfig::max_poll_packets`],
//! [`EngineConfig::max_poll_bytes`]) and deadlines ([`EngineConfig::request_body_timeout`],
//! [`EngineConfig::upgrade_timeout`], the heartbeat) are documented on [`EngineConfig`].

mod admission;
mod config;
mod core;
mod cors;
mod heartbeat;
mod request;
mod session;
mod ws;

pub use config::{Cookie, Cors, EngineConfig};
pub use core::Engine;

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use bytes::Bytes;

use session::{QueueLimits, SessionState};

/// One message received from a client (Engine.IO packet type `4`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message, without the leading `4`.
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

/// One packet to send, already in wire form.
///
/// `Text` holds a whole Engine.IO text packet **including its type digit** (`b"4hello"`,
/// `b"42[\"ev\"]"`, `b"2"`), valid UTF-8. `Binary` holds the data of a binary message. Over
/// WebSocket each frame is one WebSocket message, as is; over polling, frames are joined with
/// `\x1e` and binary ones are written `b<base64>`. Cloning a frame is cheap: a broadcast
/// shares one `Bytes` among all recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A complete text packet, type digit first.
    Text(Bytes),
    /// The data of a binary message.
    Binary(Bytes),
}

impl Frame {
    /// The bytes of the frame (the text packet with its type digit, or the binary data).
    pub(crate) fn data(&self) -> &Bytes {
        match self {
            Self::Text(b) | Self::Binary(b) => b,
        }
    }
}

/// Why an Engine.IO connection closed. The `Display` text is the reference server's reason
/// string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent a close packet (`1`) or closed the WebSocket cleanly.
    TransportClose,
    /// The transport failed: I/O error, protocol violation, message over `maxPayload`.
    TransportError,
    /// No pong within `pingTimeout`.
    PingTimeout,
    /// The client sent something that does not parse.
    ParseError,
    /// The server closed the connection ([`EngineConn::close`]).
    ForcedClose,
    /// The client could not keep up: its outgoing queue reached
    /// [`EngineConfig::max_buffered_bytes`].
    SendBufferFull,
    /// The server is shutting down.
    ServerShuttingDown,
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::TransportClose => "transport close",
            Self::TransportError => "transport error",
            Self::PingTimeout => "ping timeout",
            Self::ParseError => "parse error",
            Self::ForcedClose => "forced close",
            Self::SendBufferFull => "send buffer full",
            Self::ServerShuttingDown => "server shutting down",
        })
    }
}

/// Transport of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    Websocket,
}

impl Transport {
    /// `"polling"` or `"websocket"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Polling => "polling",
            Self::Websocket => "websocket",
        }
    }
}

/// What the server knew of the HTTP request that opened a connection (python-socketio's
/// `environ`, Node's `handshake`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequestInfo {
    /// Request URI (path and query).
    pub uri: http::Uri,
    /// Request headers.
    pub headers: http::HeaderMap,
    /// Peer address, when the server was started with connect info.
    pub remote_addr: Option<std::net::SocketAddr>,
}

impl RequestInfo {
    /// The value of one query parameter, percent-decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        let q = self.uri.query()?;
        form_pairs(q).find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

use crate::proto::percent::decode_form;

pub(crate) fn form_pairs(q: &str) -> impl Iterator<Item = (String, String)> + '_ {
    q.split('&').filter(|s| !s.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode_form(k), decode_form(v))
    })
}

/// Error from [`EngineConn::send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The connection is closed.
    Closed,
    /// The frames would take the outgoing queue past [`EngineConfig::max_buffered_bytes`]
    /// (or [`EngineConfig::max_buffered_frames`]); the engine closes the connection with
    /// [`CloseReason::SendBufferFull`].
    Full,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Closed => "connection closed",
            Self::Full => "send buffer full",
        })
    }
}

impl std::error::Error for SendError {}

/// The layer above the engine (Socket.IO, or an application using Engine.IO alone).
///
/// Callbacks for one connection are never concurrent and arrive in order: `on_open`, then
/// `on_message` for every message, then `on_close` exactly once. They are synchronous and must
/// not block: start a task for slow work.
pub trait EngineHandler: Send + Sync + 'static {
    /// Per-connection state, created by `on_open` and handed back (mutably) on every callback.
    type State: Send + 'static;

    /// A connection completed its handshake.
    fn on_open(&self, conn: &EngineConn) -> Self::State;

    /// A message arrived.
    fn on_message(&self, state: &mut Self::State, conn: &EngineConn, msg: Message);

    /// The connection closed; called once, after which the state is dropped.
    fn on_close(&self, state: &mut Self::State, conn: &EngineConn, reason: CloseReason);
}

/// A cheap, cloneable handle to one Engine.IO connection.
#[derive(Clone)]
pub struct EngineConn {
    inner: Arc<ConnShared>,
}

/// State shared between the [`EngineConn`] handles and the engine's transport code.
pub(crate) struct ConnShared {
    sid: Box<str>,
    request: RequestInfo,
    transport: AtomicU8,
    /// Mirrors `state.close_reason().is_some()`, for lock-free checks; set under the lock.
    closing: AtomicBool,
    state: Mutex<SessionState>,
    /// Wakes the consumer of the queue (the pending GET or the WebSocket task).
    pub(crate) data_ready: Notify,
    /// Wakes the polling session's timer task.
    pub(crate) driver: Notify,
}

impl std::fmt::Debug for EngineConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConn")
            .field("sid", &self.sid())
            .finish()
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The session state, locked. When it is released, a close that a transition requested is
/// published to [`EngineConn::is_closed`].
pub(crate) struct StateGuard<'a> {
    state: MutexGuard<'a, SessionState>,
    closing: &'a AtomicBool,
}

impl std::ops::Deref for StateGuard<'_> {
    type Target = SessionState;
    fn deref(&self) -> &SessionState {
        &self.state
    }
}

impl std::ops::DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut SessionState {
        &mut self.state
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        if self.state.close_reason().is_some() && !self.closing.load(Ordering::Relaxed) {
            self.closing.store(true, Ordering::Release);
        }
    }
}

impl EngineConn {
    pub(crate) fn new(
        sid: Box<str>,
        request: RequestInfo,
        transport: Transport,
        config: &EngineConfig,
    ) -> Self {
        let limits = QueueLimits {
            max_bytes: config.max_buffered_bytes,
            max_frames: config.max_buffered_frames,
        };
        let state = SessionState::new(
            tokio::time::Instant::now(),
            limits,
            config.ping_interval,
            config.ping_timeout,
        );
        Self {
            inner: Arc::new(ConnShared {
                sid,
                request,
                transport: AtomicU8::new(transport as u8),
                closing: AtomicBool::new(false),
                state: Mutex::new(state),
                data_ready: Notify::new(),
                driver: Notify::new(),
            }),
        }
    }

    pub(crate) fn shared(&self) -> &ConnShared {
        &self.inner
    }

    /// Lock the session state. Held briefly, never across an await.
    pub(crate) fn state(&self) -> StateGuard<'_> {
        StateGuard {
            state: lock(&self.inner.state),
            closing: &self.inner.closing,
        }
    }

    /// Switch the transport; called with the state locked (`_state`), so that the polling
    /// timer task, which reads the transport under the same lock, sees the change before
    /// it touches the heartbeat again.
    pub(crate) fn set_transport(&self, _state: &mut StateGuard<'_>, t: Transport) {
        self.inner.transport.store(t as u8, Ordering::Release);
    }

    /// The close reason, once a close was requested.
    pub(crate) fn close_reason(&self) -> Option<CloseReason> {
        if !self.inner.closing.load(Ordering::Acquire) {
            return None;
        }
        self.state().close_reason()
    }

    /// Wake everything that waits on this connection.
    pub(crate) fn wake_all(&self) {
        self.inner.data_ready.notify_one();
        self.inner.driver.notify_one();
    }

    /// The Engine.IO session id.
    pub fn sid(&self) -> &str {
        &self.inner.sid
    }

    /// The current transport.
    pub fn transport(&self) -> Transport {
        if self.inner.transport.load(Ordering::Acquire) == Transport::Websocket as u8 {
            Transport::Websocket
        } else {
            Transport::Polling
        }
    }

    /// The HTTP request that opened the connection.
    pub fn request(&self) -> &RequestInfo {
        &self.inner.request
    }

    /// Queue a frame. Never blocks and never waits: when the queue would exceed
    /// [`EngineConfig::max_buffered_bytes`] (or the [`EngineConfig::max_buffered_frames`]
    /// safety net), the connection closes with [`CloseReason::SendBufferFull`] and this
    /// returns [`SendError::Full`].
    pub fn send(&self, frame: Frame) -> Result<(), SendError> {
        let r = self.state().push(frame);
        self.after_push(r)
    }

    /// Queue several frames atomically (a packet and its attachments): all or nothing.
    pub fn send_many(&self, frames: &[Frame]) -> Result<(), SendError> {
        let r = self.state().push_many(frames);
        self.after_push(r)
    }

    fn after_push(&self, r: Result<(), SendError>) -> Result<(), SendError> {
        match r {
            Ok(()) => self.inner.data_ready.notify_one(),
            Err(SendError::Full) => self.wake_all(),
            Err(SendError::Closed) => {}
        }
        r
    }

    /// Close the connection: flush what is queued (best effort), then close with `reason`.
    ///
    /// The handler's `on_close` runs later, from the connection's transport task, never
    /// inside this call, so it is safe to call from any callback.
    pub fn close(&self, reason: CloseReason) {
        self.state().request_close(reason);
        self.wake_all();
    }

    /// True once the connection is closed or closing.
    pub fn is_closed(&self) -> bool {
        self.inner.closing.load(Ordering::Acquire)
    }
}
