//! Engine.IO v4 server: handshake, HTTP long-polling, WebSocket, the polling -> WebSocket
//! upgrade, heartbeat, and the HTTP error contract of the reference server.
//!
//! The engine knows nothing of Socket.IO. It hands every message of a connection, in order, to
//! an [`EngineHandler`], and sends whatever [`Frame`]s the layer above pushes into the
//! connection's bounded outgoing queue. It can be used alone (see the `/engine.io/` echo server
//! of `examples/testbed`).

mod admission;
mod config;
mod core;
mod cors;
mod heartbeat;
mod request;
mod ws;

pub use config::{Cookie, Cors, EngineConfig};
pub use core::Engine;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use bytes::Bytes;

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

/// Why an Engine.IO connection closed. The `Display` text is the reference server's reason
/// string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// The client could not keep up: its outgoing queue was full.
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
pub enum SendError {
    /// The connection is closed.
    Closed,
    /// The outgoing queue is full; the engine closes the connection with
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

/// What pending poll (GET) must be answered with, when it is not data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollAnswer {
    /// `6`: the poll is released (client close, upgrade).
    Noop,
    /// HTTP 400: the session ended on an error.
    Error,
    /// `1`: the session is closed under it (duplicate poll).
    Close,
}

/// Where a polling -> WebSocket upgrade stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpgradeState {
    /// No upgrade in progress.
    None,
    /// A WebSocket is open for this sid, waiting for `2probe`.
    Pending,
    /// `2probe` was answered; polls are answered with `6` at once.
    Probed,
}

/// The mutable part of a connection, behind one short-held lock.
pub(crate) struct Outbox {
    /// Frames waiting for the transport, in order.
    pub(crate) frames: VecDeque<Frame>,
    /// Set once: the connection is closing for this reason.
    pub(crate) close: Option<CloseReason>,
    /// Forced answer for the pending poll.
    pub(crate) poll_answer: Option<PollAnswer>,
    /// A polling GET is in progress.
    pub(crate) get_active: bool,
    /// A polling POST is in progress.
    pub(crate) post_active: bool,
    /// Upgrade progress.
    pub(crate) upgrade: UpgradeState,
}

/// State shared between the [`EngineConn`] handles and the engine's transport code.
pub(crate) struct ConnShared {
    sid: Box<str>,
    request: RequestInfo,
    transport: AtomicU8,
    closing: AtomicBool,
    max_frames: usize,
    outbox: Mutex<Outbox>,
    /// Wakes the consumer of `frames` (the pending GET or the WebSocket task).
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

impl EngineConn {
    pub(crate) fn new(
        sid: Box<str>,
        request: RequestInfo,
        transport: Transport,
        max_frames: usize,
    ) -> Self {
        Self {
            inner: Arc::new(ConnShared {
                sid,
                request,
                transport: AtomicU8::new(transport as u8),
                closing: AtomicBool::new(false),
                max_frames,
                outbox: Mutex::new(Outbox {
                    frames: VecDeque::new(),
                    close: None,
                    poll_answer: None,
                    get_active: false,
                    post_active: false,
                    upgrade: UpgradeState::None,
                }),
                data_ready: Notify::new(),
                driver: Notify::new(),
            }),
        }
    }

    pub(crate) fn shared(&self) -> &ConnShared {
        &self.inner
    }

    pub(crate) fn outbox(&self) -> MutexGuard<'_, Outbox> {
        lock(&self.inner.outbox)
    }

    pub(crate) fn set_transport(&self, t: Transport) {
        self.inner.transport.store(t as u8, Ordering::Release);
    }

    /// The close reason, once a close was requested.
    pub(crate) fn close_reason(&self) -> Option<CloseReason> {
        if !self.inner.closing.load(Ordering::Acquire) {
            return None;
        }
        self.outbox().close
    }

    /// Mark the connection closing (first reason wins) with the outbox already locked.
    pub(crate) fn request_close_locked(&self, ob: &mut Outbox, reason: CloseReason) {
        if ob.close.is_none() {
            ob.close = Some(reason);
            self.inner.closing.store(true, Ordering::Release);
        }
    }

    /// Wake everything that waits on this connection.
    pub(crate) fn wake_all(&self) {
        self.inner.data_ready.notify_one();
        self.inner.driver.notify_one();
    }

    /// Queue a frame regardless of the bound (heartbeat pings): at most one such frame is
    /// ever outstanding.
    pub(crate) fn push_control(&self, frame: Frame) {
        let mut ob = self.outbox();
        if ob.close.is_none() {
            ob.frames.push_back(frame);
        }
        drop(ob);
        self.inner.data_ready.notify_one();
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

    /// Queue a frame. Never blocks and never waits: a full queue closes the connection with
    /// [`CloseReason::SendBufferFull`] and returns [`SendError::Full`].
    pub fn send(&self, frame: Frame) -> Result<(), SendError> {
        self.send_iter(1, std::iter::once(frame))
    }

    /// Queue several frames atomically (a packet and its attachments): all or nothing.
    pub fn send_many(&self, frames: &[Frame]) -> Result<(), SendError> {
        self.send_iter(frames.len(), frames.iter().cloned())
    }

    fn send_iter(&self, n: usize, frames: impl Iterator<Item = Frame>) -> Result<(), SendError> {
        let mut ob = self.outbox();
        if ob.close.is_some() {
            return Err(SendError::Closed);
        }
        if ob.frames.len().saturating_add(n) > self.inner.max_frames {
            self.request_close_locked(&mut ob, CloseReason::SendBufferFull);
            drop(ob);
            self.wake_all();
            return Err(SendError::Full);
        }
        ob.frames.extend(frames);
        drop(ob);
        self.inner.data_ready.notify_one();
        Ok(())
    }

    /// Close the connection: flush what is queued (best effort), then close with `reason`.
    ///
    /// The handler's `on_close` runs later, from the connection's transport task, never
    /// inside this call, so it is safe to call from any callback.
    pub fn close(&self, reason: CloseReason) {
        let mut ob = self.outbox();
        self.request_close_locked(&mut ob, reason);
        drop(ob);
        self.wake_all();
    }

    /// True once the connection is closed or closing.
    pub fn is_closed(&self) -> bool {
        self.inner.closing.load(Ordering::Acquire)
    }
}
