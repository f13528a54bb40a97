//! The server's data: the structs behind [`SocketIo`], namespaces and sockets, their
//! handler tables and room maps, the configuration, and the small accessors and lock helpers
//! every other file of the server builds on. Nothing here calls into the other files.

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{
    Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak,
};
use std::time::Duration;

use indexmap::IndexSet;
use tokio::sync::oneshot;

use super::ratelimit::{Charge, RateLimit};
use super::types::{ConnectError, DisconnectReason, Handshake, State, StateMap};
use crate::adapter::pubsub::{Envelope, Message};
use crate::engine::{Engine, EngineConfig, EngineConn, Frame};
use crate::proto::sio::Args;

// -- lock helpers ------------------------------------------------------------------------------

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

// -- ids and handler plumbing ------------------------------------------------------------------

/// A socket id: random, unique per namespace connection (distinct from the Engine.IO sid).
pub type Sid = Arc<str>;

/// Room names.
pub type Room = Arc<str>;

/// A boxed, sendable future: what erased handlers return.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What an event handler's parameters are extracted from.
pub struct EventContext {
    pub(crate) socket: Socket,
    pub(crate) name: Arc<str>,
    pub(crate) args: Args,
    pub(crate) ack_id: Option<u64>,
    pub(crate) next_arg: usize,
    pub(crate) ack_taken: bool,
}

/// Type-erased event handler stored in namespace tables.
pub(crate) type ErasedEvent = Arc<dyn Fn(EventContext) -> Option<BoxFuture<()>> + Send + Sync>;

/// What a connect handler's parameters are extracted from.
pub struct ConnectContext {
    pub(crate) socket: Socket,
    pub(crate) handshake: Arc<Handshake>,
}

pub(crate) type ErasedConnect =
    Arc<dyn Fn(ConnectContext) -> BoxFuture<Result<(), ConnectError>> + Send + Sync>;

/// What a disconnect handler's parameters are extracted from.
pub struct DisconnectContext {
    pub(crate) socket: Socket,
    pub(crate) reason: DisconnectReason,
}

pub(crate) type ErasedDisconnect = Arc<dyn Fn(DisconnectContext) -> BoxFuture<()> + Send + Sync>;

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

// -- server ------------------------------------------------------------------------------------

/// Socket.IO-level settings. Engine.IO settings live in [`EngineConfig`].
///
/// Marked `#[non_exhaustive]` so that new limits can be added: outside this crate, set the
/// fields through [`SocketIoBuilder`](crate::SocketIoBuilder)'s methods of the same names, or
/// start from `ServerConfig::default()` and assign fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Engine.IO settings (heartbeat, payload limit, transports, CORS, ...).
    pub engine: EngineConfig,
    /// Path of the Socket.IO endpoint. Default `/socket.io/`.
    pub path: String,
    /// Close a connection that has no connected namespace this long after it opened.
    /// Default 45 s (Node). A CONNECT the server rejected does not count; a connection one
    /// of whose namespaces connected is no longer timed, even once all of them disconnected
    /// (as Node).
    pub connect_timeout: Duration,
    /// Most binary attachments in one packet. Default 10 (Node's `maxAttachments`).
    pub max_attachments: usize,
    /// Most server-to-client acknowledgements awaited at once per socket, and (separately)
    /// from clients connected to other servers of the cluster. Default 1024. Past it,
    /// [`Socket::emit_with_ack`] fails with
    /// [`EmitError::TooManyPendingAcks`](crate::EmitError); an ack leaves the count when it
    /// is answered, when its [`AckFuture`](crate::AckFuture) is dropped or its `call` times
    /// out, and when the socket disconnects. Acks another server of the cluster asks of a
    /// local socket (a broker `emit` with a `callback`) have a budget of this size of their
    /// own per socket, so they can never use up the application's.
    pub max_pending_acks: usize,
    /// Most events of one connection waiting for their handlers, summed over all its
    /// namespaces: in order mode (the default) the events queued behind a handler that
    /// awaits, with [`concurrent_handlers`](Self::concurrent_handlers) the handlers in
    /// flight. At the limit the connection stays; the event after it closes the whole
    /// connection, and disconnect handlers see [`DisconnectReason::InboundQueueFull`] (the
    /// client sees its transport close). Default 1024.
    pub max_queued_events: usize,
    /// Most bytes of events of one connection waiting for their handlers, counted like
    /// [`max_queued_events`](Self::max_queued_events) (the size of an event is its decoded
    /// packet: JSON text plus attachment bytes). Past it the connection is closed with
    /// [`DisconnectReason::InboundQueueFull`]. Default 4 MiB.
    pub max_queued_event_bytes: usize,
    /// Per-connection rate limits on the events a client sends, and what happens to an
    /// event over them (see [`RateLimit`]). Default `None`: no rate limit.
    pub rate_limit: Option<RateLimit>,
    /// Send CONNECT before running the connect handler, and DISCONNECT if it then rejects
    /// (python-socketio's `always_connect`). Default false.
    pub always_connect: bool,
    /// Accept connections to any namespace, even without handlers (python's
    /// `namespaces='*'`). Default false.
    pub accept_any_namespace: bool,
    /// Run the event handlers of one client concurrently instead of one after another
    /// (python-socketio's `async_handlers=True`). Default false: in order.
    pub concurrent_handlers: bool,
    /// Most rooms one socket may be in at once, not counting its own sid room. Default 1024.
    /// Past it, [`Socket::join`] fails with [`JoinError::TooManyRooms`](crate::JoinError)
    /// (and so does [`Namespace::enter_room`](crate::Namespace::enter_room)); the socket
    /// stays connected and keeps its rooms.
    pub max_rooms_per_socket: usize,
    /// Longest room name, in bytes. Default 256. A longer name is refused with
    /// [`JoinError::NameTooLong`](crate::JoinError).
    pub max_room_name_len: usize,
    /// Refuse to let a socket join a room named after the sid of another socket of its
    /// namespace ([`JoinError::SidRoom`](crate::JoinError)). Default true. An emit to a sid
    /// always reaches that socket either way; with this off (Node's and python's behaviour)
    /// the members of such a room receive what is sent to that sid too. In a cluster the
    /// check sees the sockets of this server only: a room named after a sid of another
    /// server is allowed, and its members also receive cluster-wide emits to that sid.
    pub reserve_sid_rooms: bool,
    /// Most namespaces one connection may be connected (or connecting) to at once. Default
    /// 32. One CONNECT more is answered with a CONNECT_ERROR `Too many namespaces`; the
    /// connection and its other namespaces stay.
    pub max_namespaces_per_connection: usize,
    /// How long a local client may take to answer an ack that another server of the cluster
    /// asked for (a broker `emit` with a `callback`). Default 60 s (python-socketio's `call`
    /// timeout). At the deadline the client's slot in its budget for such acks (see
    /// [`max_pending_acks`](Self::max_pending_acks)) is freed and no answer is published;
    /// an answer the client sends later is ignored, and the asking server sees its own
    /// timeout. The client stays connected.
    pub remote_ack_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            engine: EngineConfig::default(),
            path: "/socket.io/".into(),
            connect_timeout: Duration::from_secs(45),
            max_attachments: 10,
            max_pending_acks: 1024,
            max_queued_events: 1024,
            max_queued_event_bytes: 4 * 1024 * 1024,
            rate_limit: None,
            always_connect: false,
            accept_any_namespace: false,
            concurrent_handlers: false,
            max_rooms_per_socket: 1024,
            max_room_name_len: 256,
            reserve_sid_rooms: true,
            max_namespaces_per_connection: 32,
            remote_ack_timeout: Duration::from_secs(60),
        }
    }
}

pub(crate) struct IoInner {
    pub(crate) config: ServerConfig,
    pub(crate) namespaces: RwLock<HashMap<Arc<str>, Arc<NsInner>>>,
    /// Handlers of the catch-all namespace `*`, shared by namespaces created on demand.
    pub(crate) any_ns: RwLock<Option<Arc<RwLock<Handlers>>>>,
    pub(crate) state: StateMap,
    pub(crate) tasks: TaskTracker,
    pub(crate) engine: Mutex<Option<Engine<Client>>>,
    pub(crate) manager: OnceLock<Arc<dyn crate::adapter::Manager>>,
    /// Acks awaited from clients connected to other servers of the cluster.
    pub(crate) remote_acks: Mutex<RemoteAcks>,
}

/// Counts handler tasks in flight so shutdown can wait for them.
#[derive(Default)]
pub(crate) struct TaskTracker {
    pub(crate) count: AtomicUsize,
    pub(crate) idle: tokio::sync::Notify,
}

impl TaskTracker {
    pub(crate) async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

struct TaskGuard(Arc<IoInner>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.0.tasks.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.tasks.idle.notify_waiters();
        }
    }
}

impl IoInner {
    pub(crate) fn new(config: ServerConfig, state: StateMap) -> Arc<Self> {
        Arc::new(Self {
            config,
            namespaces: RwLock::new(HashMap::new()),
            any_ns: RwLock::new(None),
            state,
            tasks: TaskTracker::default(),
            engine: Mutex::new(None),
            manager: OnceLock::new(),
            remote_acks: Mutex::new(RemoteAcks::default()),
        })
    }

    /// A stand-in for a server that no longer exists (never reached in practice).
    pub(crate) fn detached() -> Arc<Self> {
        Self::new(ServerConfig::default(), StateMap::new())
    }

    pub(crate) fn spawn_tracked(self: &Arc<Self>, fut: BoxFuture<()>) {
        self.tasks.count.fetch_add(1, Ordering::AcqRel);
        let guard = TaskGuard(self.clone());
        tokio::spawn(async move {
            fut.await;
            drop(guard);
        });
    }

    /// The namespace a client may connect to: registered, or created on demand for the `*`
    /// catch-all namespace, with `accept_any_namespace`, or `/`. The connecting socket is
    /// counted as a member (under the map's lock, so an emptied namespace created on demand
    /// cannot be removed meanwhile); [`NsInner::release_member`] undoes it when it closes.
    pub(crate) fn ns_for_connect(self: &Arc<Self>, path: &str) -> Option<Arc<NsInner>> {
        {
            let map = read(&self.namespaces);
            if let Some(ns) = map.get(path) {
                ns.members.fetch_add(1, Ordering::AcqRel);
                return Some(ns.clone());
            }
        }
        let handlers = read(&self.any_ns).clone();
        let handlers = match handlers {
            Some(h) => h,
            None if self.config.accept_any_namespace || path == "/" => {
                Arc::new(RwLock::new(Handlers::default()))
            }
            None => return None,
        };
        let mut map = write(&self.namespaces);
        let ns = map
            .entry(Arc::from(path))
            .or_insert_with(|| {
                let ns = NsInner::new(Arc::from(path), Arc::downgrade(self), handlers);
                ns.in_map.store(true, Ordering::Release);
                ns
            })
            .clone();
        ns.members.fetch_add(1, Ordering::AcqRel);
        Some(ns)
    }

    /// The namespace at `path` to register handlers on: the one in the map (kept from now on
    /// even when empty), or `detached` inserted there.
    pub(crate) fn attach(&self, detached: &Arc<NsInner>) -> Arc<NsInner> {
        let mut map = write(&self.namespaces);
        let ns = map
            .entry(detached.path.clone())
            .or_insert_with(|| {
                detached.in_map.store(true, Ordering::Release);
                detached.clone()
            })
            .clone();
        ns.persistent.store(true, Ordering::Release);
        ns
    }
}

impl IoInner {
    /// Publish `message` under this server's host id, when a manager is configured.
    pub(crate) fn publish(&self, message: Message) {
        if let Some(m) = self.manager.get() {
            m.publish(Envelope {
                host_id: m.host_id().to_owned(),
                message,
            });
        }
    }

    pub(crate) fn has_manager(&self) -> bool {
        self.manager.get().is_some()
    }
}

/// Acks awaited from clients on other servers, keyed by the id published in the `callback`
/// field of the emit.
#[derive(Default)]
pub(crate) struct RemoteAcks {
    pub(crate) next: u64,
    pub(crate) pending: HashMap<u64, Pending>,
}

pub(crate) struct Pending {
    pub(crate) sid: String,
    pub(crate) namespace: Arc<str>,
    pub(crate) tx: oneshot::Sender<Args>,
}

/// The Socket.IO layer as an Engine.IO handler (its [`EngineHandler`](crate::engine::EngineHandler)
/// impl lives in `client.rs`).
pub(crate) struct Client {
    pub(crate) io: Arc<IoInner>,
}

/// The Socket.IO server. Cheap to clone; every clone is the same server. Reach it from
/// handlers (a `SocketIo` parameter), from axum routes (keep a clone in your router state) and
/// from background tasks.
#[derive(Clone)]
pub struct SocketIo {
    pub(crate) inner: Arc<IoInner>,
}

impl std::fmt::Debug for SocketIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIo")
            .field("path", &self.inner.config.path)
            .finish()
    }
}

impl SocketIo {
    /// Shared state of type `T` registered with [`SocketIoBuilder::state`](crate::SocketIoBuilder::state).
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<State<T>> {
        let any = self.inner.state.get(&TypeId::of::<T>())?.clone();
        any.downcast::<T>().ok().map(State)
    }
}

// -- namespaces --------------------------------------------------------------------------------

pub(crate) struct NsInner {
    pub(crate) path: Arc<str>,
    pub(crate) io: Weak<IoInner>,
    /// Shared with the `*` namespace when this one was created dynamically.
    pub(crate) handlers: Arc<RwLock<Handlers>>,
    pub(crate) sockets: RwLock<HashMap<Sid, Socket>>,
    pub(crate) rooms: RwLock<HashMap<Room, HashSet<Sid>>>,
    /// Sockets connected or connecting (counted from [`IoInner::ns_for_connect`] until they
    /// close).
    pub(crate) members: AtomicUsize,
    /// Registered, or given handlers: stays in the map when empty. A namespace created on
    /// demand for a client is removed from the map with its last member.
    pub(crate) persistent: AtomicBool,
    /// In [`IoInner::namespaces`] (false for a handle from `io.of(path)` of a path that had
    /// no namespace, which is inserted only when handlers are registered on it).
    pub(crate) in_map: AtomicBool,
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
            members: AtomicUsize::new(0),
            persistent: AtomicBool::new(false),
            in_map: AtomicBool::new(false),
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
}

// -- sockets -----------------------------------------------------------------------------------

pub(crate) const CONNECTING: u8 = 0;
pub(crate) const CONNECTED: u8 = 1;
pub(crate) const CLOSED: u8 = 2;

/// Ordered execution of one socket's handlers.
pub(crate) enum Exec {
    Idle,
    /// A handler runs; these wait, each event with its share of the connection's inbound
    /// budget (none for connect and disconnect handlers).
    Busy(VecDeque<(BoxFuture<()>, Option<Charge>)>),
}

pub(crate) struct SocketInner {
    pub(crate) id: Sid,
    pub(crate) ns: Arc<NsInner>,
    pub(crate) conn: EngineConn,
    pub(crate) handshake: Arc<Handshake>,
    pub(crate) state: AtomicU8,
    /// Frames emitted while the connect handler runs, sent right after CONNECT.
    pub(crate) pre_connect: Mutex<Vec<Frame>>,
    pub(crate) rooms: Mutex<IndexSet<Room>>,
    pub(crate) acks: Mutex<AckTable>,
    pub(crate) session: Mutex<Option<Box<dyn Any + Send + Sync>>>,
    pub(crate) exec: Mutex<Exec>,
}

/// Acks this server awaits from one socket's client.
#[derive(Default)]
pub(crate) struct AckTable {
    pub(crate) next: u64,
    pub(crate) pending: HashMap<u64, AckSlot>,
    /// How many of `pending` were asked for by another server of the cluster (a broker emit
    /// with a `callback`): they have a budget of their own, so that they can never use up
    /// the application's.
    pub(crate) remote: usize,
}

/// One awaited ack.
pub(crate) struct AckSlot {
    pub(crate) tx: oneshot::Sender<Args>,
    /// Asked for by another server of the cluster.
    pub(crate) remote: bool,
}

/// A client connected to one namespace. Cheap to clone; every clone is the same socket.
#[derive(Clone)]
pub struct Socket(pub(crate) Arc<SocketInner>);

impl PartialEq for Socket {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Socket {}

impl Socket {
    pub(crate) fn sid(&self) -> &Sid {
        &self.0.id
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.0.state.load(Ordering::Acquire) == CLOSED
    }
}
