//! The server handle ([`SocketIo`]) and its builder: the namespace map, the engine that
//! carries the server, the cluster manager, shared state.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::Duration;

use serde::Serialize;

use super::ack::RemoteAcks;
use super::class::{self, BuildError, NamespaceClass, PendingClass};
use super::cluster::ClusterSink;
use super::config::ServerConfig;
use super::emit::BroadcastOperator;
use super::ns::Namespace;
use super::tree::{Client, Handlers, IoInner, NsInner, Observer, ObserverSlot, Socket, SocketIo};
use super::types::{EmitError, State, StateMap};
use crate::adapter::{Envelope, Operation};
use crate::engine::{Engine, EngineConfig};
use crate::router::RouterOptions;
use crate::sync::{lock, read, write};

impl SocketIo {
    /// Install the server's observer (`crate::admin`); false when one is installed already.
    pub(crate) fn set_observer(&self, observer: Arc<dyn Observer>) -> bool {
        self.inner.observer.set(observer).is_ok()
    }

    /// Start configuring a server.
    pub fn builder() -> SocketIoBuilder {
        SocketIoBuilder::default()
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// A namespace. `"*"` is the catch-all namespace: its handlers serve every namespace
    /// that has none of its own.
    ///
    /// Registering a handler on it (`on`, `on_any`, `on_connect`, `on_disconnect`) makes the
    /// path joinable and keeps the namespace for the server's lifetime. Used only to emit,
    /// it never makes a path joinable: emitting to a path no client is connected to reaches
    /// nobody here (and is still published to the cluster).
    pub fn of(&self, path: &str) -> Namespace {
        let path = normalize_ns(path);
        if path == "*" {
            let mut any = write(&self.inner.any_ns);
            let handlers = any
                .get_or_insert_with(|| Arc::new(RwLock::new(Handlers::default())))
                .clone();
            drop(any);
            return Namespace(NsInner::new(
                Arc::from("*"),
                Arc::downgrade(&self.inner),
                handlers,
            ));
        }
        let found = read(&self.inner.namespaces).get(&*path).cloned();
        Namespace(found.unwrap_or_else(|| {
            NsInner::new(
                Arc::from(path),
                Arc::downgrade(&self.inner),
                Arc::new(RwLock::new(Handlers::default())),
            )
        }))
    }

    /// Emit to every socket of the main namespace `/`.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.of("/").emit(event, data)
    }

    /// Target a room (or sid) of the main namespace `/`.
    pub fn to(&self, room: impl Into<String>) -> BroadcastOperator {
        self.of("/").to(room)
    }

    /// A connected socket of namespace `ns`.
    pub fn socket(&self, ns: &str, sid: &str) -> Option<Socket> {
        read(&self.inner.namespaces)
            .get(&*normalize_ns(ns))?
            .get_socket(sid)
    }

    /// The paths clients can connect to right now: the registered namespaces (by class or
    /// with handlers), and those created on demand (`accept_any_namespace`, the `*`
    /// catch-all, `/`) while they have sockets. In no particular order.
    pub fn namespaces(&self) -> Vec<String> {
        read(&self.inner.namespaces)
            .keys()
            .map(|p| p.to_string())
            .collect()
    }

    /// Number of handler tasks in flight (handlers that did not complete on their first poll).
    pub fn handlers_in_flight(&self) -> usize {
        self.inner.tasks.count.load(Ordering::Acquire)
    }

    /// The Engine.IO engine carrying this server: the one a router or a connection still
    /// holds, else a new one.
    pub(crate) fn engine(&self) -> Engine<Client> {
        let mut slot = lock(&self.inner.engine);
        if let Some(inner) = slot.upgrade() {
            return Engine { inner };
        }
        let engine = Engine::new(
            self.inner.config.engine.clone(),
            Client {
                io: self.inner.clone(),
            },
        );
        *slot = Arc::downgrade(&engine.inner);
        engine
    }

    /// An axum `Router` serving the Socket.IO endpoint at [`ServerConfig::path`]; every other
    /// request gets 404. Merge it into your app (`app.merge(io.router())`), or use
    /// [`SocketIo::router_with`] for static files and a fallback to your routes.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// let io = socketio::SocketIo::builder().build()?;
    /// io.of("/").on("echo", async |msg: String| msg);
    /// let app = axum::Router::new()
    ///     .route("/health", axum::routing::get(|| async { "ok" }))
    ///     .merge(io.router());
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    /// socketio::serve(listener, app).await?;
    /// # Ok(()) }
    /// ```
    pub fn router(&self) -> axum::Router {
        crate::router::mount(axum::Router::new(), &self.inner.config.path, self.engine())
    }

    /// Like [`SocketIo::router`], with static files (python-socketio's `static_files`) and the
    /// user's router as the fallback for everything else.
    pub fn router_with(&self, options: RouterOptions) -> axum::Router {
        crate::router::router(self.engine(), options.path(self.inner.config.path.clone()))
    }

    /// Mount the Socket.IO endpoint on an existing router (any state type).
    pub fn mount<S: Clone + Send + Sync + 'static>(
        &self,
        router: axum::Router<S>,
    ) -> axum::Router<S> {
        crate::router::mount(router, &self.inner.config.path, self.engine())
    }

    /// Stop: disconnect every client with reason "server shutting down", wait for handlers in
    /// flight (disconnect handlers included), then return.
    pub async fn shutdown(&self) {
        // Forgotten: a router asked for after shutdown gets a new engine.
        let engine = std::mem::take(&mut *lock(&self.inner.engine)).upgrade();
        if let Some(inner) = engine {
            Engine { inner }.shutdown().await;
        }
        self.inner.tasks.wait_idle().await;
    }
}

impl IoInner {
    pub(crate) fn new(config: ServerConfig, state: StateMap) -> Arc<Self> {
        Arc::new(Self {
            config,
            namespaces: RwLock::new(HashMap::new()),
            any_ns: RwLock::new(None),
            state,
            tasks: Arc::default(),
            engine: Mutex::new(Weak::new()),
            manager: OnceLock::new(),
            remote_acks: Mutex::new(RemoteAcks::default()),
            observer: ObserverSlot::default(),
        })
    }

    /// A stand-in for a server that no longer exists (never reached in practice).
    pub(crate) fn detached() -> Arc<Self> {
        Self::new(ServerConfig::default(), StateMap::new())
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
                let dynamic = path != "/";
                let ns =
                    NsInner::with_metrics(Arc::from(path), Arc::downgrade(self), handlers, dynamic);
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
    /// Publish `operation` under this server's host id, when a manager is configured.
    pub(crate) fn publish(&self, operation: Operation) {
        if let Some(m) = self.manager.get() {
            m.publish(Envelope {
                host_id: m.host_id().to_owned(),
                operation,
            });
        }
    }

    pub(crate) fn has_manager(&self) -> bool {
        self.manager.get().is_some()
    }
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

pub(crate) fn normalize_ns(path: &str) -> String {
    if path.is_empty() {
        "/".into()
    } else if path.starts_with('/') || path == "*" {
        path.into()
    } else {
        format!("/{path}")
    }
}

/// Configures a [`SocketIo`] server.
///
/// Every field of [`ServerConfig`] and of [`EngineConfig`] has a method of the same name.
/// [`config`](Self::config), [`engine`](Self::engine) and the per-field methods apply **in
/// call order**: `config(..)` replaces the whole configuration, engine settings included, so
/// it undoes every setting made before it; a setting made after it changes that one field.
/// Call `config(..)` first and the per-field methods after it:
///
/// ```
/// use std::time::Duration;
/// use socketio::{ServerConfig, SocketIo};
///
/// let mut base = ServerConfig::default();
/// base.max_rooms_per_socket = 64;
/// let io = SocketIo::builder()
///     .config(base)
///     .ping_interval(Duration::from_secs(10))
///     .max_connections(10_000)
///     .build()
///     .unwrap();
/// assert_eq!(io.config().max_rooms_per_socket, 64);
/// assert_eq!(io.config().engine.ping_interval, Duration::from_secs(10));
/// assert_eq!(io.config().engine.max_connections, Some(10_000));
/// ```
///
/// State, namespaces and the manager are not part of the configuration: `config(..)` leaves
/// them alone.
#[derive(Default)]
pub struct SocketIoBuilder {
    config: ServerConfig,
    state: StateMap,
    classes: Vec<PendingClass>,
    manager: Option<Arc<dyn crate::adapter::Manager>>,
}

impl std::fmt::Debug for SocketIoBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIoBuilder")
            .field("config", &self.config)
            .finish()
    }
}

impl SocketIoBuilder {
    /// Replace the whole configuration, engine settings included. Settings apply in call
    /// order (see [`SocketIoBuilder`]): this undoes the per-field methods and
    /// [`engine`](Self::engine) calls made before it, and those made after it apply on top.
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Change the Engine.IO configuration in place, on top of what earlier calls set (see
    /// [`SocketIoBuilder`] for the order rule).
    pub fn engine(mut self, f: impl FnOnce(&mut EngineConfig)) -> Self {
        f(&mut self.config.engine);
        self
    }

    /// Heartbeat interval (`pingInterval`).
    pub fn ping_interval(mut self, d: Duration) -> Self {
        self.config.engine.ping_interval = d;
        self
    }

    /// Heartbeat timeout (`pingTimeout`).
    pub fn ping_timeout(mut self, d: Duration) -> Self {
        self.config.engine.ping_timeout = d;
        self
    }

    /// Largest message in bytes (`maxPayload`).
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.config.engine.max_payload = bytes;
        self
    }

    /// Endpoint path (default `/socket.io/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.config.path = path.into();
        self
    }

    /// Close connections that join no namespace in time.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.config.connect_timeout = d;
        self
    }

    /// Rate-limit the events every client sends, per connection (see
    /// [`RateLimit`](crate::RateLimit); default: none). Pass a value or `None`.
    ///
    /// ```
    /// use socketio::{RateLimit, SocketIo};
    /// let io = SocketIo::builder()
    ///     .rate_limit(RateLimit::default().with_events(10, 20))
    ///     .build()
    ///     .unwrap();
    /// # let _ = io;
    /// ```
    pub fn rate_limit(mut self, limit: impl Into<Option<crate::RateLimit>>) -> Self {
        self.config.rate_limit = limit.into();
        self
    }

    /// Cross-origin policy.
    pub fn cors(mut self, cors: crate::engine::Cors) -> Self {
        self.config.engine.cors = cors;
        self
    }

    // -- every other `ServerConfig` field ------------------------------------------------

    /// The packet encoding of every connection (default: JSON text). Sets
    /// [`ServerConfig::parser`](crate::ServerConfig::parser).
    ///
    /// ```
    /// use socketio::{SocketIo, proto::parser::Parser};
    ///
    /// // Clients use socket.io-msgpack-parser, or python-socketio's serializer='msgpack'.
    /// let io = SocketIo::builder().parser(Parser::msgpack()).build().unwrap();
    /// # let _ = io;
    /// ```
    pub fn parser(mut self, parser: crate::proto::parser::Parser) -> Self {
        self.config.parser = parser;
        self
    }

    /// Most binary attachments in one packet (default 10). Sets [`ServerConfig::max_attachments`](crate::ServerConfig::max_attachments); see there for what a client sees at the limit.
    pub fn max_attachments(mut self, value: usize) -> Self {
        self.config.max_attachments = value;
        self
    }

    /// Most server-to-client acks awaited at once per socket (default 1024). Sets [`ServerConfig::max_pending_acks`](crate::ServerConfig::max_pending_acks); see there for what a client sees at the limit.
    pub fn max_pending_acks(mut self, value: usize) -> Self {
        self.config.max_pending_acks = value;
        self
    }

    /// Most events of one connection waiting for their handlers (default 1024). Sets [`ServerConfig::max_queued_events`](crate::ServerConfig::max_queued_events); see there for what a client sees at the limit.
    pub fn max_queued_events(mut self, value: usize) -> Self {
        self.config.max_queued_events = value;
        self
    }

    /// Most bytes of events of one connection waiting for their handlers (default 4 MiB). Sets [`ServerConfig::max_queued_event_bytes`](crate::ServerConfig::max_queued_event_bytes); see there for what a client sees at the limit.
    pub fn max_queued_event_bytes(mut self, value: usize) -> Self {
        self.config.max_queued_event_bytes = value;
        self
    }

    /// Turn on connection state recovery (default off). Sets [`ServerConfig::connection_state_recovery`](crate::ServerConfig::connection_state_recovery); see [`RecoveryConfig`](crate::RecoveryConfig) for what is recovered and the limits.
    ///
    /// ```
    /// let io = socketio::SocketIo::builder()
    ///     .connection_state_recovery(socketio::RecoveryConfig::default())
    ///     .build()
    ///     .unwrap();
    /// # let _ = io;
    /// ```
    pub fn connection_state_recovery(mut self, value: super::recovery::RecoveryConfig) -> Self {
        self.config.connection_state_recovery = Some(value);
        self
    }

    /// Send CONNECT before running the connect handler (python-socketio's `always_connect`; default false). Sets [`ServerConfig::always_connect`](crate::ServerConfig::always_connect); see there for what a client sees at the limit.
    pub fn always_connect(mut self, value: bool) -> Self {
        self.config.always_connect = value;
        self
    }

    /// Accept connections to any namespace, even without handlers (default false). Sets [`ServerConfig::accept_any_namespace`](crate::ServerConfig::accept_any_namespace); see there for what a client sees at the limit.
    pub fn accept_any_namespace(mut self, value: bool) -> Self {
        self.config.accept_any_namespace = value;
        self
    }

    /// Run the event handlers of one client concurrently (python-socketio's `async_handlers=True`; default false). Sets [`ServerConfig::concurrent_handlers`](crate::ServerConfig::concurrent_handlers); see there for what a client sees at the limit.
    pub fn concurrent_handlers(mut self, value: bool) -> Self {
        self.config.concurrent_handlers = value;
        self
    }

    /// Most rooms one socket may be in at once (default 1024). Sets [`ServerConfig::max_rooms_per_socket`](crate::ServerConfig::max_rooms_per_socket); see there for what a client sees at the limit.
    pub fn max_rooms_per_socket(mut self, value: usize) -> Self {
        self.config.max_rooms_per_socket = value;
        self
    }

    /// Longest room name, in bytes (default 256). Sets [`ServerConfig::max_room_name_len`](crate::ServerConfig::max_room_name_len); see there for what a client sees at the limit.
    pub fn max_room_name_len(mut self, value: usize) -> Self {
        self.config.max_room_name_len = value;
        self
    }

    /// Refuse joins of a room named after another socket's sid (default true). Sets [`ServerConfig::reserve_sid_rooms`](crate::ServerConfig::reserve_sid_rooms); see there for what a client sees at the limit.
    pub fn reserve_sid_rooms(mut self, value: bool) -> Self {
        self.config.reserve_sid_rooms = value;
        self
    }

    /// Most namespaces one connection may be connected to at once (default 32). Sets [`ServerConfig::max_namespaces_per_connection`](crate::ServerConfig::max_namespaces_per_connection); see there for what a client sees at the limit.
    pub fn max_namespaces_per_connection(mut self, value: usize) -> Self {
        self.config.max_namespaces_per_connection = value;
        self
    }

    /// How long a local client may take to answer an ack another server of the cluster asked for (default 60 s). Sets [`ServerConfig::remote_ack_timeout`](crate::ServerConfig::remote_ack_timeout); see there for what a client sees at the limit.
    pub fn remote_ack_timeout(mut self, value: Duration) -> Self {
        self.config.remote_ack_timeout = value;
        self
    }

    /// The acknowledgement of an event whose handler was not called (default
    /// `{"error": "<message>"}`). Sets [`ServerConfig::reject_ack`](crate::ServerConfig::reject_ack);
    /// a namespace may override it ([`Namespace::reject_ack`](crate::Namespace::reject_ack)).
    pub fn reject_ack(mut self, value: crate::RejectAck) -> Self {
        self.config.reject_ack = value;
        self
    }

    // -- every other `EngineConfig` field ------------------------------------------------

    /// How long a polling -> WebSocket upgrade may take (default 10 s). Sets [`EngineConfig::upgrade_timeout`](crate::engine::EngineConfig::upgrade_timeout).
    pub fn upgrade_timeout(mut self, value: Duration) -> Self {
        self.config.engine.upgrade_timeout = value;
        self
    }

    /// Allow HTTP long-polling (default true). Sets [`EngineConfig::polling`](crate::engine::EngineConfig::polling).
    pub fn polling(mut self, value: bool) -> Self {
        self.config.engine.polling = value;
        self
    }

    /// Allow WebSocket (default true). Sets [`EngineConfig::websocket`](crate::engine::EngineConfig::websocket).
    pub fn websocket(mut self, value: bool) -> Self {
        self.config.engine.websocket = value;
        self
    }

    /// Offer the upgrade to WebSocket in polling handshakes (default true). Sets [`EngineConfig::allow_upgrades`](crate::engine::EngineConfig::allow_upgrades).
    pub fn allow_upgrades(mut self, value: bool) -> Self {
        self.config.engine.allow_upgrades = value;
        self
    }

    /// Also accept Engine.IO v3 / Socket.IO protocol v4 clients (socket.io-client 2.x), as
    /// Node's `allowEIO3` (default false). Sets [`EngineConfig::allow_eio3`](crate::engine::EngineConfig::allow_eio3).
    ///
    /// ```
    /// # fn f() -> Result<(), socketio::BuildError> {
    /// let io = socketio::SocketIo::builder().allow_eio3(true).build()?;
    /// # Ok(()) }
    /// ```
    pub fn allow_eio3(mut self, value: bool) -> Self {
        self.config.engine.allow_eio3 = value;
        self
    }

    /// Sticky-session cookie (default `None`: none). Sets [`EngineConfig::cookie`](crate::engine::EngineConfig::cookie): pass a value or `None`.
    pub fn cookie(mut self, value: impl Into<Option<crate::engine::Cookie>>) -> Self {
        self.config.engine.cookie = value.into();
        self
    }

    /// Send `Access-Control-Allow-Credentials: true` (default true). Sets [`EngineConfig::cors_credentials`](crate::engine::EngineConfig::cors_credentials).
    pub fn cors_credentials(mut self, value: bool) -> Self {
        self.config.engine.cors_credentials = value;
        self
    }

    /// Compress polling responses at least this large; `None` disables compression (default `Some(1024)`). Sets [`EngineConfig::compression_threshold`](crate::engine::EngineConfig::compression_threshold): pass a value or `None`.
    pub fn compression_threshold(mut self, value: impl Into<Option<usize>>) -> Self {
        self.config.engine.compression_threshold = value.into();
        self
    }

    /// Most bytes queued for one connection before it is closed as too slow (default 8 MiB). Sets [`EngineConfig::max_buffered_bytes`](crate::engine::EngineConfig::max_buffered_bytes).
    pub fn max_buffered_bytes(mut self, value: usize) -> Self {
        self.config.engine.max_buffered_bytes = value;
        self
    }

    /// Most frames queued for one connection (default 262,144). Sets [`EngineConfig::max_buffered_frames`](crate::engine::EngineConfig::max_buffered_frames).
    pub fn max_buffered_frames(mut self, value: usize) -> Self {
        self.config.engine.max_buffered_frames = value;
        self
    }

    /// Most packets in one polling response (default 16). Sets [`EngineConfig::max_poll_packets`](crate::engine::EngineConfig::max_poll_packets).
    pub fn max_poll_packets(mut self, value: usize) -> Self {
        self.config.engine.max_poll_packets = value;
        self
    }

    /// Most payload bytes in one polling response (default 1,000,000). Sets [`EngineConfig::max_poll_bytes`](crate::engine::EngineConfig::max_poll_bytes).
    pub fn max_poll_bytes(mut self, value: usize) -> Self {
        self.config.engine.max_poll_bytes = value;
        self
    }

    /// How long the body of a polling POST may take to arrive (default 10 s). Sets [`EngineConfig::request_body_timeout`](crate::engine::EngineConfig::request_body_timeout).
    pub fn request_body_timeout(mut self, value: Duration) -> Self {
        self.config.engine.request_body_timeout = value;
        self
    }

    /// Read buffer size of each WebSocket, in bytes (default 4096). Sets [`EngineConfig::ws_read_buffer`](crate::engine::EngineConfig::ws_read_buffer).
    pub fn ws_read_buffer(mut self, value: usize) -> Self {
        self.config.engine.ws_read_buffer = value;
        self
    }

    /// Outgoing WebSocket bytes gathered before a write (default 65,536). Sets [`EngineConfig::ws_write_buffer`](crate::engine::EngineConfig::ws_write_buffer).
    pub fn ws_write_buffer(mut self, value: usize) -> Self {
        self.config.engine.ws_write_buffer = value;
        self
    }

    /// permessage-deflate on WebSockets whose client offers it, compressing messages of at least the threshold (default `None`: off; Node's threshold is 1024). Sets [`EngineConfig::ws_per_message_deflate`](crate::engine::EngineConfig::ws_per_message_deflate): pass a threshold or `None`.
    pub fn ws_per_message_deflate(mut self, threshold: impl Into<Option<usize>>) -> Self {
        self.config.engine.ws_per_message_deflate = threshold.into();
        self
    }

    /// Most Engine.IO sessions open at once (default `None`: no limit). Sets [`EngineConfig::max_connections`](crate::engine::EngineConfig::max_connections): pass a value or `None`.
    pub fn max_connections(mut self, value: impl Into<Option<usize>>) -> Self {
        self.config.engine.max_connections = value.into();
        self
    }

    /// Most Engine.IO sessions open at once from one client address (default `None`: no limit). Sets [`EngineConfig::max_connections_per_ip`](crate::engine::EngineConfig::max_connections_per_ip): pass a value or `None`.
    pub fn max_connections_per_ip(mut self, value: impl Into<Option<usize>>) -> Self {
        self.config.engine.max_connections_per_ip = value.into();
        self
    }

    /// The header your reverse proxy sets to the client's address (default `None`: the peer address). Sets [`EngineConfig::trusted_proxy_header`](crate::engine::EngineConfig::trusted_proxy_header): pass a value or `None`.
    pub fn trusted_proxy_header(mut self, value: impl Into<Option<http::HeaderName>>) -> Self {
        self.config.engine.trusted_proxy_header = value.into();
        self
    }

    /// Register shared state, reachable as a `State<T>` handler parameter.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(
            TypeId::of::<T>(),
            Arc::new(value) as Arc<dyn Any + Send + Sync>,
        );
        self
    }

    /// Register a class-based namespace instance (`#[namespace]` impl block) explicitly.
    #[track_caller]
    pub fn namespace<T: NamespaceClass>(mut self, instance: T) -> Self {
        self.classes.push(PendingClass::explicit(instance));
        self
    }

    /// Join a cluster: every emit (unless [`BroadcastOperator::local`]), room change of a
    /// socket on another server, `close_room` and disconnect of a socket on another server is
    /// published through `manager`, and what the other servers publish is applied here. See
    /// [`crate::adapter`] (`RedisManager`, `AmqpManager`, or your own [`Manager`](crate::adapter::Manager)).
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// use socketio::adapter::{ManagerConfig, connect};
    /// let manager = connect("redis://127.0.0.1:6379/0", ManagerConfig::default()).await?;
    /// let io = socketio::SocketIo::builder().manager(manager).build()?;
    /// # drop(io); Ok(()) }
    /// ```
    pub fn manager(mut self, manager: Arc<dyn crate::adapter::Manager>) -> Self {
        self.manager = Some(manager);
        self
    }

    /// Build the server. Fails when two class-based namespaces claim one path.
    pub fn build(self) -> Result<SocketIo, BuildError> {
        let inner = IoInner::new(self.config, self.state);
        if let Some(manager) = self.manager {
            let _ = inner.manager.set(manager.clone());
            manager.start(Arc::new(ClusterSink(Arc::downgrade(&inner))));
        }
        let io = SocketIo { inner };
        class::register_all(|path| io.of(path).attached().handlers.clone(), self.classes)?;
        Ok(io)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn server() -> SocketIo {
        let io = SocketIo::builder().build().unwrap();
        io.of("/").on("echo", async |msg: String| msg);
        io
    }

    /// The server and its engine do not own each other: once the last handle and the last
    /// router are gone, both are freed, without `shutdown()`.
    #[tokio::test]
    async fn dropping_the_io_and_its_router_frees_server_and_engine() {
        let io = server();
        let router = io.router();
        let weak_io = Arc::downgrade(&io.inner);
        let weak_engine = lock(&io.inner.engine).clone();
        assert!(
            weak_engine.upgrade().is_some(),
            "the router holds the engine"
        );
        drop(router);
        assert!(weak_io.upgrade().is_some(), "the handle holds the server");
        drop(io);
        assert!(
            weak_io.upgrade().is_none(),
            "the server outlived its handles"
        );
        assert!(
            weak_engine.upgrade().is_none(),
            "the engine outlived its router"
        );
    }

    /// A router alone keeps serving: it owns the engine, which owns the server.
    #[tokio::test]
    async fn a_router_keeps_the_server_alive() {
        let io = server();
        let router = io.router();
        let weak_io = Arc::downgrade(&io.inner);
        drop(io);
        assert!(
            weak_io.upgrade().is_some(),
            "the router's engine holds the server"
        );
        drop(router);
        assert!(weak_io.upgrade().is_none());
    }

    /// Two routers of one server share its engine (one session table).
    #[tokio::test]
    async fn routers_share_one_engine() {
        let io = server();
        let (a, b) = (io.engine(), io.engine());
        assert!(Arc::ptr_eq(&a.inner, &b.inner));
    }
}
