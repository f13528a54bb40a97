//! The server handle ([`SocketIo`]), its builder and configuration.

use std::any::{Any, TypeId};
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Serialize;

use super::class::{self, BuildError, NamespaceClass, PendingClass};
use super::cluster::ClusterSink;
use super::emit::BroadcastOperator;
use super::ns::Namespace;
use super::socket::EmitError;
use super::state::{
    Client, Handlers, IoInner, NsInner, ServerConfig, Socket, SocketIo, lock, read, write,
};
use super::types::StateMap;
use crate::engine::{Engine, EngineConfig};
use crate::router::RouterOptions;

impl SocketIo {
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

    /// The Engine.IO engine carrying this server (created on first use).
    pub(crate) fn engine(&self) -> Engine<Client> {
        let mut slot = lock(&self.inner.engine);
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
        // Taking the engine out also breaks the server <-> engine reference cycle.
        let engine = lock(&self.inner.engine).take();
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

    /// Rate-limit the events every client sends, per connection (see
    /// [`RateLimit`](crate::RateLimit); default: none).
    ///
    /// ```
    /// use socketio::{RateLimit, SocketIo};
    /// let io = SocketIo::builder()
    ///     .rate_limit(RateLimit::default().with_events(10, 20))
    ///     .build()
    ///     .unwrap();
    /// # let _ = io;
    /// ```
    pub fn rate_limit(mut self, limit: crate::RateLimit) -> Self {
        self.config.rate_limit = Some(limit);
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
