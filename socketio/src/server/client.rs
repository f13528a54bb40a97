//! One Engine.IO connection seen by the Socket.IO layer: packet decoding, namespace
//! connects, and event dispatch to the right socket.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

use smallvec::SmallVec;

use super::ratelimit::{BudgetExceeded, InboundBudget, RateLimitAction, RateLimiter};
use super::tree::{Client, ConnectContext, EventContext, Socket};
use super::types::{ConnectError, DisconnectReason, Handshake};
use crate::engine::{CloseReason, EngineConn, EngineHandler, Message};
use crate::proto::parser::{Decoder, Parser};
use crate::proto::sio::{Args, DecodeError, Packet, PacketKind};
use crate::sync::read;

/// Per-connection state, owned by the engine.
pub(crate) struct ClientState {
    decoder: Decoder,
    sockets: SmallVec<[Socket; 2]>,
    /// Events of this connection waiting for handlers, shared by all its sockets.
    budget: Arc<InboundBudget>,
    /// `Some` when [`ServerConfig::rate_limit`](super::ServerConfig::rate_limit) is set.
    rate: Option<RateLimiter>,
}

static WARNED_EMPTY: AtomicBool = AtomicBool::new(false);

impl EngineHandler for Client {
    type State = ClientState;

    fn on_open(&self, conn: &EngineConn) -> ClientState {
        // Closed unless a namespace of it is connected in time (cleared by
        // `finish_connect`; a rejected CONNECT does not clear it).
        conn.set_close_deadline(Some(
            tokio::time::Instant::now() + self.io.config.connect_timeout,
        ));
        let mut state = ClientState {
            decoder: self
                .io
                .config
                .parser
                .decoder(self.io.config.max_attachments),
            sockets: SmallVec::new(),
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
        };
        // Socket.IO protocol v4: the client is in `/` from the handshake on (when the
        // server has `/`; without it, a v4 client only joins the namespaces it asks for).
        if conn.protocol().is_v3() && read(&self.io.namespaces).contains_key("/") {
            self.connect(&mut state, conn, "/".into(), None);
        }
        state
    }

    fn on_message(&self, state: &mut ClientState, conn: &EngineConn, msg: Message) {
        match msg {
            Message::Text(text) => self.on_text(state, conn, &text),
            Message::Binary(data) => {
                let decoded = state.decoder.feed_binary(data);
                self.on_decoded(state, conn, decoded);
            }
        }
    }

    fn on_text(&self, state: &mut ClientState, conn: &EngineConn, text: &str) {
        let decoded = state.decoder.feed_text(text);
        self.on_decoded(state, conn, decoded);
    }

    fn on_close(&self, state: &mut ClientState, _conn: &EngineConn, reason: CloseReason) {
        for s in state.sockets.drain(..) {
            s.close(DisconnectReason::from(reason));
        }
    }
}

impl Client {
    fn on_decoded(
        &self,
        state: &mut ClientState,
        conn: &EngineConn,
        decoded: Result<Option<Packet>, DecodeError>,
    ) {
        match decoded {
            Ok(Some(packet)) => self.handle(state, conn, packet),
            Ok(None) => {}
            Err(e) => {
                tracing::debug!(eio_sid = %conn.sid(), "closing connection: {e}");
                conn.close(CloseReason::ParseError);
            }
        }
    }

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
                        if let Some(o) = self.io.observer.get() {
                            o.event_received(&s, &name, &args);
                        }
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
        // Socket.IO protocol v4: `0/chat?query,` names the namespace `/chat`.
        let nsp = match nsp.split_once('?') {
            Some((path, _)) if conn.protocol().is_v3() => path.to_owned(),
            _ => nsp,
        };
        if Self::socket(state, &nsp).is_some() {
            // python-socketio refuses a second CONNECT to the same namespace.
            send_connect_error(
                conn,
                &self.io.config.parser,
                &nsp,
                &ConnectError::new("Unable to connect"),
            );
            return;
        }
        // `socket` above dropped the closed sockets: these are connected or connecting.
        if state.sockets.len() >= self.io.config.max_namespaces_per_connection {
            tracing::debug!(eio_sid = %conn.sid(), nsp = %nsp, "too many namespaces on one connection");
            send_connect_error(
                conn,
                &self.io.config.parser,
                &nsp,
                &ConnectError::new("Too many namespaces"),
            );
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
            send_connect_error(
                conn,
                &self.io.config.parser,
                &nsp,
                &ConnectError::new("Invalid namespace"),
            );
            return;
        };
        // Connection state recovery: the client's `{"pid","offset"}` takes its session back.
        let restored = ns.recovery().and_then(|store| {
            let (pid, offset) = super::recovery::pid_and_offset(auth.as_deref())?;
            store.restore(&pid, &offset, Instant::now())
        });
        let handshake = Arc::new(Handshake {
            conn: conn.clone(),
            auth,
            transport: conn.transport(),
            issued: SystemTime::now(),
        });
        let socket = Socket::new(
            ns.clone(),
            conn.clone(),
            handshake.clone(),
            self.io.config.parser.clone(),
            restored
                .as_ref()
                .map(|r| (r.session.sid.clone(), r.session.pid.clone())),
        );
        state.sockets.push(socket.clone());
        if let Some(r) = restored {
            tracing::debug!(sid = %socket.id(), missed = r.missed.len(), "connection state recovered");
            socket.restore(r.session, &r.missed);
        }
        let handler = ns.connect_handler();
        let Some(handler) = handler else {
            finish_connect(&socket);
            return;
        };
        let ctx = ConnectContext {
            socket: socket.clone(),
            handshake,
        };
        if self.io.config.always_connect {
            finish_connect(&socket);
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
                        finish_connect(&s);
                    }
                    Err(e) => {
                        send_connect_error(&s.0.conn, s.parser(), s.ns(), &e);
                        s.close(DisconnectReason::ServerNamespaceDisconnect);
                    }
                }
            }),
            true,
        );
    }
}

fn send_connect_error(conn: &EngineConn, parser: &Parser, nsp: &str, err: &ConnectError) {
    let data = err.data_json();
    let enc = if conn.protocol().is_v3() {
        crate::proto::sio4::encode_connect_error(nsp, err.message(), data.as_deref())
    } else {
        parser.encode_connect_error(nsp, err.message(), data.as_deref())
    };
    let _ = conn.send_many(&crate::engine::Frame::of_packet(&enc));
}

/// Connect `s` (unless closed meanwhile); its connection then has a namespace and the
/// connect timeout no longer applies. Returns whether it connected.
fn finish_connect(s: &Socket) -> bool {
    if s.is_closed() {
        return false;
    }
    s.0.ns.add_socket(s);
    // Protocol v3 clients get no sid and no pid (Node sends neither to them).
    let enc = if s.0.conn.protocol().is_v3() {
        crate::proto::sio4::encode_connect(s.ns())
    } else {
        s.parser().encode_connect_with_pid(s.ns(), s.id(), s.pid())
    };
    if !s.mark_connected(&enc) {
        s.0.ns.remove_socket(s);
        return false;
    }
    s.0.conn.set_close_deadline(None);
    if let Some(o) = s.0.ns.observer.get() {
        o.socket_connected(s);
    }
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
    s.0.ns.metrics.event_received();
    let handler = s.0.ns.event_handler(&name);
    let Some((handler, layer)) = handler else {
        tracing::debug!(nsp = %s.ns(), event = %name, "no handler for event");
        return Ok(());
    };
    let ctx = EventContext {
        socket: s.clone(),
        name,
        args,
        ack_id: id,
        next_arg: 0,
        ack_taken: false,
        done: None,
    };
    let fut = match layer {
        None => handler(ctx),
        Some(layer) => layer.call(ctx, &handler),
    };
    match fut {
        Some(fut) => s.run_event(fut, cost, budget),
        None => Ok(()),
    }
}
