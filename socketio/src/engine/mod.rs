//! Engine.IO v4 server: handshake, HTTP long-polling, WebSocket, the polling -> WebSocket
//! upgrade, heartbeat, and the HTTP error contract of the reference server. Engine.IO v3
//! clients are accepted beside v4 ones with [`EngineConfig::allow_eio3`] (see [`Protocol`]).
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
mod deflate;
mod heartbeat;
mod metrics;
mod request;
mod request_info;
mod session;
mod types;
mod v3;
mod ws;

pub use config::{Cookie, Cors, EngineConfig};
pub use core::Engine;
pub(crate) use core::EngineInner;
pub use request_info::RequestInfo;
pub use types::{CloseReason, Frame, Message, Protocol, SendError, Transport};

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use session::{QueueLimits, SessionState};

use crate::sync::lock;

use crate::proto::percent::decode_form_cow;
use std::borrow::Cow;

// Inlined: its `split('&')` is a `memchr` only where the compiler sees the pattern (not
// inlined, a polling ack, a POST and a GET, cost about 1,000 more instructions in a generic
// searcher).
#[inline(always)]
pub(crate) fn form_pairs(q: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> + '_ {
    q.split('&').filter(|s| !s.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode_form_cow(k), decode_form_cow(v))
    })
}

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

    /// A text message arrived, borrowed from the transport's buffer. The default hands an
    /// owned copy to [`on_message`](Self::on_message); a handler that only reads the text
    /// overrides it to skip that copy (one allocation per message).
    ///
    /// ```
    /// use socketio::engine::{CloseReason, EngineConn, EngineHandler, Message};
    ///
    /// struct Count;
    ///
    /// impl EngineHandler for Count {
    ///     type State = usize;
    ///     fn on_open(&self, _: &EngineConn) -> usize { 0 }
    ///     fn on_message(&self, n: &mut usize, _: &EngineConn, _: Message) { *n += 1 }
    ///     fn on_text(&self, n: &mut usize, _: &EngineConn, _: &str) { *n += 1 }
    ///     fn on_close(&self, _: &mut usize, _: &EngineConn, _: CloseReason) {}
    /// }
    /// ```
    fn on_text(&self, state: &mut Self::State, conn: &EngineConn, text: &str) {
        self.on_message(state, conn, Message::Text(text.to_owned()));
    }

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
    protocol: Protocol,
    transport: AtomicU8,
    /// Mirrors `state.close_reason().is_some()`, for lock-free checks; set under the lock.
    closing: AtomicBool,
    state: Mutex<SessionState>,
    /// The `connection` span (`debug`): disabled, and free, without a subscriber that wants it.
    span: tracing::Span,
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

/// `fut` inside `span`, or as it is when the span is disabled (no enter/exit per poll).
pub(crate) fn in_span<F: std::future::Future>(
    span: &tracing::Span,
    fut: F,
) -> futures_util::future::Either<F, tracing::instrument::Instrumented<F>> {
    use futures_util::future::Either;
    if span.is_disabled() {
        Either::Left(fut)
    } else {
        Either::Right(tracing::Instrument::instrument(fut, span.clone()))
    }
}

impl EngineConn {
    pub(crate) fn new(
        sid: Box<str>,
        request: RequestInfo,
        transport: Transport,
        protocol: Protocol,
        config: &EngineConfig,
    ) -> Self {
        let limits = QueueLimits {
            max_bytes: config.max_buffered_bytes,
            max_frames: config.max_buffered_frames,
        };
        let now = tokio::time::Instant::now();
        let mut state = SessionState::new(now, limits, config.ping_interval, config.ping_timeout);
        if protocol.is_v3() {
            state.use_client_heartbeat(now);
        }
        // Field values are only evaluated when a subscriber enables the span.
        let span = tracing::debug_span!(
            target: "socketio::engine",
            "connection",
            sid = %sid,
            transport = transport.as_str(),
            remote_addr = tracing::field::Empty,
        );
        if let Some(addr) = request.remote_addr() {
            span.record("remote_addr", tracing::field::display(addr));
        }
        Self {
            inner: Arc::new(ConnShared {
                sid,
                request,
                protocol,
                transport: AtomicU8::new(transport as u8),
                closing: AtomicBool::new(false),
                state: Mutex::new(state),
                span,
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
        let old = self.inner.transport.swap(t as u8, Ordering::AcqRel);
        if old == Transport::Polling as u8 && t == Transport::Websocket {
            metrics::upgraded();
            let span = &self.inner.span;
            span.record("transport", t.as_str());
            tracing::debug!(target: "socketio::engine", parent: span, "upgraded to websocket");
        }
    }

    /// The connection's `connection` span (a disabled span without a subscriber).
    pub(crate) fn span(&self) -> &tracing::Span {
        &self.inner.span
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

    /// Close the connection with [`CloseReason::ForcedClose`] at `at` unless this is called
    /// again with `None` first. Run by the transport's own timer: no task per connection.
    pub(crate) fn set_close_deadline(&self, at: Option<tokio::time::Instant>) {
        self.state().set_close_deadline(at);
        if at.is_some() {
            // The transport re-reads its timer deadline when woken.
            self.wake_all();
        }
    }

    /// The Engine.IO session id.
    pub fn sid(&self) -> &str {
        &self.inner.sid
    }

    /// The Engine.IO protocol revision of the connection (v3 only with
    /// [`EngineConfig::allow_eio3`]).
    pub fn protocol(&self) -> Protocol {
        self.inner.protocol
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
