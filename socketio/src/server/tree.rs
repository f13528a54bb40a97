//! The server's object tree: a [`SocketIo`] owns its namespaces, a namespace its sockets and
//! handler table, and each child points back to its parent (a socket to its namespace, a
//! namespace to the server by `Weak`); the engine owns the server through its [`Client`].
//!
//! These structs name each other, so they are declared together here: declared in the files
//! of their behaviour they would import each other in a circle, and breaking that circle
//! would take type erasure on the hot path (a trait object behind every socket). This file
//! holds only their fields; what they do is in the file of each concept: `io.rs`
//! ([`SocketIo`], `IoInner`), `ns.rs` (`NsInner`), `socket.rs` ([`Socket`], `SocketInner`),
//! `client.rs` ([`Client`]), `handler.rs` (the contexts). Everything they hold that does
//! not name them back lives in a file of its own below this one: `config.rs`, `rooms.rs`,
//! `handlers.rs`, `ack.rs`, `exec.rs`.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};

use indexmap::IndexSet;

use super::ack::{AckTable, RemoteAcks};
use super::config::ServerConfig;
use super::exec::{Exec, TaskTracker};
use super::handlers;
use super::rooms::{Room, Rooms, Sid};
use super::types::{ConnectError, DisconnectReason, Handshake, StateMap};
use crate::engine::{EngineConn, EngineInner, Frame};
use crate::proto::sio::Args;
use crate::sync::BoxFuture;

// -- the server --------------------------------------------------------------------------------

/// The Socket.IO server. Cheap to clone; every clone is the same server. Reach it from
/// handlers (a `SocketIo` parameter), from axum routes (keep a clone in your router state) and
/// from background tasks.
#[derive(Clone)]
pub struct SocketIo {
    pub(crate) inner: Arc<IoInner>,
}

pub(crate) struct IoInner {
    pub(crate) config: ServerConfig,
    pub(crate) namespaces: RwLock<HashMap<Arc<str>, Arc<NsInner>>>,
    /// Handlers of the catch-all namespace `*`, shared by namespaces created on demand.
    pub(crate) any_ns: RwLock<Option<Arc<RwLock<Handlers>>>>,
    pub(crate) state: StateMap,
    pub(crate) tasks: Arc<TaskTracker>,
    /// The engine carrying this server, once a router asked for it. Weak: the engine (held
    /// by routers and by its connections' tasks) owns this server through its [`Client`],
    /// so dropping the last `SocketIo` handle and the last router frees both.
    pub(crate) engine: Mutex<Weak<EngineInner<Client>>>,
    pub(crate) manager: OnceLock<Arc<dyn crate::adapter::Manager>>,
    /// Acks awaited from clients connected to other servers of the cluster.
    pub(crate) remote_acks: Mutex<RemoteAcks>,
    /// The observer (the Admin UI), set at most once; shared with every namespace.
    pub(crate) observer: ObserverSlot,
}

/// The Socket.IO layer as an Engine.IO handler (its [`EngineHandler`](crate::engine::EngineHandler)
/// impl, the per-connection state and the dispatch live in `client.rs`). Owned by the engine.
pub(crate) struct Client {
    pub(crate) io: Arc<IoInner>,
}

// -- namespaces --------------------------------------------------------------------------------

pub(crate) struct NsInner {
    pub(crate) path: Arc<str>,
    pub(crate) io: Weak<IoInner>,
    /// Shared with the `*` namespace when this one was created dynamically.
    pub(crate) handlers: Arc<RwLock<Handlers>>,
    /// Its sockets and their rooms.
    pub(crate) rooms: Rooms<Socket>,
    /// Sockets connected or connecting (counted from [`IoInner::ns_for_connect`] until they
    /// close).
    pub(crate) members: AtomicUsize,
    /// Registered, or given handlers: stays in the map when empty. A namespace created on
    /// demand for a client is removed from the map with its last member.
    pub(crate) persistent: AtomicBool,
    /// In [`IoInner::namespaces`] (false for a handle from `io.of(path)` of a path that had
    /// no namespace, which is inserted only when handlers are registered on it).
    pub(crate) in_map: AtomicBool,
    /// The server's [`IoInner::observer`], reachable without upgrading `io`.
    pub(crate) observer: ObserverSlot,
    /// Its metrics (`metrics.rs`), registered once; `rooms` has a clone.
    pub(crate) metrics: super::metrics::NsMetrics,
    /// Its connection state recovery store, made on first use when the server has
    /// recovery on (`recovery.rs`).
    pub(crate) recovery: OnceLock<super::recovery::Store>,
    /// The server's [`ServerConfig::concurrent_handlers`], copied at creation (the config
    /// never changes) so that running an event needs no upgrade of `io`.
    pub(crate) concurrent_handlers: bool,
    /// The server's [`ServerConfig::parser`], copied at creation like `concurrent_handlers`,
    /// so that a broadcast needs no upgrade of `io`.
    pub(crate) parser: crate::proto::parser::Parser,
    /// The server's [`ServerConfig::connection_state_recovery`], copied at creation (what
    /// [`NsInner::recovery`] makes its store from).
    pub(crate) recovery_config: Option<super::recovery::RecoveryConfig>,
    /// The server's cluster manager, copied at creation (it is set when the server is
    /// built, before any namespace exists), so that publishing needs no upgrade of `io`.
    pub(crate) manager: Option<Arc<dyn crate::adapter::Manager>>,
}

// -- the observer seam -------------------------------------------------------------------------

/// What the server reports about its sockets to an in-crate observer: the Admin UI today
/// (`crate::admin`), metrics could share it (a fan-out observer). Declared here because it
/// names [`Socket`]. A server has at most one, set once ([`IoInner::observer`]); without one
/// every report point costs one `OnceLock` load. Callbacks run on the thread that made the
/// change, with none of the server's locks held; they must not block (emitting is fine).
/// Every method defaults to nothing.
pub(crate) trait Observer: Send + Sync + 'static {
    /// `socket` connected to its namespace (its CONNECT was sent).
    fn socket_connected(&self, _socket: &Socket) {}
    /// `socket` left its namespace (its disconnect handler is about to run).
    fn socket_disconnected(&self, _socket: &Socket, _reason: DisconnectReason) {}
    /// `socket` joined `room` (not its own sid room).
    fn room_joined(&self, _socket: &Socket, _room: &str) {}
    /// `socket` left `room` by a leave (disconnecting is reported as such).
    fn room_left(&self, _socket: &Socket, _room: &str) {}
    /// An event arrived for `socket` (before its handler runs, whether it has one or not).
    fn event_received(&self, _socket: &Socket, _event: &str, _args: &Args) {}
    /// `event` was emitted in namespace `ns`: `recipients` lists the local sockets it was
    /// sent to and `data` its arguments (`None` if they cannot be built); both are computed
    /// only when called.
    fn event_sent(
        &self,
        _ns: &str,
        _event: &str,
        _recipients: &dyn Fn() -> Vec<Socket>,
        _data: &dyn Fn() -> Option<Args>,
    ) {
    }
}

/// The slot a server and each of its namespaces share.
pub(crate) type ObserverSlot = Arc<OnceLock<Arc<dyn Observer>>>;

// -- sockets -----------------------------------------------------------------------------------

/// A client connected to one namespace. Cheap to clone; every clone is the same socket.
#[derive(Clone)]
pub struct Socket(pub(crate) Arc<SocketInner>);

pub(crate) const CONNECTING: u8 = 0;
pub(crate) const CONNECTED: u8 = 1;
pub(crate) const CLOSED: u8 = 2;

pub(crate) struct SocketInner {
    pub(crate) id: Sid,
    pub(crate) ns: Arc<NsInner>,
    pub(crate) conn: EngineConn,
    pub(crate) handshake: Arc<Handshake>,
    pub(crate) state: AtomicU8,
    /// Frames emitted while the connect handler runs, sent right after CONNECT.
    pub(crate) pre_connect: Mutex<Vec<Frame>>,
    pub(crate) rooms: Mutex<IndexSet<Room>>,
    pub(crate) acks: Arc<Mutex<AckTable>>,
    pub(crate) session: super::session_store::SessionStore,
    pub(crate) exec: Mutex<Exec>,
    /// The server's packet encoding ([`ServerConfig::parser`](crate::ServerConfig::parser)),
    /// kept here so that an emit or an ack needs no trip to the server's state.
    pub(crate) parser: crate::proto::parser::Parser,
    /// The private session id of connection state recovery (`None` when it is off).
    pub(crate) pid: Option<Sid>,
    /// Its session was recovered from a previous connection.
    pub(crate) recovered: bool,
}

// -- handlers ----------------------------------------------------------------------------------

/// What an event handler's parameters are extracted from: the socket, the event's name,
/// its arguments and ack id. Its methods, for writing your own
/// [`FromEventParam`](crate::FromEventParam), are in `extract.rs`.
pub struct EventContext {
    pub(crate) socket: Socket,
    /// Moved from the decoded packet; copied into an [`EventName`](crate::EventName) only
    /// for a handler that asks for one.
    pub(crate) name: String,
    pub(crate) args: Args,
    pub(crate) ack_id: Option<u64>,
    pub(crate) next_arg: usize,
    pub(crate) ack_taken: bool,
    /// Set by an event middleware (`middleware.rs`): told how the event ended.
    pub(crate) done: Option<DoneHook>,
}

/// Type-erased event handler stored in namespace tables.
pub(crate) type ErasedEvent =
    Arc<dyn Fn(EventContext) -> Option<BoxFuture<'static, ()>> + Send + Sync>;

/// Called once when an event ends (its handler finished, or it was rejected), with how its
/// acknowledgement went.
pub(crate) type DoneHook = Box<dyn FnOnce(super::ack::AckOutcome<'_>) + Send>;

/// The event middleware chain of a namespace (`middleware.rs`), around its event handlers;
/// declared here because it names [`EventContext`].
pub(crate) trait EventLayer: Send + Sync + 'static {
    /// Run `handler` for `ctx` (or refuse to).
    fn call(&self, ctx: EventContext, handler: &ErasedEvent) -> Option<BoxFuture<'static, ()>>;
    /// For `middleware.rs` to extend its own chain.
    fn as_any(&self) -> &dyn Any;
}

/// What a connect handler's parameters are extracted from.
pub struct ConnectContext {
    pub(crate) socket: Socket,
    pub(crate) handshake: Arc<Handshake>,
}

pub(crate) type ErasedConnect =
    Arc<dyn Fn(ConnectContext) -> BoxFuture<'static, Result<(), ConnectError>> + Send + Sync>;

/// What a disconnect handler's parameters are extracted from.
pub struct DisconnectContext {
    pub(crate) socket: Socket,
    pub(crate) reason: DisconnectReason,
}

pub(crate) type ErasedDisconnect =
    Arc<dyn Fn(DisconnectContext) -> BoxFuture<'static, ()> + Send + Sync>;

/// The handler table of a namespace.
pub(crate) type Handlers =
    handlers::Handlers<ErasedEvent, ErasedConnect, ErasedDisconnect, Arc<dyn EventLayer>>;
