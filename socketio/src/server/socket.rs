//! A client's membership in one namespace: identity, emits, acks in both directions, rooms,
//! session, and the in-order execution of its event handlers.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indexmap::IndexSet;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use super::ack::{AckFuture, AckTable, AckValue, CallError};
use super::emit::BroadcastOperator;
use super::exec::{Exec, poll_once};
use super::ns::Namespace;
use super::ratelimit::{BudgetExceeded, InboundBudget};
use super::rooms::{JoinError, Member, Room, Sid};
use super::tree::{
    CLOSED, CONNECTED, CONNECTING, DisconnectContext, NsInner, Socket, SocketInner, SocketIo,
};
use super::types::{DisconnectReason, EmitError, Handshake};
use crate::engine::{EngineConn, Frame, Transport};
use crate::proto::parser::Parser;
use crate::proto::sio::{Args, Encoded};
use crate::sync::{BoxFuture, lock};

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("ns", &self.ns())
            .field("id", &self.id())
            .finish()
    }
}

impl PartialEq for Socket {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Socket {}

impl Member for Socket {
    fn sid(&self) -> &Sid {
        &self.0.id
    }

    fn joined(&self) -> &Mutex<IndexSet<Room>> {
        &self.0.rooms
    }

    fn is_closed(&self) -> bool {
        Socket::is_closed(self)
    }

    fn key(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }
}

/// A new Socket.IO socket id: 15 random bytes, URL-safe base64 (20 characters). Distinct
/// from the Engine.IO session id of the connection (`engine::core::new_session_id`).
pub(crate) fn new_socket_id() -> Sid {
    use base64::Engine as _;
    let bytes: [u8; 15] = rand::random();
    Arc::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

impl Socket {
    /// A new socket: a fresh sid (and a fresh `pid` when the server has connection state
    /// recovery on), or the sid and pid of a `recovered` session.
    pub(crate) fn new(
        ns: Arc<NsInner>,
        conn: EngineConn,
        handshake: Arc<Handshake>,
        parser: Parser,
        recovered: Option<(Sid, Sid)>,
    ) -> Self {
        let on = ns.recovery_config.is_some();
        let (id, pid, recovered) = match recovered {
            Some((sid, pid)) => (sid, Some(pid), true),
            None => (new_socket_id(), on.then(new_socket_id), false),
        };
        Socket(Arc::new(SocketInner {
            id,
            pid,
            recovered,
            ns,
            conn,
            handshake,
            state: AtomicU8::new(CONNECTING),
            pre_connect: Mutex::new(Vec::new()),
            rooms: Mutex::new(indexmap::IndexSet::new()),
            acks: Arc::new(Mutex::new(AckTable::default())),
            session: Default::default(),
            exec: Mutex::new(Exec::Idle),
            parser,
        }))
    }

    /// The packet encoding of this socket's server.
    pub(crate) fn parser(&self) -> &Parser {
        &self.0.parser
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.0.state.load(Ordering::Acquire) == CLOSED
    }

    /// This socket's id in its namespace (the `sid` of the CONNECT reply, the client's
    /// `socket.id`).
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The namespace path.
    pub fn ns(&self) -> &str {
        &self.0.ns.path
    }

    /// This socket's namespace: emit to all of it ([`Namespace::emit`], the sender
    /// included), to a room with the sender ([`Namespace::to`], Node's `io.to(room)`, where
    /// [`Socket::to`] skips the sender), manage the rooms and sessions of other sids. Handlers
    /// can also take a [`Namespace`] parameter.
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// socket.namespace().to("lobby").emit("news", &"everyone, me included").ok();
    /// # }
    /// ```
    pub fn namespace(&self) -> Namespace {
        Namespace(self.0.ns.clone())
    }

    /// The server.
    pub fn io(&self) -> SocketIo {
        self.0.ns.io()
    }

    /// The Engine.IO session id of the underlying connection.
    pub fn engine_sid(&self) -> &str {
        self.0.conn.sid()
    }

    /// Transport currently in use.
    pub fn transport(&self) -> Transport {
        self.0.conn.transport()
    }

    /// The request and auth payload this socket connected with.
    pub fn handshake(&self) -> &Handshake {
        &self.0.handshake
    }

    /// True when this socket took over the session of a previous connection of its client
    /// through connection state recovery (Node's `socket.recovered`): same sid, rooms and
    /// session data, and the events it missed were sent to it before anything else. Always
    /// false when [`ServerConfig::connection_state_recovery`](crate::ServerConfig::connection_state_recovery) is off.
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket) {
    /// if !socket.recovered() {
    ///     socket.join("lobby").ok();
    /// }
    /// # }
    /// ```
    pub fn recovered(&self) -> bool {
        self.0.recovered
    }

    /// The private session id of connection state recovery, sent in the CONNECT answer
    /// (`None` when it is off).
    pub(crate) fn pid(&self) -> Option<&str> {
        self.0.pid.as_deref()
    }

    /// True while the socket is connected to its namespace.
    pub fn connected(&self) -> bool {
        self.0.state.load(Ordering::Acquire) == CONNECTED
    }

    // -- sending ---------------------------------------------------------------------------

    /// Send an encoded packet to this socket (buffered while its connect handler runs).
    pub(crate) fn send_encoded(&self, enc: &Encoded) -> Result<(), EmitError> {
        if enc.attachments.is_empty() {
            self.send_frames(std::slice::from_ref(&Frame::Text(enc.text.clone())))
        } else {
            self.send_frames(&Frame::of_packet(enc))
        }
    }

    pub(crate) fn send_frames(&self, frames: &[Frame]) -> Result<(), EmitError> {
        match self.0.state.load(Ordering::Acquire) {
            CONNECTED => {}
            CONNECTING => {
                let mut buf = lock(&self.0.pre_connect);
                // Re-check under the lock: `mark_connected` flushes under it.
                if self.0.state.load(Ordering::Acquire) == CONNECTING {
                    buf.extend_from_slice(frames);
                    return Ok(());
                }
            }
            _ => return Err(EmitError::Disconnected),
        }
        let r = if let [one] = frames {
            self.0.conn.send(one.clone())
        } else {
            self.0.conn.send_many(frames)
        };
        r.map_err(|e| match e {
            crate::engine::SendError::Closed => EmitError::Disconnected,
            crate::engine::SendError::Full => EmitError::BufferFull,
        })
    }

    /// Emit `event` to this client. `data` follows the argument rule: a tuple is several
    /// arguments, `()` none, anything else one; bytes anywhere become binary attachments.
    ///
    /// ```no_run
    /// # async fn f(socket: socketio::Socket) {
    /// socket.emit("greeting", &("hello", 42)).ok();
    /// # }
    /// ```
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        let enc = self
            .parser()
            .encode_event(self.ns(), event, None, data)
            .map_err(|e| EmitError::Serialize(e.to_string()))?;
        let sent = match self.0.pid.is_some() {
            false => self.send_encoded(&enc),
            true => self.send_logged(&enc, event, data),
        };
        if sent.is_ok() {
            self.0.ns.metrics.events_sent(1);
        }
        if let Some(o) = self.0.ns.observer.get() {
            o.event_sent(self.ns(), event, &|| vec![self.clone()], &|| {
                Args::from_serialize(data).ok()
            });
        }
        sent
    }

    /// With connection state recovery: keep the event `enc` for this sid (with its offset)
    /// and send it.
    fn send_logged<T: Serialize + ?Sized>(
        &self,
        enc: &Encoded,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        let Some(store) = self.0.ns.recovery() else {
            return self.send_encoded(enc);
        };
        let parser = self.parser();
        let args = if parser.is_json() {
            None
        } else {
            Args::from_serialize(data).ok()
        };
        let me = [self.0.id.clone()];
        let frames = store.log(&me, &[], std::time::Instant::now(), |o| {
            super::recovery::frames_with_offset(parser, self.ns(), event, enc, args.as_ref(), o)
        });
        self.send_frames(&frames)
    }

    /// Emit the `message` event (python-socketio's `send`).
    pub fn send<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), EmitError> {
        self.emit("message", data)
    }

    /// Emit `event` and ask the client to acknowledge it. The returned future resolves to the
    /// client's answer; it does not time out by itself (see [`Socket::call`]).
    ///
    /// Dropping the future (or a [`Socket::call`] timing out) frees its slot among the
    /// [`ServerConfig::max_pending_acks`](crate::ServerConfig::max_pending_acks); a late
    /// answer is then ignored.
    pub fn emit_with_ack<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<AckFuture, EmitError> {
        self.emit_with_ack_from(event, data, false)
    }

    /// [`Socket::emit_with_ack`], the ack counted against the application's budget or (for
    /// `remote`, asked for by another server of the cluster) against a separate one.
    pub(crate) fn emit_with_ack_from<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
        remote: bool,
    ) -> Result<AckFuture, EmitError> {
        let (id, rx) = self.register_ack(remote)?;
        let enc = match self.parser().encode_event(self.ns(), event, Some(id), data) {
            Ok(e) => e,
            Err(e) => {
                self.take_ack(id);
                return Err(EmitError::Serialize(e.to_string()));
            }
        };
        if let Err(e) = self.send_encoded(&enc) {
            self.take_ack(id);
            return Err(e);
        }
        self.0.ns.metrics.events_sent(1);
        Ok(AckFuture::local(rx, &self.0.acks, id))
    }

    /// Emit `event`, wait for the client's acknowledgement at most `timeout`, and decode it:
    /// one ack argument is decoded as `T`, several as a tuple/array `T`, none as `()`/`null`.
    pub async fn call<R: DeserializeOwned>(
        &self,
        event: &str,
        data: &(impl Serialize + ?Sized),
        timeout: Duration,
    ) -> Result<R, CallError> {
        let fut = self.emit_with_ack(event, data).map_err(CallError::Emit)?;
        match tokio::time::timeout(timeout, fut).await {
            Ok(r) => r?.decode(),
            Err(_) => Err(CallError::Timeout),
        }
    }

    fn register_ack(&self, remote: bool) -> Result<(u64, oneshot::Receiver<Args>), EmitError> {
        if self.is_closed() {
            return Err(EmitError::Disconnected);
        }
        let max = self.0.ns.io_inner().config.max_pending_acks;
        lock(&self.0.acks).register(remote, max)
    }

    fn take_ack(&self, id: u64) -> Option<oneshot::Sender<Args>> {
        lock(&self.0.acks).take(id)
    }

    /// An ACK arrived from the client.
    pub(crate) fn resolve_ack(&self, id: u64, args: Args) {
        match self.take_ack(id) {
            Some(tx) => {
                self.0.ns.metrics.ack_received();
                let _ = tx.send(args);
            }
            None => tracing::debug!(sid = %self.id(), id, "ack for an unknown id ignored"),
        }
    }

    /// Send the acknowledgement `id` with a handler's return value.
    pub(crate) fn send_ack<T: Serialize + ?Sized>(&self, id: u64, value: &T) {
        match self.parser().encode_ack(self.ns(), id, &AckValue(value)) {
            Ok(enc) => {
                if self.send_encoded(&enc).is_ok() {
                    self.0.ns.metrics.ack_sent();
                }
            }
            Err(e) => tracing::warn!(sid = %self.id(), "cannot serialize the acknowledgement: {e}"),
        }
    }

    // -- emit operators --------------------------------------------------------------------

    /// Emit to a room of this namespace, except this socket (Node's `socket.to(room)`).
    pub fn to(&self, room: impl Into<String>) -> BroadcastOperator {
        BroadcastOperator::new(self.0.ns.clone())
            .to(room)
            .skip_sid(self.id())
    }

    /// Emit to every socket of this namespace except this one (Node's `socket.broadcast`).
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.0.ns.clone()).skip_sid(self.id())
    }

    // -- rooms -----------------------------------------------------------------------------

    /// Join a room. Joining a room twice, or this socket's own sid room, changes nothing.
    ///
    /// Fails, leaving the socket connected and in its rooms, past
    /// [`ServerConfig::max_rooms_per_socket`](crate::ServerConfig::max_rooms_per_socket)
    /// rooms, for a name longer than
    /// [`ServerConfig::max_room_name_len`](crate::ServerConfig::max_room_name_len) bytes, for
    /// a room named after another socket's sid while
    /// [`ServerConfig::reserve_sid_rooms`](crate::ServerConfig::reserve_sid_rooms) is on, and
    /// once the socket is disconnected.
    ///
    /// ```no_run
    /// # fn f(socket: socketio::Socket, room: String) {
    /// if let Err(e) = socket.join(&room) {
    ///     socket.emit("error", &e.to_string()).ok();
    /// }
    /// # }
    /// ```
    pub fn join(&self, room: impl AsRef<str>) -> Result<(), JoinError> {
        self.0.ns.enter_room(self, room.as_ref())
    }

    /// Leave a room (nothing happens when the socket is not in it).
    pub fn leave(&self, room: impl AsRef<str>) {
        self.0.ns.leave_room(self, room.as_ref());
    }

    /// The rooms this socket is in, its own sid room first (python's `rooms(sid)`), then the
    /// rooms it joined, in join order as long as it left none (leaving a room moves the most
    /// recently joined one into its place).
    pub fn rooms(&self) -> Vec<String> {
        let mut v = vec![self.id().to_owned()];
        v.extend(lock(&self.0.rooms).iter().map(|r| r.to_string()));
        v
    }

    // -- disconnect ------------------------------------------------------------------------

    /// Disconnect this socket from its namespace: the client gets a DISCONNECT packet (its
    /// reason: `io server disconnect`), the disconnect handler runs with
    /// [`DisconnectReason::ServerNamespaceDisconnect`]. The connection stays open for the
    /// client's other namespaces.
    pub fn disconnect(&self) {
        if self.connected() {
            let _ = self.send_encoded(&self.parser().encode_disconnect(self.ns()));
        }
        self.close(DisconnectReason::ServerNamespaceDisconnect);
    }

    /// Close the whole connection (every namespace of this client).
    pub fn close_connection(&self) {
        self.0.conn.close(crate::engine::CloseReason::ForcedClose);
    }

    /// Mark connected and flush what was emitted during the connect handler. Returns false
    /// when the socket was closed meanwhile.
    pub(crate) fn mark_connected(&self, connect_packet: &Encoded) -> bool {
        let buffered = {
            let mut buf = lock(&self.0.pre_connect);
            if self
                .0
                .state
                .compare_exchange(CONNECTING, CONNECTED, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                return false;
            }
            std::mem::take(&mut *buf)
        };
        let _ = self.send_encoded(connect_packet);
        if !buffered.is_empty() {
            let _ = self.0.conn.send_many(&buffered);
        }
        true
    }

    /// Leave the namespace once: runs the disconnect handler (after queued event handlers,
    /// with rooms still readable), then cleans rooms, session and pending acks.
    pub(crate) fn close(&self, reason: DisconnectReason) {
        let prev = self.0.state.swap(CLOSED, Ordering::AcqRel);
        if prev == CLOSED {
            return;
        }
        let was_connected = prev == CONNECTED;
        if was_connected {
            super::metrics::disconnected(reason);
        }
        self.0.ns.remove_socket(self);
        self.0.ns.release_member();
        if let (true, Some(o)) = (was_connected, self.0.ns.observer.get()) {
            o.socket_disconnected(self, reason);
        }
        let this = self.clone();
        let handler = if was_connected {
            self.0.ns.disconnect_handler()
        } else {
            None
        };
        let fut = async move {
            if let Some(h) = handler {
                h(DisconnectContext {
                    socket: this.clone(),
                    reason,
                })
                .await;
            }
            this.cleanup(was_connected.then_some(reason));
        };
        self.run_ordered(Box::pin(fut), true);
    }

    /// `reason`: why a connected socket closed. One whose transport went away keeps its
    /// session for connection state recovery (Node's recoverable reasons); the rooms are
    /// read before leaving them, and the session kept only once they are left, so that a
    /// recovered socket (same sid) never loses a room to this cleanup.
    fn cleanup(&self, reason: Option<DisconnectReason>) {
        let keep = self
            .0
            .pid
            .clone()
            .filter(|_| reason.is_some_and(recoverable));
        let rooms: Vec<Room> = match keep {
            Some(_) => lock(&self.0.rooms).iter().cloned().collect(),
            None => Vec::new(),
        };
        self.0.ns.leave_all(self);
        let data = self.0.session.take_all();
        if let Some(pid) = keep {
            if let Some(store) = self.0.ns.recovery() {
                let session = super::recovery::Session {
                    sid: self.0.id.clone(),
                    pid,
                    rooms,
                    data,
                };
                store.persist(session, std::time::Instant::now());
            }
        }
        lock(&self.0.acks).clear();
        lock(&self.0.pre_connect).clear();
    }

    // -- ordered execution ---------------------------------------------------------------

    /// Run a connect or disconnect handler for this socket, in order with its event handlers
    /// (`force`: also once the socket is closed). Never refused by the inbound budget.
    pub(crate) fn run_ordered(&self, fut: BoxFuture<'static, ()>, force: bool) {
        let _ = self.schedule(fut, force, None);
    }

    /// Run an event handler of `cost` bytes. While the event waits for its turn (in ordered
    /// mode) or runs past its first poll (concurrent mode) it holds a share of `budget`, the
    /// connection's; `Err` when the budget is exhausted: the event is dropped and the caller
    /// closes the connection.
    pub(crate) fn run_event(
        &self,
        fut: BoxFuture<'static, ()>,
        cost: usize,
        budget: &Arc<InboundBudget>,
    ) -> Result<(), BudgetExceeded> {
        self.schedule(fut, false, Some((budget, cost)))
    }

    /// In ordered mode (the default) handlers of one socket run one after another, in arrival
    /// order; a handler that completes on its first poll runs inline with no task spawned and
    /// is never charged to the budget.
    fn schedule(
        &self,
        mut fut: BoxFuture<'static, ()>,
        force: bool,
        budget: Option<(&Arc<InboundBudget>, usize)>,
    ) -> Result<(), BudgetExceeded> {
        if !force && self.is_closed() {
            return Ok(());
        }
        if self.0.ns.concurrent_handlers && !force {
            if poll_once(&mut fut).is_pending() {
                let io = self.0.ns.io_inner();
                let charge = budget.map(|(b, cost)| b.try_charge(cost)).transpose()?;
                io.tasks.spawn(Box::pin(async move {
                    fut.await;
                    drop(charge);
                }));
            }
            return Ok(());
        }
        {
            let mut exec = lock(&self.0.exec);
            if let Exec::Busy(queue) = &mut *exec {
                let charge = budget.map(|(b, cost)| b.try_charge(cost)).transpose()?;
                queue.push_back((fut, charge));
                return Ok(());
            }
            *exec = Exec::Busy(VecDeque::new());
        }
        if poll_once(&mut fut).is_ready() {
            // Fast path: nothing was queued meanwhile unless a handler re-entered.
            let mut exec = lock(&self.0.exec);
            match &mut *exec {
                Exec::Busy(q) if q.is_empty() => {
                    *exec = Exec::Idle;
                    return Ok(());
                }
                _ => {}
            }
            drop(exec);
            let this = self.clone();
            let io = self.0.ns.io_inner();
            io.tasks.spawn(Box::pin(async move { this.drain().await }));
        } else {
            let this = self.clone();
            let io = self.0.ns.io_inner();
            io.tasks.spawn(Box::pin(async move {
                fut.await;
                this.drain().await;
            }));
        }
        Ok(())
    }

    async fn drain(&self) {
        loop {
            let next = {
                let mut exec = lock(&self.0.exec);
                match &mut *exec {
                    Exec::Busy(q) => match q.pop_front() {
                        Some(f) => f,
                        None => {
                            *exec = Exec::Idle;
                            return;
                        }
                    },
                    Exec::Idle => return,
                }
            };
            let (fut, charge) = next;
            // The event no longer waits: its share of the budget is free again.
            drop(charge);
            fut.await;
        }
    }
}

// -- connection state recovery ----------------------------------------------------------

/// Node's recoverable disconnect reasons: the transport went away, not the client or the
/// server's application. Not a client that could not keep up
/// ([`DisconnectReason::SendBufferFull`]): replaying its backlog would fill its buffer again.
fn recoverable(reason: DisconnectReason) -> bool {
    matches!(
        reason,
        DisconnectReason::TransportClose
            | DisconnectReason::TransportError
            | DisconnectReason::PingTimeout
            | DisconnectReason::ForcedClose
            | DisconnectReason::ServerShuttingDown
    )
}

impl Socket {
    /// Take over a recovered session: its rooms and data, and the events it missed
    /// (buffered until the CONNECT answer, then sent before anything else). The socket is
    /// made reachable by its sid and rooms now, so emits from here on reach it too.
    pub(crate) fn restore(&self, session: super::recovery::Session, missed: &[Frame]) {
        self.0.ns.add_socket(self);
        for room in &session.rooms {
            if let Err(e) = self.0.ns.enter_room(self, room) {
                tracing::debug!(sid = %self.id(), room = %room, "room not recovered: {e}");
            }
        }
        self.0.session.restore(session.data);
        let _ = self.send_frames(missed);
    }
}
