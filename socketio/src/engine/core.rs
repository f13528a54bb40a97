//! The engine: its configuration, the handler, the table of open sessions, shutdown, and the
//! per-session timer task of polling sessions.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use tokio::sync::Notify;
use tokio::time::{Instant, sleep_until};

use super::admission::{Admission, Permit};
use super::heartbeat::Beat;
use super::{
    CloseReason, EngineConfig, EngineConn, EngineHandler, Protocol, RequestInfo, Transport,
};
use crate::proto::eio::OpenPacket;
use crate::sync::lock;

/// An Engine.IO v4 server: create it once, mount it on any path (see
/// [`crate::router::mount`]) or call [`Engine::handle`] from your own handler.
///
/// ```no_run
/// use socketio::engine::{Engine, EngineConfig, EngineConn, EngineHandler, Frame, Message, CloseReason};
///
/// struct Echo;
/// impl EngineHandler for Echo {
///     type State = ();
///     fn on_open(&self, _conn: &EngineConn) {}
///     fn on_message(&self, _: &mut (), conn: &EngineConn, msg: Message) {
///         let _ = conn.send(match msg {
///             Message::Text(t) => Frame::Text(format!("4{t}").into()),
///             Message::Binary(b) => Frame::Binary(b),
///         });
///     }
///     fn on_close(&self, _: &mut (), _conn: &EngineConn, _reason: CloseReason) {}
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let engine = Engine::new(EngineConfig::default(), Echo);
/// let app = socketio::router::mount(axum::Router::new(), "/engine.io/", engine);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// // `socketio::serve` bounds every wait (headers, idle, writes); `axum::serve` works too.
/// socketio::serve(listener, app).await
/// # }
/// ```
pub struct Engine<H: EngineHandler> {
    pub(crate) inner: Arc<EngineInner<H>>,
}

impl<H: EngineHandler> Clone for Engine<H> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<H: EngineHandler> std::fmt::Debug for Engine<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .field("connections", &self.connection_count())
            .finish()
    }
}

pub(crate) struct EngineInner<H: EngineHandler> {
    pub(crate) config: EngineConfig,
    pub(crate) handler: H,
    sessions: Mutex<HashMap<Box<str>, Arc<Session<H>>>>,
    shutting_down: AtomicBool,
    drained: Notify,
    pub(crate) admission: Arc<Admission>,
    pub(crate) metrics: super::metrics::EngineMetrics,
}

/// One Engine.IO session: the connection handle (with the session state machine) and the
/// handler's state.
pub(crate) struct Session<H: EngineHandler> {
    pub(crate) conn: EngineConn,
    pub(crate) state: Mutex<Option<H::State>>,
    /// The session's place under the connection caps, given back when it is forgotten.
    pub(crate) permit: Mutex<Option<Permit>>,
}

impl<H: EngineHandler> Engine<H> {
    /// Create an engine that hands every connection to `handler`.
    pub fn new(config: EngineConfig, handler: H) -> Self {
        Self {
            inner: Arc::new(EngineInner {
                admission: Admission::new(&config),
                metrics: super::metrics::EngineMetrics::new(),
                config,
                handler,
                sessions: Mutex::new(HashMap::new()),
                shutting_down: AtomicBool::new(false),
                drained: Notify::new(),
            }),
        }
    }

    /// The configuration this engine was created with.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.inner.handler
    }

    /// The number of open connections (both transports).
    pub fn connection_count(&self) -> usize {
        lock(&self.inner.sessions).len()
    }

    /// Close every connection with [`CloseReason::ServerShuttingDown`], refuse new ones, and
    /// wait until every connection's `on_close` has run.
    pub async fn shutdown(&self) {
        self.inner.shutting_down.store(true, Ordering::Release);
        loop {
            let drained = self.inner.drained.notified();
            let sessions: Vec<_> = lock(&self.inner.sessions).values().cloned().collect();
            if sessions.is_empty() {
                return;
            }
            for s in sessions {
                s.conn.close(CloseReason::ServerShuttingDown);
            }
            drained.await;
        }
    }
}

impl<H: EngineHandler> EngineInner<H> {
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    pub(crate) fn get(&self, sid: &str) -> Option<Arc<Session<H>>> {
        lock(&self.sessions).get(sid).cloned()
    }

    /// Create a session of `protocol` with a given sid, run `on_open`, and register it.
    pub(crate) fn open_with(
        &self,
        sid: Box<str>,
        request: RequestInfo,
        transport: Transport,
        protocol: Protocol,
    ) -> Arc<Session<H>> {
        let conn = EngineConn::new(sid, request, transport, protocol, &self.config);
        super::metrics::opened(transport);
        tracing::debug!(target: "socketio::engine", parent: conn.span(), "connection opened");
        let session = Arc::new(Session {
            conn,
            state: Mutex::new(None),
            permit: Mutex::new(None),
        });
        let state = self.handler.on_open(&session.conn);
        *lock(&session.state) = Some(state);
        lock(&self.sessions).insert(session.conn.sid().into(), Arc::clone(&session));
        if self.is_shutting_down() {
            session.conn.close(CloseReason::ServerShuttingDown);
        }
        session
    }

    /// Finish a closing polling session. When the client closed it while its last poll was
    /// still on the way, the session stays findable (closed) until that poll has had its
    /// `6`; when the server closed it with more queued than one poll carries, until the
    /// polls have taken the rest; either for at most `min(ping_timeout, 1 s)`.
    pub(crate) async fn finish_polling(&self, session: &Session<H>, reason: CloseReason) {
        self.run_on_close(session, reason);
        let grace = self.config.ping_timeout.min(Duration::from_secs(1));
        let until = Instant::now() + grace;
        loop {
            let woken = session.conn.shared().driver.notified();
            if !session.conn.state().poll_answer_pending() || self.is_shutting_down() {
                break;
            }
            tokio::select! {
                _ = sleep_until(until) => break,
                _ = woken => {}
            }
        }
        self.forget(session, reason);
    }

    /// Finish a closing session: run `on_close` (once), forget the session, release a
    /// pending poll.
    pub(crate) fn finish(&self, session: &Session<H>, reason: CloseReason) {
        self.run_on_close(session, reason);
        self.forget(session, reason);
    }

    fn run_on_close(&self, session: &Session<H>, reason: CloseReason) {
        session.conn.state().request_close(reason);
        let state = lock(&session.state).take();
        if let Some(mut state) = state {
            self.handler.on_close(&mut state, &session.conn, reason);
        }
        session.conn.shared().data_ready.notify_one();
    }

    fn forget(&self, session: &Session<H>, reason: CloseReason) {
        drop(lock(&session.permit).take());
        let (removed, empty) = {
            let mut sessions = lock(&self.sessions);
            let removed = sessions.remove(session.conn.sid()).is_some();
            (removed, sessions.is_empty())
        };
        if removed {
            super::metrics::closed(session.conn.transport(), reason);
            tracing::debug!(
                target: "socketio::engine",
                parent: session.conn.span(),
                %reason,
                "connection closed"
            );
        }
        if empty {
            self.drained.notify_waiters();
        }
        session.conn.shared().data_ready.notify_one();
    }

    /// Deliver a message to the handler, unless the connection is closing.
    pub(crate) fn deliver(&self, session: &Session<H>, msg: super::Message) {
        let mut state = lock(&session.state);
        if session.conn.is_closed() {
            return;
        }
        if let Some(state) = state.as_mut() {
            self.handler.on_message(state, &session.conn, msg);
        }
    }

    /// [`deliver`](Self::deliver) a text message borrowed from the transport's buffer.
    pub(crate) fn deliver_text(&self, session: &Session<H>, text: &str) {
        let mut state = lock(&session.state);
        if session.conn.is_closed() {
            return;
        }
        if let Some(state) = state.as_mut() {
            self.handler.on_text(state, &session.conn, text);
        }
    }
}

/// The open packet (`0{...}`) of a new session.
pub(crate) fn open_packet<H: EngineHandler>(
    engine: &EngineInner<H>,
    sid: &str,
    upgrades: &[&str],
) -> String {
    let c = &engine.config;
    OpenPacket {
        sid,
        upgrades,
        ping_interval_ms: u64::try_from(c.ping_interval.as_millis()).unwrap_or(u64::MAX),
        ping_timeout_ms: u64::try_from(c.ping_timeout.as_millis()).unwrap_or(u64::MAX),
        max_payload: c.max_payload,
    }
    .encode()
}

/// A new Engine.IO session id: 16 bytes from a CSPRNG, base64url without padding (22
/// characters). Distinct from a Socket.IO socket id (`server::socket::new_socket_id`).
pub(crate) fn new_session_id() -> Box<str> {
    let mut raw = [0u8; 16];
    rand::rng().fill_bytes(&mut raw);
    URL_SAFE_NO_PAD.encode(raw).into_boxed_str()
}

/// The timer task of a polling session: pings, the pong deadline, and the final close. It
/// ends when the session closes or when a WebSocket upgrade takes the heartbeat over.
pub(crate) async fn drive_polling<H: EngineHandler>(
    engine: Arc<EngineInner<H>>,
    session: Arc<Session<H>>,
) {
    let span = session.conn.span().clone();
    super::in_span(&span, drive_polling_inner(engine, session)).await;
}

async fn drive_polling_inner<H: EngineHandler>(
    engine: Arc<EngineInner<H>>,
    session: Arc<Session<H>>,
) {
    let conn = &session.conn;
    let sleep = sleep_until(conn.state().timer_deadline());
    tokio::pin!(sleep);
    loop {
        let woken = conn.shared().driver.notified();
        if let Some(reason) = conn.close_reason() {
            engine.finish_polling(&session, reason).await;
            return;
        }
        {
            let mut st = conn.state();
            // Read under the state lock: an upgrade switches the transport under it.
            if conn.transport() == Transport::Websocket {
                return;
            }
            match st.poll_timer(Instant::now()) {
                Beat::SendPing => conn.shared().data_ready.notify_one(),
                Beat::TimedOut => {
                    drop(st);
                    conn.wake_all();
                    continue;
                }
                Beat::Wait => {}
            }
            let deadline = st.timer_deadline();
            if sleep.deadline() != deadline {
                sleep.as_mut().reset(deadline);
            }
        }
        tokio::select! {
            _ = &mut sleep => {}
            _ = woken => {}
        }
    }
}
