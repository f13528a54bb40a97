//! One Engine.IO connection seen by the Socket.IO layer: packet decoding, namespace
//! connects, and event dispatch to the right socket.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

use smallvec::SmallVec;

use super::ratelimit::{BudgetExceeded, InboundBudget, RateLimitAction, RateLimiter};
use super::state::{Client, ConnectContext, EventContext, Socket, read};
use super::types::{ConnectError, DisconnectReason, Handshake};
use crate::engine::{CloseReason, EngineConn, EngineHandler, Frame, Message};
use crate::proto::sio::{self, Args, Decoder, Packet, PacketKind};

/// Per-connection state, owned by the engine.
pub(crate) struct ClientState {
    decoder: Decoder,
    sockets: SmallVec<[Socket; 2]>,
    connect_timer: Option<tokio::task::AbortHandle>,
    /// Set once a namespace of this connection is connected: the connect timer then spares
    /// it (a rejected CONNECT does not).
    joined: Arc<AtomicBool>,
    /// Events of this connection waiting for handlers, shared by all its sockets.
    budget: Arc<InboundBudget>,
    /// `Some` when [`ServerConfig::rate_limit`](super::ServerConfig::rate_limit) is set.
    rate: Option<RateLimiter>,
}

static WARNED_EMPTY: AtomicBool = AtomicBool::new(false);

impl EngineHandler for Client {
    type State = ClientState;

    fn on_open(&self, conn: &EngineConn) -> ClientState {
        let timeout = self.io.config.connect_timeout;
        let c = conn.clone();
        let joined = Arc::new(AtomicBool::new(false));
        let j = joined.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if !j.load(Ordering::Acquire) {
                c.close(CloseReason::ForcedClose);
            }
        });
        ClientState {
            decoder: Decoder::new(self.io.config.max_attachments),
            sockets: SmallVec::new(),
            connect_timer: Some(timer.abort_handle()),
            joined,
            budget: InboundBudget::new(
                self.io.config.max_queued_events,
                self.io.config.max_queued_event_bytes,
            ),
            rate: self
                .io
                .config
                .rate_limit
                .as_ref()
                .map(|l| RateLimiter::new(l, Instant::now())),
        }
    }

    fn on_message(&self, state: &mut ClientState, conn: &EngineConn, msg: Message) {
        let decoded = match msg {
            Message::Text(text) => state.decoder.feed_text(&text),
            Message::Binary(data) => state.decoder.feed_binary(data),
        };
        match decoded {
            Ok(Some(packet)) => self.handle(state, conn, packet),
            Ok(None) => {}
            Err(e) => {
                tracing::debug!(eio_sid = %conn.sid(), "closing connection: {e}");
                conn.close(CloseReason::ParseError);
            }
        }
    }

    fn on_close(&self, state: &mut ClientState, _conn: &EngineConn, reason: CloseReason) {
        if let Some(t) = state.connect_timer.take() {
            t.abort();
        }
        for s in state.sockets.drain(..) {
            s.close(DisconnectReason::from(reason));
        }
    }
}

impl Client {
    fn socket(state: &mut ClientState, nsp: &str) -> Option<Socket> {
        state.sockets.retain(|s| !s.is_closed());
        state.sockets.iter().find(|s| s.ns() == nsp).cloned()
    }

    fn handle(&self, state: &mut ClientState, conn: &EngineConn, packet: Packet) {
        let Packet { nsp, kind } = packet;
        match kind {
            PacketKind::Connect { auth } => self.connect(state, conn, nsp, auth),
            PacketKind::Disconnect => {
                if let Some(s) = Self::socket(state, &nsp) {
                    state.sockets.retain(|x| x != &s);
                    s.close(DisconnectReason::ClientNamespaceDisconnect);
                }
            }
            PacketKind::Event { name, args, id } => {
                let cost = event_cost(&args);
                if let Some(rate) = state.rate.as_mut() {
                    if !rate.allow(cost, Instant::now()) {
                        let action = rate.action();
                        return Self::rate_limited(state, conn, &nsp, &name, id, action);
                    }
                }
                match Self::socket(state, &nsp) {
                    Some(s) if s.connected() => {
                        if dispatch(&s, name, args, id, cost, &state.budget).is_err() {
                            Self::close_connection(state, conn, DisconnectReason::InboundQueueFull);
                        }
                    }
                    _ => {
                        tracing::debug!(nsp = %nsp, event = %name, "event for a namespace not joined: dropped")
                    }
                }
            }
            PacketKind::Ack { id, args } => {
                if let Some(s) = Self::socket(state, &nsp) {
                    s.resolve_ack(id, args);
                }
            }
            PacketKind::ConnectError { .. } => {
                tracing::debug!(nsp = %nsp, "CONNECT_ERROR from a client ignored");
            }
        }
    }

    /// An event over the connection's rate limit: dropped with an error ack, or the end of
    /// the connection.
    fn rate_limited(
        state: &mut ClientState,
        conn: &EngineConn,
        nsp: &str,
        name: &str,
        id: Option<u64>,
        action: RateLimitAction,
    ) {
        match action {
            RateLimitAction::Disconnect => {
                Self::close_connection(state, conn, DisconnectReason::RateLimited)
            }
            RateLimitAction::DropWithError => {
                tracing::debug!(eio_sid = %conn.sid(), nsp, event = name, "rate limited: event dropped");
                if let (Some(id), Some(s)) = (id, Self::socket(state, nsp)) {
                    if s.connected() {
                        s.send_ack(id, &Err::<(), _>(RATE_LIMITED));
                    }
                }
            }
        }
    }

    /// Close the whole connection because of what the client sent: every socket leaves its
    /// namespace with `reason` (its disconnect handler runs after the handlers queued
    /// before), then the Engine.IO connection closes.
    fn close_connection(state: &mut ClientState, conn: &EngineConn, reason: DisconnectReason) {
        tracing::info!(eio_sid = %conn.sid(), "closing the connection: {reason}");
        for s in state.sockets.drain(..) {
            s.close(reason);
        }
        conn.close(CloseReason::ForcedClose);
    }

    fn connect(
        &self,
        state: &mut ClientState,
        conn: &EngineConn,
        nsp: String,
        auth: Option<String>,
    ) {
        if Self::socket(state, &nsp).is_some() {
            // python-socketio refuses a second CONNECT to the same namespace.
            send_connect_error(conn, &nsp, &ConnectError::new("Unable to connect"));
            return;
        }
        // `socket` above dropped the closed sockets: these are connected or connecting.
        if state.sockets.len() >= self.io.config.max_namespaces_per_connection {
            tracing::debug!(eio_sid = %conn.sid(), nsp = %nsp, "too many namespaces on one connection");
            send_connect_error(conn, &nsp, &ConnectError::new("Too many namespaces"));
            return;
        }
        let Some(ns) = self.io.ns_for_connect(&nsp) else {
            if read(&self.io.namespaces).is_empty() && !WARNED_EMPTY.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "a client asked for namespace `{nsp}` but the server has no namespaces: \
                     add a `#[namespace(\"/path\")]` impl block (its module must be linked into \
                     the binary), register one with `SocketIo::builder().namespace(..)`, or add \
                     handlers with `io.of(\"/path\")`"
                );
            }
            send_connect_error(conn, &nsp, &ConnectError::new("Invalid namespace"));
            return;
        };
        let handshake = Arc::new(Handshake {
            conn: conn.clone(),
            auth,
            transport: conn.transport(),
            issued: SystemTime::now(),
        });
        let socket = Socket::new(ns.clone(), conn.clone(), handshake.clone());
        state.sockets.push(socket.clone());
        let handler = ns.connect_handler();
        let Some(handler) = handler else {
            connect_now(state, &socket);
            return;
        };
        let ctx = ConnectContext {
            socket: socket.clone(),
            handshake,
        };
        let joined = state.joined.clone();
        if self.io.config.always_connect {
            connect_now(state, &socket);
            let s = socket.clone();
            let fut = handler(ctx);
            socket.run_ordered(
                Box::pin(async move {
                    if let Err(e) = fut.await {
                        tracing::debug!(sid = %s.id(), "connection refused after connect: {e}");
                        s.disconnect();
                    }
                }),
                true,
            );
            return;
        }
        let s = socket.clone();
        let fut = handler(ctx);
        socket.run_ordered(
            Box::pin(async move {
                match fut.await {
                    Ok(()) => {
                        finish_connect(&s, &joined);
                    }
                    Err(e) => {
                        send_connect_error(&s.0.conn, s.ns(), &e);
                        s.close(DisconnectReason::ServerNamespaceDisconnect);
                    }
                }
            }),
            true,
        );
    }
}

fn send_connect_error(conn: &EngineConn, nsp: &str, err: &ConnectError) {
    let data = err.data_json();
    let enc = sio::encode_connect_error(nsp, err.message(), data.as_deref());
    let _ = conn.send(Frame::Text(enc.text));
}

/// Connect `s` from the connection's own callback: once it connected, the connect timer
/// of the connection is no longer needed.
fn connect_now(state: &mut ClientState, s: &Socket) {
    if finish_connect(s, &state.joined) {
        if let Some(t) = state.connect_timer.take() {
            t.abort();
        }
    }
}

/// Connect `s` (unless closed meanwhile) and mark its connection `joined` (the connect
/// timeout no longer applies). Returns whether it connected.
fn finish_connect(s: &Socket, joined: &AtomicBool) -> bool {
    if s.is_closed() {
        return false;
    }
    s.0.ns.add_socket(s);
    let enc = sio::encode_connect(s.ns(), s.id());
    if !s.mark_connected(&enc) {
        s.0.ns.remove_socket(s);
        return false;
    }
    joined.store(true, Ordering::Release);
    true
}

/// The message of the error ack of an event dropped by the rate limit.
const RATE_LIMITED: &str = "rate limited";

/// What an event costs the connection's budgets: its decoded packet, JSON text plus
/// attachment bytes.
fn event_cost(args: &Args) -> usize {
    args.attachments
        .iter()
        .fold(args.json.len(), |n, a| n.saturating_add(a.len()))
}

/// Run the handler of an event; `Err` when the connection's inbound budget is exhausted.
fn dispatch(
    s: &Socket,
    name: String,
    args: Args,
    id: Option<u64>,
    cost: usize,
    budget: &Arc<InboundBudget>,
) -> Result<(), BudgetExceeded> {
    let handler = s.0.ns.event_handler(&name);
    let Some(handler) = handler else {
        tracing::debug!(nsp = %s.ns(), event = %name, "no handler for event");
        return Ok(());
    };
    let ctx = EventContext {
        socket: s.clone(),
        name: Arc::from(name),
        args,
        ack_id: id,
        next_arg: 0,
        ack_taken: false,
    };
    match handler(ctx) {
        Some(fut) => s.run_event(fut, cost, budget),
        None => Ok(()),
    }
}
