//! Namespaces: the public [`Namespace`] handle and what a namespace does: its handler lookup,
//! its membership (sockets and rooms, kept by `rooms.rs`), its place in the server's map.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ack::{AckFuture, CallError};
use super::cluster;
use super::emit::BroadcastOperator;
use super::handler::{
    self, ConnectHandler, ConnectParamError, DisconnectHandler, EventHandler, FromConnectParam,
    FromDisconnectParam, FromEventParam, ParamError, ViaContext,
};
use super::rooms::{JoinError, Room, Rooms, Sid};
use super::tree::{
    ConnectContext, DisconnectContext, ErasedConnect, ErasedDisconnect, ErasedEvent, EventContext,
    EventLayer, Handlers, IoInner, NsInner, Socket, SocketIo,
};
use super::types::EmitError;
use crate::adapter::Operation;
use crate::proto::sio::Args;
use crate::sync::{lock, read, write};

impl NsInner {
    pub(crate) fn new(
        path: Arc<str>,
        io: Weak<IoInner>,
        handlers: Arc<RwLock<Handlers>>,
    ) -> Arc<Self> {
        Self::with_metrics(path, io, handlers, false)
    }

    /// [`NsInner::new`]; `dynamic`: created on demand for a client, whose path is then not
    /// a metric label.
    pub(crate) fn with_metrics(
        path: Arc<str>,
        io: Weak<IoInner>,
        handlers: Arc<RwLock<Handlers>>,
        dynamic: bool,
    ) -> Arc<Self> {
        let metrics = super::metrics::NsMetrics::new(&path, dynamic);
        let server = io.upgrade();
        Arc::new(Self {
            observer: server
                .as_ref()
                .map(|io| io.observer.clone())
                .unwrap_or_default(),
            concurrent_handlers: server
                .as_ref()
                .is_some_and(|io| io.config.concurrent_handlers),
            parser: server
                .as_ref()
                .map(|io| io.config.parser.clone())
                .unwrap_or_default(),
            recovery_config: server
                .as_ref()
                .and_then(|io| io.config.connection_state_recovery.clone()),
            manager: server.as_ref().and_then(|io| io.manager.get().cloned()),
            rooms: Rooms::with_metrics(metrics.clone()),
            metrics,
            path,
            io,
            handlers,
            members: AtomicUsize::new(0),
            persistent: AtomicBool::new(false),
            in_map: AtomicBool::new(false),
            recovery: std::sync::OnceLock::new(),
        })
    }

    /// A socket counted by [`IoInner::ns_for_connect`] closed: remove this namespace from
    /// the map when it was created on demand and this was its last member.
    pub(crate) fn release_member(&self) {
        if self.members.fetch_sub(1, Ordering::AcqRel) != 1
            || self.persistent.load(Ordering::Acquire)
        {
            return;
        }
        let Some(io) = self.io.upgrade() else { return };
        let mut map = write(&io.namespaces);
        // Re-checked under the map's write lock: members are counted under its read lock.
        if self.members.load(Ordering::Acquire) == 0
            && !self.persistent.load(Ordering::Acquire)
            && map
                .get(&self.path)
                .is_some_and(|ns| std::ptr::eq(Arc::as_ptr(ns), self))
        {
            map.remove(&self.path);
            self.in_map.store(false, Ordering::Release);
        }
    }

    /// The recovery store of this namespace, when the server has recovery on.
    pub(crate) fn recovery(&self) -> Option<&super::recovery::Store> {
        let c = self.recovery_config.as_ref()?;
        Some(
            self.recovery
                .get_or_init(|| super::recovery::Store::new(c.clone())),
        )
    }

    pub(crate) fn io_inner(&self) -> Arc<IoInner> {
        // The server owns its namespaces; a namespace outliving it is a bug in this crate.
        match self.io.upgrade() {
            Some(io) => io,
            None => IoInner::detached(),
        }
    }

    pub(crate) fn io(&self) -> SocketIo {
        SocketIo {
            inner: self.io_inner(),
        }
    }

    /// The handler for an event of this namespace, the `*` namespace backing it up, and
    /// this namespace's middleware.
    pub(crate) fn event_handler(
        &self,
        name: &str,
    ) -> Option<(ErasedEvent, Option<Arc<dyn EventLayer>>)> {
        let own = read(&self.handlers);
        // The namespace's own function handlers come first: found there, the `*`
        // namespace is not consulted (no upgrade of `io`, no lock of its table).
        if let Some(h) = own.func.event(name) {
            return Some((h.clone(), own.layer.clone()));
        }
        let star = self.io.upgrade().and_then(|io| read(&io.any_ns).clone());
        let handler = match star {
            Some(star) if !Arc::ptr_eq(&star, &self.handlers) => {
                own.event(name, Some(&read(&star)))
            }
            _ => own.event(name, None),
        }?;
        Some((handler, own.layer.clone()))
    }

    pub(crate) fn connect_handler(&self) -> Option<ErasedConnect> {
        read(&self.handlers).connect()
    }

    pub(crate) fn disconnect_handler(&self) -> Option<ErasedDisconnect> {
        read(&self.handlers).disconnect()
    }

    // -- its sockets and rooms (the in-memory adapter, `rooms.rs`) ---------------------------

    pub(crate) fn add_socket(&self, s: &Socket) {
        self.rooms.add(s);
    }

    pub(crate) fn remove_socket(&self, s: &Socket) {
        self.rooms.remove(s);
    }

    pub(crate) fn get_socket(&self, sid: &str) -> Option<Socket> {
        self.rooms.get(sid)
    }

    /// Refuse a room name longer than the configured limit.
    pub(crate) fn check_room_name(&self, room: &str) -> Result<(), JoinError> {
        Rooms::<Socket>::check_room_name(room, &self.io_inner().config)
    }

    /// Add `s` to `room` (see [`Socket::join`]).
    pub(crate) fn enter_room(&self, s: &Socket, room: &str) -> Result<(), JoinError> {
        let Some(o) = self.observer.get() else {
            return self.rooms.join(s, room, &self.io_inner().config);
        };
        let new = room != s.id() && !lock(&s.0.rooms).contains(room);
        self.rooms.join(s, room, &self.io_inner().config)?;
        if new {
            o.room_joined(s, room);
        }
        Ok(())
    }

    pub(crate) fn leave_room(&self, s: &Socket, room: &str) {
        let Some(o) = self.observer.get() else {
            return self.rooms.leave(s, room);
        };
        let was_in = lock(&s.0.rooms).contains(room);
        self.rooms.leave(s, room);
        if was_in {
            o.room_left(s, room);
        }
    }

    pub(crate) fn leave_all(&self, s: &Socket) {
        self.rooms.leave_all(s);
    }

    pub(crate) fn close_room(&self, room: &str) {
        self.rooms.close_room(room);
    }

    /// See [`Rooms::for_each_target`].
    pub(crate) fn for_each_target(&self, rooms: &[Room], skip: &[Sid], f: impl FnMut(&Socket)) {
        self.rooms.for_each_target(rooms, skip, f);
    }

    pub(crate) fn targets(&self, rooms: &[Room], skip: &[Sid]) -> Vec<Socket> {
        self.rooms.targets(rooms, skip)
    }
}

/// A namespace of the server: register handlers on it, emit to it, manage its rooms and the
/// sessions of its sockets (python-socketio's `Namespace` helpers; see
/// [`python_socketio`](crate::python_socketio) for the full mapping).
///
/// Get one from [`SocketIo::of`], from [`Socket::namespace`], or as a parameter of an event,
/// connect or disconnect handler (a function or a `#[namespace]` method), where it is the
/// handler's own namespace: handlers then never name their path.
///
/// ```no_run
/// # async fn f(io: socketio::SocketIo) {
/// use socketio::{Namespace, Socket};
/// let chat = io.of("/chat");
/// chat.on("message", async |socket: Socket, ns: Namespace, text: String| {
///     // Everyone in `lobby`, the sender included ...
///     ns.to("lobby").emit("message", &text).ok();
///     // ... or everyone in it but the sender.
///     socket.to("lobby").emit("message", &text).ok();
/// });
/// # }
/// ```
#[derive(Clone)]
pub struct Namespace(pub(crate) Arc<NsInner>);

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Namespace").field(&self.path()).finish()
    }
}

impl Namespace {
    /// The namespace handlers are registered on: this one, made joinable and kept from now
    /// on (or the one that meanwhile took its path). `*` is never in the map.
    pub(crate) fn attached(&self) -> Arc<NsInner> {
        if &*self.0.path == "*" {
            return self.0.clone();
        }
        self.0.io_inner().attach(&self.0)
    }

    /// The namespace emits and room operations apply to: this one while it is in the
    /// server's map, else whichever took its path (a handle from `io.of(path)` taken before
    /// a client connected, or kept after a namespace created on demand emptied).
    fn live(&self) -> Arc<NsInner> {
        if self.0.in_map.load(Ordering::Acquire) {
            return self.0.clone();
        }
        let io = self.0.io_inner();
        let found = read(&io.namespaces).get(&self.0.path).cloned();
        found.unwrap_or_else(|| self.0.clone())
    }

    /// The namespace path.
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// Handle `event`. Replaces a previous function handler for the same event.
    pub fn on<H: EventHandler<M>, M>(&self, event: impl Into<String>, handler: H) -> &Self {
        let name: Arc<str> = Arc::from(event.into());
        write(&self.attached().handlers)
            .func
            .events
            .insert(name, handler::erase_event(handler));
        self
    }

    /// Handle every event that has no handler of its own (python's `'*'`). Take an
    /// [`EventName`](crate::EventName) parameter to learn which event it was.
    pub fn on_any<H: EventHandler<M>, M>(&self, handler: H) -> &Self {
        write(&self.attached().handlers).func.any = Some(handler::erase_event(handler));
        self
    }

    /// Handle connections: may inspect the [`Handshake`](crate::Handshake) and the auth
    /// payload, and reject by returning `false` or `Err(ConnectError)`.
    pub fn on_connect<H: ConnectHandler<M>, M>(&self, handler: H) -> &Self {
        write(&self.attached().handlers).func.connect = Some(handler::erase_connect(handler));
        self
    }

    /// Handle disconnections; the socket's rooms are still readable while it runs.
    pub fn on_disconnect<H: DisconnectHandler<M>, M>(&self, handler: H) -> &Self {
        write(&self.attached().handlers).func.disconnect = Some(handler::erase_disconnect(handler));
        self
    }

    /// Run `middleware` around every event handler of this namespace (function and
    /// `#[namespace]` handlers alike), after those installed before it. See
    /// [`EventMiddleware`](crate::EventMiddleware).
    ///
    /// ```
    /// use socketio::{EventDone, EventMiddleware, SocketIo};
    ///
    /// struct Timing;
    /// impl EventMiddleware for Timing {
    ///     fn after(&self, done: &EventDone<'_>) {
    ///         println!("{} in {:?}", done.event(), done.elapsed());
    ///     }
    /// }
    ///
    /// let io = SocketIo::builder().build().unwrap();
    /// io.of("/").middleware(Timing).on("ping", async || "pong");
    /// ```
    pub fn middleware(&self, middleware: impl super::middleware::EventMiddleware) -> &Self {
        super::middleware::install(&mut write(&self.attached().handlers), Arc::new(middleware));
        self
    }

    /// The acknowledgement of an event of this namespace whose handler was not called
    /// (over the server's [`SocketIoBuilder::reject_ack`](crate::SocketIoBuilder::reject_ack));
    /// see [`RejectAck`](crate::RejectAck).
    ///
    /// ```
    /// use socketio::{RejectAck, SocketIo, Value};
    ///
    /// let io = SocketIo::builder().build().unwrap();
    /// io.of("/legacy")
    ///     .reject_ack(RejectAck::new(|e| Some(Value::from(e.to_string()))))
    ///     .on("add", async |a: i64, b: i64| a + b);
    /// ```
    pub fn reject_ack(&self, reject: super::reject::RejectAck) -> &Self {
        write(&self.attached().handlers).reject_ack = Some(reject);
        self
    }

    /// Emit to every socket of the namespace.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        BroadcastOperator::new(self.live()).emit(event, data)
    }

    /// Emit the `message` event to every socket of the namespace.
    pub fn send<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), EmitError> {
        self.emit("message", data)
    }

    /// Target a room (or a sid); chain `.to()` for more rooms and `.skip_sid()` to exclude.
    pub fn to(&self, room: impl Into<String>) -> BroadcastOperator {
        BroadcastOperator::new(self.live()).to(room)
    }

    /// Target every socket except `sid` (chainable).
    pub fn skip_sid(&self, sid: impl Into<String>) -> BroadcastOperator {
        BroadcastOperator::new(self.live()).skip_sid(sid)
    }

    /// A connected socket by sid.
    pub fn socket(&self, sid: &str) -> Option<Socket> {
        self.live().get_socket(sid)
    }

    /// Every connected socket of this namespace (on this server).
    pub fn sockets(&self) -> Vec<Socket> {
        self.live().rooms.all()
    }

    /// Add the socket `sid` to `room` (python's `enter_room`). Returns `Ok(true)` when the
    /// socket is on this server and joined; otherwise the request is published to the
    /// cluster (when the server has a manager), where the server holding `sid` applies it,
    /// and `Ok(false)` is returned. Fails as [`Socket::join`] does (too many rooms, name too
    /// long, a room named after another socket's sid); a name too long is refused before
    /// publishing.
    pub fn enter_room(&self, sid: &str, room: impl Into<String>) -> Result<bool, JoinError> {
        let ns = self.live();
        let room = room.into();
        match ns.get_socket(sid) {
            Some(s) => ns.enter_room(&s, &room).map(|()| true),
            None => {
                ns.check_room_name(&room)?;
                ns.io_inner().publish(Operation::EnterRoom {
                    sid: sid.to_owned(),
                    namespace: ns.path.to_string(),
                    room,
                });
                Ok(false)
            }
        }
    }

    /// Remove the socket `sid` from `room` (python's `leave_room`); like
    /// [`Namespace::enter_room`] for a socket on another server.
    pub fn leave_room(&self, sid: &str, room: &str) -> bool {
        let ns = self.live();
        match ns.get_socket(sid) {
            Some(s) => {
                ns.leave_room(&s, room);
                true
            }
            None => {
                self.0.io_inner().publish(Operation::LeaveRoom {
                    sid: sid.to_owned(),
                    namespace: self.0.path.to_string(),
                    room: room.to_owned(),
                });
                false
            }
        }
    }

    /// Remove every socket from `room`, here and (with a cluster manager) on every server.
    pub fn close_room(&self, room: &str) {
        self.live().close_room(room);
        self.0.io_inner().publish(Operation::CloseRoom {
            room: room.to_owned(),
            namespace: self.0.path.to_string(),
        });
    }

    /// The rooms of socket `sid`, its own sid room first; `None` for an unknown sid.
    pub fn rooms(&self, sid: &str) -> Option<Vec<String>> {
        self.live().get_socket(sid).map(|s| s.rooms())
    }

    /// The sids in `room` (on this server; python's `manager.get_participants`).
    pub fn room_members(&self, room: &str) -> Vec<String> {
        self.live()
            .targets(&[Arc::from(room)], &[])
            .iter()
            .map(|s| s.id().to_owned())
            .collect()
    }

    /// Disconnect socket `sid` from this namespace (the client gets a DISCONNECT; its other
    /// namespaces stay connected). Returns true when the socket was on this server; otherwise
    /// the request is published to the cluster (when the server has a manager), where the
    /// server holding `sid` applies it, and false is returned.
    pub fn disconnect(&self, sid: &str) -> bool {
        match self.live().get_socket(sid) {
            Some(s) => {
                s.disconnect();
                true
            }
            None => {
                self.0.io_inner().publish(Operation::Disconnect {
                    sid: sid.to_owned(),
                    namespace: self.0.path.to_string(),
                });
                false
            }
        }
    }

    /// Emit `event` to socket `sid`, on whichever server of the cluster it is connected, and
    /// ask its client to acknowledge. A local socket is handled like
    /// [`Socket::emit_with_ack`]; otherwise the emit is published with a `callback` and the
    /// answer is routed back here by the server that holds the socket. The future does not
    /// time out by itself (see [`Namespace::call`]); dropping it forgets the pending ack.
    /// Fails with [`EmitError::Disconnected`] when `sid` is not local and there is no manager,
    /// and with [`EmitError::TooManyPendingAcks`] past
    /// [`ServerConfig::max_pending_acks`](crate::ServerConfig::max_pending_acks) acks awaited from other servers.
    ///
    /// ```no_run
    /// # async fn f(io: socketio::SocketIo, sid: &str) {
    /// if let Ok(answer) = io.of("/").emit_with_ack_to(sid, "ask", &"ready?") {
    ///     if let Ok(reply) = answer.await {
    ///         println!("{:?}", reply.args());
    ///     }
    /// }
    /// # }
    /// ```
    pub fn emit_with_ack_to<T: Serialize + ?Sized>(
        &self,
        sid: &str,
        event: &str,
        data: &T,
    ) -> Result<AckFuture, EmitError> {
        let ns = self.live();
        if let Some(s) = ns.get_socket(sid) {
            return s.emit_with_ack(event, data);
        }
        let args = Args::from_serialize(data).map_err(|e| EmitError::Serialize(e.to_string()))?;
        cluster::emit_with_remote_ack(&ns, sid, event, &args)
    }

    /// [`Namespace::emit_with_ack_to`], waiting at most `timeout` and decoding the answer like
    /// [`Socket::call`].
    pub async fn call<R: DeserializeOwned>(
        &self,
        sid: &str,
        event: &str,
        data: &(impl Serialize + ?Sized),
        timeout: Duration,
    ) -> Result<R, CallError> {
        let fut = self
            .emit_with_ack_to(sid, event, data)
            .map_err(CallError::Emit)?;
        match tokio::time::timeout(timeout, fut).await {
            Ok(r) => r?.decode(),
            Err(_) => Err(CallError::Timeout),
        }
    }
}

// The namespace as a handler parameter (here, not in `handler.rs`: modules import downwards).
impl FromEventParam<ViaContext> for Namespace {
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError> {
        Ok(ctx.socket.namespace())
    }
}

impl FromConnectParam<ViaContext> for Namespace {
    fn from_connect(ctx: &ConnectContext) -> Result<Self, ConnectParamError> {
        Ok(ctx.socket.namespace())
    }
}

impl FromDisconnectParam<ViaContext> for Namespace {
    fn from_disconnect(ctx: &DisconnectContext) -> Option<Self> {
        Some(ctx.socket.namespace())
    }
}
