//! Namespaces: handler tables, the sockets connected to them, and their rooms.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::handler::{
    self, ConnectHandler, DisconnectHandler, ErasedConnect, ErasedDisconnect, ErasedEvent,
    EventHandler,
};
use super::io::IoInner;
use super::socket::{Room, Sid, Socket, lock};
use super::{AckFuture, BroadcastOperator, CallError, EmitError, SocketIo};
use crate::adapter::pubsub::Message;
use crate::proto::sio::Args;

pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

/// Where a handler was registered from (class handlers carry the `#[on]` method's location).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) file: &'static str,
    pub(crate) line: u32,
}

/// One level of handlers: function-style or class-based.
#[derive(Default, Clone)]
pub(crate) struct HandlerSet {
    pub(crate) events: HashMap<Arc<str>, ErasedEvent>,
    pub(crate) any: Option<ErasedEvent>,
    pub(crate) connect: Option<ErasedConnect>,
    pub(crate) disconnect: Option<ErasedDisconnect>,
}

/// Handlers of a namespace: function handlers win over class (`#[namespace]`) handlers, as in
/// python-socketio.
#[derive(Default, Clone)]
pub(crate) struct Handlers {
    pub(crate) func: HandlerSet,
    pub(crate) class: HandlerSet,
    /// Which class registered here, for collision messages.
    pub(crate) class_owner: Option<(&'static str, Location)>,
}

impl HandlerSet {
    /// The handler for `name`, or this set's catch-all.
    pub(crate) fn event(&self, name: &str) -> Option<&ErasedEvent> {
        self.events.get(name).or(self.any.as_ref())
    }
}

impl Handlers {
    /// The handler for `name`, in python-socketio's order: this namespace's function
    /// handlers (event, then `*`), the `*` namespace's function handlers, this namespace's
    /// class handlers, the `*` namespace's class handlers.
    pub(crate) fn event(&self, name: &str, star: Option<&Handlers>) -> Option<ErasedEvent> {
        self.func
            .event(name)
            .or_else(|| star.and_then(|s| s.func.event(name)))
            .or_else(|| self.class.event(name))
            .or_else(|| star.and_then(|s| s.class.event(name)))
            .cloned()
    }
}

pub(crate) struct NsInner {
    pub(crate) path: Arc<str>,
    io: Weak<IoInner>,
    /// Shared with the `*` namespace when this one was created dynamically.
    pub(crate) handlers: Arc<RwLock<Handlers>>,
    pub(crate) sockets: RwLock<HashMap<Sid, Socket>>,
    pub(crate) rooms: RwLock<HashMap<Room, HashSet<Sid>>>,
}

impl NsInner {
    pub(crate) fn new(
        path: Arc<str>,
        io: Weak<IoInner>,
        handlers: Arc<RwLock<Handlers>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            path,
            io,
            handlers,
            sockets: RwLock::new(HashMap::new()),
            rooms: RwLock::new(HashMap::new()),
        })
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

    /// The handler for an event of this namespace, the `*` namespace backing it up.
    pub(crate) fn event_handler(&self, name: &str) -> Option<ErasedEvent> {
        let own = read(&self.handlers);
        let star = self.io.upgrade().and_then(|io| read(&io.any_ns).clone());
        match star {
            Some(star) if !Arc::ptr_eq(&star, &self.handlers) => {
                own.event(name, Some(&read(&star)))
            }
            _ => own.event(name, None),
        }
    }

    pub(crate) fn connect_handler(&self) -> Option<ErasedConnect> {
        let h = read(&self.handlers);
        h.func.connect.clone().or_else(|| h.class.connect.clone())
    }

    pub(crate) fn disconnect_handler(&self) -> Option<ErasedDisconnect> {
        let h = read(&self.handlers);
        h.func
            .disconnect
            .clone()
            .or_else(|| h.class.disconnect.clone())
    }

    pub(crate) fn add_socket(&self, s: &Socket) {
        write(&self.sockets).insert(s.sid().clone(), s.clone());
    }

    pub(crate) fn remove_socket(&self, s: &Socket) {
        let mut map = write(&self.sockets);
        if map.get(s.sid()).is_some_and(|cur| cur == s) {
            map.remove(s.sid());
        }
    }

    pub(crate) fn get_socket(&self, sid: &str) -> Option<Socket> {
        read(&self.sockets).get(sid).cloned()
    }

    pub(crate) fn enter_room(&self, s: &Socket, room: Room) {
        if s.is_closed() {
            return;
        }
        let inserted = write(&self.rooms)
            .entry(room.clone())
            .or_default()
            .insert(s.sid().clone());
        if inserted {
            let mut mine = lock(&s.0.rooms);
            if !mine.contains(&room) {
                mine.push(room);
            }
        }
    }

    pub(crate) fn leave_room(&self, s: &Socket, room: &str) {
        {
            let mut rooms = write(&self.rooms);
            if let Some(set) = rooms.get_mut(room) {
                set.remove(s.sid());
                if set.is_empty() {
                    rooms.remove(room);
                }
            }
        }
        lock(&s.0.rooms).retain(|r| &**r != room);
    }

    pub(crate) fn leave_all(&self, s: &Socket) {
        let mine = std::mem::take(&mut *lock(&s.0.rooms));
        if mine.is_empty() {
            return;
        }
        let mut rooms = write(&self.rooms);
        for room in mine {
            if let Some(set) = rooms.get_mut(&room) {
                set.remove(s.sid());
                if set.is_empty() {
                    rooms.remove(&room);
                }
            }
        }
    }

    pub(crate) fn close_room(&self, room: &str) {
        let members = write(&self.rooms).remove(room);
        let Some(members) = members else { return };
        let sockets = read(&self.sockets);
        for sid in members {
            if let Some(s) = sockets.get(&sid) {
                lock(&s.0.rooms).retain(|r| &**r != room);
            }
        }
    }

    /// Call `f` for every socket targeted by an emit to `rooms` (all when empty) except
    /// `skip`, once each, while holding the socket map's read lock: `f` must not block nor
    /// join, leave or disconnect sockets of this namespace (sending is fine: closing a
    /// connection never runs its handlers inline).
    pub(crate) fn for_each_target(&self, rooms: &[Room], skip: &[Sid], mut f: impl FnMut(&Socket)) {
        let sockets = read(&self.sockets);
        let skip_it = |sid: &str| skip.iter().any(|s| &**s == sid);
        if rooms.is_empty() {
            for (sid, s) in sockets.iter() {
                if !skip_it(sid) {
                    f(s);
                }
            }
            return;
        }
        let room_map = read(&self.rooms);
        let mut seen: Option<HashSet<Sid>> = (rooms.len() > 1).then(HashSet::new);
        for room in rooms {
            let mut visit = |sid: &Sid| {
                if skip_it(sid) {
                    return;
                }
                if let Some(seen) = seen.as_mut() {
                    if !seen.insert(sid.clone()) {
                        return;
                    }
                }
                if let Some(s) = sockets.get(sid) {
                    f(s);
                }
            };
            match room_map.get(room) {
                Some(members) => members.iter().for_each(&mut visit),
                // Every sid is also a room of its own.
                None => {
                    if let Some((sid, _)) = sockets.get_key_value(&**room) {
                        visit(sid);
                    }
                }
            }
        }
    }

    /// The sockets [`NsInner::for_each_target`] visits, collected (for callers that lock or
    /// await per socket).
    pub(crate) fn targets(&self, rooms: &[Room], skip: &[Sid]) -> Vec<Socket> {
        let mut out = Vec::new();
        self.for_each_target(rooms, skip, |s| out.push(s.clone()));
        out
    }
}

/// A namespace of the server: register handlers on it, emit to it, manage its rooms.
///
/// ```no_run
/// # async fn f(io: socketio::SocketIo) {
/// let chat = io.of("/chat");
/// chat.on("message", async |socket: socketio::Socket, text: String| {
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
    /// The namespace path.
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// Handle `event`. Replaces a previous function handler for the same event.
    pub fn on<H: EventHandler<M>, M>(&self, event: impl Into<String>, handler: H) -> &Self {
        let name: Arc<str> = Arc::from(event.into());
        write(&self.0.handlers)
            .func
            .events
            .insert(name, handler::erase_event(handler));
        self
    }

    /// Handle every event that has no handler of its own (python's `'*'`). Take an
    /// [`EventName`](super::EventName) parameter to learn which event it was.
    pub fn on_any<H: EventHandler<M>, M>(&self, handler: H) -> &Self {
        write(&self.0.handlers).func.any = Some(handler::erase_event(handler));
        self
    }

    /// Handle connections: may inspect the [`Handshake`](super::Handshake) and the auth
    /// payload, and reject by returning `false` or `Err(ConnectError)`.
    pub fn on_connect<H: ConnectHandler<M>, M>(&self, handler: H) -> &Self {
        write(&self.0.handlers).func.connect = Some(handler::erase_connect(handler));
        self
    }

    /// Handle disconnections; the socket's rooms are still readable while it runs.
    pub fn on_disconnect<H: DisconnectHandler<M>, M>(&self, handler: H) -> &Self {
        write(&self.0.handlers).func.disconnect = Some(handler::erase_disconnect(handler));
        self
    }

    /// Emit to every socket of the namespace.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        BroadcastOperator::new(self.0.clone()).emit(event, data)
    }

    /// Emit the `message` event to every socket of the namespace.
    pub fn send<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), EmitError> {
        self.emit("message", data)
    }

    /// Target a room (or a sid); chain `.to()` for more rooms and `.skip_sid()` to exclude.
    pub fn to(&self, room: impl Into<String>) -> BroadcastOperator {
        BroadcastOperator::new(self.0.clone()).to(room)
    }

    /// Target every socket except `sid` (chainable).
    pub fn skip_sid(&self, sid: impl Into<String>) -> BroadcastOperator {
        BroadcastOperator::new(self.0.clone()).skip_sid(sid)
    }

    /// A connected socket by sid.
    pub fn socket(&self, sid: &str) -> Option<Socket> {
        self.0.get_socket(sid)
    }

    /// Every connected socket of this namespace (on this server).
    pub fn sockets(&self) -> Vec<Socket> {
        read(&self.0.sockets).values().cloned().collect()
    }

    /// Add the socket `sid` to `room` (python's `enter_room`). Returns true when the socket
    /// is on this server; otherwise the request is published to the cluster (when the server
    /// has a manager), where the server holding `sid` applies it, and false is returned.
    pub fn enter_room(&self, sid: &str, room: impl Into<String>) -> bool {
        match self.0.get_socket(sid) {
            Some(s) => {
                self.0.enter_room(&s, Arc::from(room.into()));
                true
            }
            None => {
                self.0.io_inner().publish(Message::EnterRoom {
                    sid: sid.to_owned(),
                    namespace: self.0.path.to_string(),
                    room: room.into(),
                });
                false
            }
        }
    }

    /// Remove the socket `sid` from `room` (python's `leave_room`); like
    /// [`Namespace::enter_room`] for a socket on another server.
    pub fn leave_room(&self, sid: &str, room: &str) -> bool {
        match self.0.get_socket(sid) {
            Some(s) => {
                self.0.leave_room(&s, room);
                true
            }
            None => {
                self.0.io_inner().publish(Message::LeaveRoom {
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
        self.0.close_room(room);
        self.0.io_inner().publish(Message::CloseRoom {
            room: room.to_owned(),
            namespace: self.0.path.to_string(),
        });
    }

    /// The rooms of socket `sid`, its own sid room first; `None` for an unknown sid.
    pub fn rooms(&self, sid: &str) -> Option<Vec<String>> {
        self.0.get_socket(sid).map(|s| s.rooms())
    }

    /// The sids in `room` (on this server; python's `manager.get_participants`).
    pub fn room_members(&self, room: &str) -> Vec<String> {
        self.0
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
        match self.0.get_socket(sid) {
            Some(s) => {
                s.disconnect();
                true
            }
            None => {
                self.0.io_inner().publish(Message::Disconnect {
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
    /// [`ServerConfig::max_pending_acks`] acks awaited from other servers.
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
        if let Some(s) = self.0.get_socket(sid) {
            return s.emit_with_ack(event, data);
        }
        let args = Args::from_serialize(data).map_err(|e| EmitError::Serialize(e.to_string()))?;
        super::cluster::emit_with_remote_ack(&self.0, sid, event, &args)
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
