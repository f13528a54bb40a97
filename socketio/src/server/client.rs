//! One Engine.IO connection seen by the Socket.IO layer: packet decoding, namespace
//! connects, and event dispatch to the right socket.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use smallvec::SmallVec;

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
            PacketKind::Event { name, args, id } => match Self::socket(state, &nsp) {
                Some(s) if s.connected() => dispatch(&s, name, args, id),
                _ => {
                    tracing::debug!(nsp = %nsp, event = %name, "event for a namespace not joined: dropped")
                }
            },
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
            if finish_connect(&socket, &state.joined) {
                if let Some(t) = state.connect_timer.take() {
                    t.abort();
                }
            }
            return;
        };
        let ctx = ConnectContext {
            socket: socket.clone(),
            handshake,
        };
        let joined = state.joined.clone();
        if self.io.config.always_connect {
            if finish_connect(&socket, &joined) {
                if let Some(t) = state.connect_timer.take() {
                    t.abort();
                }
            }
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

fn dispatch(s: &Socket, name: String, args: Args, id: Option<u64>) {
    let handler = s.0.ns.event_handler(&name);
    let Some(handler) = handler else {
        tracing::debug!(nsp = %s.ns(), event = %name, "no handler for event");
        return;
    };
    let ctx = EventContext {
        socket: s.clone(),
        name: Arc::from(name),
        args,
        ack_id: id,
        next_arg: 0,
        ack_taken: false,
    };
    if let Some(fut) = handler(ctx) {
        s.run_ordered(fut, false);
    }
}
