//! The server handle ([`SocketIo`]), its builder and configuration.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use serde::Serialize;

use super::client::Client;
use super::emit::BroadcastOperator;
use super::handler::BoxFuture;
use super::ns::{Handlers, Namespace, NsInner, read, write};
use super::types::StateMap;
use super::{EmitError, Socket, State};
use crate::engine::{Engine, EngineConfig};
use crate::router::RouterOptions;

/// Socket.IO-level settings. Engine.IO settings live in [`EngineConfig`].
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Engine.IO settings (heartbeat, payload limit, transports, CORS, ...).
    pub engine: EngineConfig,
    /// Path of the Socket.IO endpoint. Default `/socket.io/`.
    pub path: String,
    /// Close a connection that joins no namespace within this time. Default 45 s (Node).
    pub connect_timeout: Duration,
    /// Most binary attachments in one packet. Default 10 (Node's `maxAttachments`).
    pub max_attachments: usize,
    /// Most server-to-client acknowledgements awaited at once per socket, and (separately)
    /// from clients connected to other servers of the cluster. Default 1024.
    pub max_pending_acks: usize,
    /// Most events waiting for a slow handler of one socket before its connection is closed.
    /// Default 1024.
    pub max_queued_events: usize,
    /// Send CONNECT before running the connect handler, and DISCONNECT if it then rejects
    /// (python-socketio's `always_connect`). Default false.
    pub always_connect: bool,
    /// Accept connections to any namespace, even without handlers (python's
    /// `namespaces='*'`). Default false.
    pub accept_any_namespace: bool,
    /// Run the event handlers of one client concurrently instead of one after another
    /// (python-socketio's `async_handlers=True`). Default false: in order.
    pub concurrent_handlers: bool,
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
            always_connect: false,
            accept_any_namespace: false,
            concurrent_handlers: false,
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
    pub(crate) remote_acks: Mutex<super::cluster::RemoteAcks>,
}

/// Counts handler tasks in flight so shutdown can wait for them.
#[derive(Default)]
pub(crate) struct TaskTracker {
    count: AtomicUsize,
    idle: tokio::sync::Notify,
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
    fn new(config: ServerConfig, state: StateMap) -> Arc<Self> {
        Arc::new(Self {
            config,
            namespaces: RwLock::new(HashMap::new()),
            any_ns: RwLock::new(None),
            state,
            tasks: TaskTracker::default(),
            engine: Mutex::new(None),
            manager: OnceLock::new(),
            remote_acks: Mutex::new(super::cluster::RemoteAcks::default()),
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

    pub(crate) fn ns_or_create(self: &Arc<Self>, path: &str) -> Arc<NsInner> {
        if let Some(ns) = read(&self.namespaces).get(path) {
            return ns.clone();
        }
        let mut map = write(&self.namespaces);
        map.entry(Arc::from(path))
            .or_insert_with(|| {
                NsInner::new(
                    Arc::from(path),
                    Arc::downgrade(self),
                    Arc::new(RwLock::new(Handlers::default())),
                )
            })
            .clone()
    }

    /// The namespace a client may connect to: registered, or created on demand for the `*`
    /// catch-all namespace or with `accept_any_namespace`.
    pub(crate) fn ns_for_connect(self: &Arc<Self>, path: &str) -> Option<Arc<NsInner>> {
        if let Some(ns) = read(&self.namespaces).get(path) {
            return Some(ns.clone());
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
        Some(
            map.entry(Arc::from(path))
                .or_insert_with(|| NsInner::new(Arc::from(path), Arc::downgrade(self), handlers))
                .clone(),
        )
    }
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
    /// Start configuring a server.
    pub fn builder() -> SocketIoBuilder {
        SocketIoBuilder::default()
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// A namespace, created if needed. `"*"` is the catch-all namespace: its handlers serve
    /// every namespace that has none of its own.
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
        Namespace(self.inner.ns_or_create(&path))
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

    /// Shared state of type `T` registered with [`SocketIoBuilder::state`].
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<State<T>> {
        let any = self.inner.state.get(&TypeId::of::<T>())?.clone();
        any.downcast::<T>().ok().map(State)
    }

    /// Number of handler tasks in flight (handlers that did not complete on their first poll).
    pub fn handlers_in_flight(&self) -> usize {
        self.inner.tasks.count.load(Ordering::Acquire)
    }

    /// The Engine.IO engine carrying this server (created on first use).
    pub(crate) fn engine(&self) -> Engine<Client> {
        let mut slot = super::socket::lock(&self.inner.engine);
        slot.get_or_insert_with(|| {
            Engine::new(
                self.inner.config.engine.clone(),
                Client {
                    io: self.inner.clone(),
                },
            )
        })
        .clone()
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
    /// axum::serve(listener, app).await?;
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
        // Taking the engine out also breaks the server <-> engine reference cycle.
        let engine = super::socket::lock(&self.inner.engine).take();
        if let Some(engine) = engine {
            engine.shutdown().await;
        }
        self.inner.tasks.wait_idle().await;
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
#[derive(Default)]
pub struct SocketIoBuilder {
    config: ServerConfig,
    state: StateMap,
    classes: Vec<super::class::PendingClass>,
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
    /// Replace the whole configuration.
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Change the Engine.IO configuration in place.
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

    /// Cross-origin policy.
    pub fn cors(mut self, cors: crate::engine::Cors) -> Self {
        self.config.engine.cors = cors;
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
    pub fn namespace<T: super::NamespaceClass>(mut self, instance: T) -> Self {
        self.classes
            .push(super::class::PendingClass::explicit(instance));
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
    pub fn build(self) -> Result<SocketIo, super::BuildError> {
        let inner = IoInner::new(self.config, self.state);
        if let Some(manager) = self.manager {
            let _ = inner.manager.set(manager.clone());
            manager.start(Arc::new(super::cluster::ClusterSink(Arc::downgrade(
                &inner,
            ))));
        }
        let io = SocketIo { inner };
        super::class::register_all(&io, self.classes)?;
        Ok(io)
    }
}
