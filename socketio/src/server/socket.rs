//! A client's membership in one namespace: identity, emits, acks in both directions, rooms,
//! session, and the in-order execution of its event handlers.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use smallvec::SmallVec;
use tokio::sync::oneshot;

use super::ratelimit::{BudgetExceeded, InboundBudget};
use super::rooms::JoinError;
use super::state::{
    AckSlot, AckTable, BoxFuture, CLOSED, CONNECTED, CONNECTING, DisconnectContext, Exec, NsInner,
    Sid, Socket, SocketInner, SocketIo, lock,
};
use super::types::{DisconnectReason, Handshake};
use crate::engine::{EngineConn, Frame, Transport};
use crate::proto::sio::{self, Args, Encoded};

/// Error from an emit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// The value could not be serialized.
    Serialize(String),
    /// The socket is disconnected.
    Disconnected,
    /// The client's outgoing queue is full; it is being disconnected.
    BufferFull,
    /// Too many acknowledgements are pending for this socket.
    TooManyPendingAcks,
}

impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Serialize(e) => write!(f, "cannot serialize the payload: {e}"),
            Self::Disconnected => f.write_str("socket disconnected"),
            Self::BufferFull => f.write_str("send buffer full"),
            Self::TooManyPendingAcks => f.write_str("too many pending acknowledgements"),
        }
    }
}

impl std::error::Error for EmitError {}

/// Error from [`Socket::call`] and [`AckFuture`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallError {
    /// The emit itself failed.
    Emit(EmitError),
    /// No answer within the timeout.
    Timeout,
    /// The socket disconnected before answering.
    Disconnected,
    /// The answer did not deserialize into the requested type.
    Decode(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Emit(e) => write!(f, "{e}"),
            Self::Timeout => f.write_str("timed out waiting for the acknowledgement"),
            Self::Disconnected => f.write_str("socket disconnected before acknowledging"),
            Self::Decode(e) => write!(f, "invalid acknowledgement: {e}"),
        }
    }
}

impl std::error::Error for CallError {}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("ns", &self.ns())
            .field("id", &self.id())
            .finish()
    }
}

pub(crate) fn new_sid() -> Sid {
    use base64::Engine as _;
    let bytes: [u8; 15] = rand::random();
    Arc::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

impl Socket {
    pub(crate) fn new(ns: Arc<NsInner>, conn: EngineConn, handshake: Arc<Handshake>) -> Self {
        Socket(Arc::new(SocketInner {
            id: new_sid(),
            ns,
            conn,
            handshake,
            state: AtomicU8::new(CONNECTING),
            pre_connect: Mutex::new(Vec::new()),
            rooms: Mutex::new(indexmap::IndexSet::new()),
            acks: Mutex::new(AckTable::default()),
            session: Mutex::new(None),
            exec: Mutex::new(Exec::Idle),
        }))
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
            let mut frames: SmallVec<[Frame; 3]> =
                SmallVec::with_capacity(1 + enc.attachments.len());
            frames.push(Frame::Text(enc.text.clone()));
            frames.extend(enc.attachments.iter().cloned().map(Frame::Binary));
            self.send_frames(&frames)
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
        let enc = sio::encode_event(self.ns(), event, None, data)
            .map_err(|e| EmitError::Serialize(e.to_string()))?;
        self.send_encoded(&enc)
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
        let enc = match sio::encode_event(self.ns(), event, Some(id), data) {
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
        Ok(AckFuture {
            rx,
            cleanup: Cleanup::Local {
                socket: Arc::downgrade(&self.0),
                id,
            },
        })
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
        let mut t = lock(&self.0.acks);
        let used = if remote {
            t.remote
        } else {
            t.pending.len().saturating_sub(t.remote)
        };
        if used >= max {
            return Err(EmitError::TooManyPendingAcks);
        }
        // Per-socket counter starting at 1, as python-socketio.
        t.next = t.next.wrapping_add(1);
        let id = t.next;
        let (tx, rx) = oneshot::channel();
        t.pending.insert(id, AckSlot { tx, remote });
        if remote {
            t.remote += 1;
        }
        Ok((id, rx))
    }

    fn take_ack(&self, id: u64) -> Option<oneshot::Sender<Args>> {
        take_ack(&self.0, id)
    }

    /// An ACK arrived from the client.
    pub(crate) fn resolve_ack(&self, id: u64, args: Args) {
        match self.take_ack(id) {
            Some(tx) => {
                let _ = tx.send(args);
            }
            None => tracing::debug!(sid = %self.id(), id, "ack for an unknown id ignored"),
        }
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

    // -- session ---------------------------------------------------------------------------

    /// A copy of this socket's session, if one of type `T` was saved.
    pub fn get_session<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        lock(&self.0.session).as_ref()?.downcast_ref::<T>().cloned()
    }

    /// Replace this socket's session.
    pub fn save_session<T: Send + Sync + 'static>(&self, session: T) {
        *lock(&self.0.session) = Some(Box::new(session));
    }

    /// Run `f` with mutable access to the session (created with `T::default()` if absent or
    /// of another type). Keep `f` short: it runs under the session's lock.
    pub fn with_session<T: Default + Send + Sync + 'static, R>(
        &self,
        f: impl FnOnce(&mut T) -> R,
    ) -> R {
        let mut guard = lock(&self.0.session);
        if !guard.as_ref().is_some_and(|s| s.is::<T>()) {
            *guard = Some(Box::new(T::default()));
        }
        match guard.as_mut().and_then(|s| s.downcast_mut::<T>()) {
            Some(s) => f(s),
            None => f(&mut T::default()),
        }
    }

    // -- disconnect ------------------------------------------------------------------------

    /// Disconnect this socket from its namespace: the client gets a DISCONNECT packet (its
    /// reason: `io server disconnect`), the disconnect handler runs with
    /// [`DisconnectReason::ServerNamespaceDisconnect`]. The connection stays open for the
    /// client's other namespaces.
    pub fn disconnect(&self) {
        if self.connected() {
            let _ = self.send_encoded(&sio::encode_disconnect(self.ns()));
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
        self.0.ns.remove_socket(self);
        self.0.ns.release_member();
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
            this.cleanup();
        };
        self.run_ordered(Box::pin(fut), true);
    }

    fn cleanup(&self) {
        self.0.ns.leave_all(self);
        *lock(&self.0.session) = None;
        {
            let mut acks = lock(&self.0.acks);
            acks.pending.clear();
            acks.remote = 0;
        }
        lock(&self.0.pre_connect).clear();
    }

    // -- ordered execution ---------------------------------------------------------------

    /// Run a connect or disconnect handler for this socket, in order with its event handlers
    /// (`force`: also once the socket is closed). Never refused by the inbound budget.
    pub(crate) fn run_ordered(&self, fut: BoxFuture<()>, force: bool) {
        let _ = self.schedule(fut, force, None);
    }

    /// Run an event handler of `cost` bytes. While the event waits for its turn (in ordered
    /// mode) or runs past its first poll (concurrent mode) it holds a share of `budget`, the
    /// connection's; `Err` when the budget is exhausted: the event is dropped and the caller
    /// closes the connection.
    pub(crate) fn run_event(
        &self,
        fut: BoxFuture<()>,
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
        mut fut: BoxFuture<()>,
        force: bool,
        budget: Option<(&Arc<InboundBudget>, usize)>,
    ) -> Result<(), BudgetExceeded> {
        if !force && self.is_closed() {
            return Ok(());
        }
        let io = self.0.ns.io_inner();
        if io.config.concurrent_handlers && !force {
            if poll_once(&mut fut).is_pending() {
                let charge = budget.map(|(b, cost)| b.try_charge(cost)).transpose()?;
                io.spawn_tracked(Box::pin(async move {
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
            io.spawn_tracked(Box::pin(async move { this.drain().await }));
        } else {
            let this = self.clone();
            io.spawn_tracked(Box::pin(async move {
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

fn poll_once(fut: &mut BoxFuture<()>) -> Poll<()> {
    let waker = std::task::Waker::noop();
    let mut cx = Context::from_waker(waker);
    fut.as_mut().poll(&mut cx)
}

fn take_ack(socket: &SocketInner, id: u64) -> Option<oneshot::Sender<Args>> {
    let mut t = lock(&socket.acks);
    let slot = t.pending.remove(&id)?;
    if slot.remote {
        t.remote = t.remote.saturating_sub(1);
    }
    Some(slot.tx)
}

/// The client's answer to an [`Socket::emit_with_ack`] (or a cluster-wide
/// [`Namespace::emit_with_ack_to`](crate::Namespace::emit_with_ack_to)). Dropping it frees
/// the pending ack.
pub struct AckFuture {
    rx: oneshot::Receiver<Args>,
    /// Frees the pending ack when the future is dropped, answered or not.
    cleanup: Cleanup,
}

/// What an [`AckFuture`] frees when dropped.
enum Cleanup {
    /// The slot `id` of a local socket's ack table.
    Local { socket: Weak<SocketInner>, id: u64 },
    /// A cluster-wide pending ack.
    Remote { on_drop: OnDrop },
}

impl Cleanup {
    fn disarm(&mut self) {
        match self {
            Cleanup::Local { socket, .. } => *socket = Weak::new(),
            Cleanup::Remote { on_drop } => on_drop.0 = None,
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::Local { socket, id } = self {
            if let Some(socket) = socket.upgrade() {
                take_ack(&socket, *id);
            }
        }
    }
}

impl std::fmt::Debug for AckFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckFuture").finish_non_exhaustive()
    }
}

impl AckFuture {
    /// A future resolved through `rx`; `on_drop` runs when it is dropped unanswered.
    pub(crate) fn with_cleanup(rx: oneshot::Receiver<Args>, on_drop: OnDrop) -> Self {
        Self {
            rx,
            cleanup: Cleanup::Remote { on_drop },
        }
    }
}

/// Runs a closure once, when dropped.
pub(crate) struct OnDrop(pub(crate) Option<Box<dyn FnOnce() + Send + Sync>>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

impl Future for AckFuture {
    type Output = Result<AckResponse, CallError>;
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let r = std::pin::Pin::new(&mut self.rx).poll(cx);
        if r.is_ready() {
            // Answered or disconnected: the slot is already gone, nothing to free.
            self.cleanup.disarm();
        }
        r.map(|r| r.map(AckResponse).map_err(|_| CallError::Disconnected))
    }
}

/// The arguments a client acknowledged with.
#[derive(Debug, Clone, PartialEq)]
pub struct AckResponse(pub Args);

impl AckResponse {
    /// Decode: one argument as `T`, several as a tuple/array `T`, none as `null`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, CallError> {
        let args = &self.0;
        let r = match args.len() {
            1 => args.get(0),
            0 => serde_json::from_str("null"),
            _ => Args::from_json_array(
                format!("[{}]", args.to_json_array()),
                args.attachments().to_vec(),
            )
            .map_err(|e| serde::de::Error::custom(e.to_string()))
            .and_then(|a| a.get(0)),
        };
        r.map_err(|e| CallError::Decode(e.to_string()))
    }

    /// The raw arguments.
    pub fn args(&self) -> &Args {
        &self.0
    }
}
