//! The test-bed server (`../shared/reference/testbed.md`): the server that interop tests,
//! benchmarks and newcomers run against. Usable in-process from tests through [`spawn`].

mod functions;
pub mod namespaces;
mod shared;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use socketio::SocketIo;
use socketio::adapter::{Manager, ManagerConfig};
use socketio::engine::{
    CloseReason, Cors, Engine, EngineConfig, EngineConn, EngineHandler, Frame, Message,
};
use socketio::proto::parser::Parser;

/// Test-bed settings; [`Options::default`] is what the official protocol suites need.
#[derive(Debug, Clone)]
pub struct Options {
    /// Engine.IO pingInterval (`PING_INTERVAL_MS`, default 300 ms).
    pub ping_interval: Duration,
    /// Engine.IO pingTimeout (`PING_TIMEOUT_MS`, default 200 ms).
    pub ping_timeout: Duration,
    /// Largest polling POST body / WebSocket message (`MAX_PAYLOAD`, default 1,000,000).
    pub max_payload: usize,
    /// Cluster broker URL (`MANAGER_URL`); `None` = standalone.
    pub manager_url: Option<String>,
    /// Cluster channel (`MANAGER_CHANNEL`, default `socketio`).
    pub manager_channel: String,
    /// A CA (PEM) trusted for a `rediss://`, `valkeys://` or `amqps://` broker's certificate,
    /// besides the system roots (`MANAGER_CA_FILE`).
    pub manager_ca_file: Option<std::path::PathBuf>,
    /// How the handlers are written (`TESTBED_HANDLERS`: `namespaces`, the default, or
    /// `functions`). Both behave the same; the choice exists to compare their cost.
    pub handlers: Handlers,
    /// `ADMIN_AUTH=user:password`: serve the Admin UI protocol on `/admin`
    /// ([`socketio::admin`]), logging in with that user and password. `None`: no admin.
    pub admin_auth: Option<String>,
    /// Serve Prometheus text at `GET /metrics` (`METRICS=1`), from a recorder installed
    /// once per process (see [`metrics_handle`]).
    pub metrics: bool,
    /// Every connection uses the msgpack parser (`PARSER=msgpack`): byte-compatible with
    /// `socket.io-msgpack-parser` 3.x and python-socketio's `serializer='msgpack'`.
    pub msgpack: bool,
    /// Also accept Engine.IO v3 / Socket.IO protocol v4 clients (`ALLOW_EIO3=1`).
    pub allow_eio3: bool,
    /// Connection state recovery with this `max_disconnection_duration` (`RECOVERY_MS`);
    /// `None`: off. The store's limits are the library's defaults.
    pub recovery: Option<Duration>,
    /// permessage-deflate is negotiated on WebSocket connections whose client offers it
    /// (`WS_DEFLATE=1`), with Node's threshold of 1024 bytes. Off by default, as in the
    /// library.
    pub ws_deflate: bool,
}

/// How the test-bed handlers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Handlers {
    /// `#[namespace]` impl blocks (`namespaces.rs`).
    #[default]
    Namespaces,
    /// The function-style API (`io.of(..).on(..)`).
    Functions,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(200),
            max_payload: 1_000_000,
            manager_url: None,
            manager_channel: "socketio".into(),
            manager_ca_file: None,
            handlers: Handlers::default(),
            admin_auth: None,
            metrics: false,
            msgpack: false,
            allow_eio3: false,
            recovery: None,
            ws_deflate: false,
        }
    }
}

impl Options {
    /// Defaults overridden by `PING_INTERVAL_MS`, `PING_TIMEOUT_MS`, `MAX_PAYLOAD`,
    /// `MANAGER_URL`, `MANAGER_CHANNEL`, `MANAGER_CA_FILE`, `TESTBED_HANDLERS`, `ADMIN_AUTH`, `METRICS`, `PARSER`, `ALLOW_EIO3`, `RECOVERY_MS`, `WS_DEFLATE`.
    pub fn from_env() -> Self {
        let d = Self::default();
        let num = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        Self {
            ping_interval: num("PING_INTERVAL_MS")
                .map(Duration::from_millis)
                .unwrap_or(d.ping_interval),
            ping_timeout: num("PING_TIMEOUT_MS")
                .map(Duration::from_millis)
                .unwrap_or(d.ping_timeout),
            max_payload: num("MAX_PAYLOAD")
                .map(|v| v as usize)
                .unwrap_or(d.max_payload),
            manager_url: std::env::var("MANAGER_URL").ok().filter(|v| !v.is_empty()),
            manager_channel: std::env::var("MANAGER_CHANNEL")
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or(d.manager_channel),
            manager_ca_file: std::env::var_os("MANAGER_CA_FILE")
                .filter(|v| !v.is_empty())
                .map(Into::into),
            handlers: match std::env::var("TESTBED_HANDLERS").as_deref() {
                Ok("functions") => Handlers::Functions,
                _ => d.handlers,
            },
            admin_auth: std::env::var("ADMIN_AUTH").ok().filter(|v| !v.is_empty()),
            metrics: std::env::var("METRICS").is_ok_and(|v| v == "1"),
            msgpack: std::env::var("PARSER").is_ok_and(|v| v.trim() == "msgpack"),
            allow_eio3: std::env::var("ALLOW_EIO3").is_ok_and(|v| v.trim() == "1"),
            recovery: num("RECOVERY_MS").map(Duration::from_millis),
            ws_deflate: std::env::var("WS_DEFLATE").is_ok_and(|v| v.trim() == "1"),
        }
    }
}

/// The raw Engine.IO echo handler served at `/engine.io/`.
struct Echo;

impl EngineHandler for Echo {
    type State = ();

    fn on_open(&self, _conn: &EngineConn) {}

    fn on_message(&self, _state: &mut (), conn: &EngineConn, msg: Message) {
        let frame = match msg {
            Message::Text(text) => {
                let mut b = Vec::with_capacity(text.len() + 1);
                b.push(b'4');
                b.extend_from_slice(text.as_bytes());
                Frame::Text(Bytes::from(b))
            }
            Message::Binary(data) => Frame::Binary(data),
        };
        let _ = conn.send(frame);
    }

    fn on_close(&self, _state: &mut (), _conn: &EngineConn, _reason: CloseReason) {}
}

/// The test bed's router and the handles needed to stop it.
pub struct App {
    /// `/socket.io/`, `/engine.io/`, and 404 for everything else.
    pub router: axum::Router,
    /// The Socket.IO server.
    pub io: SocketIo,
    echo: Engine<Echo>,
}

/// Connect the cluster manager named by [`Options::manager_url`] on
/// [`Options::manager_channel`]; `None` when standalone. An unreachable broker is an error.
pub async fn connect_manager(opts: &Options) -> std::io::Result<Option<Arc<dyn Manager>>> {
    let Some(url) = opts.manager_url.as_deref() else {
        return Ok(None);
    };
    let mut config = ManagerConfig::with_channel(opts.manager_channel.clone());
    if let Some(ca) = &opts.manager_ca_file {
        config = config.tls(socketio::adapter::broker::TlsOptions::default().ca_file(ca));
    }
    socketio::adapter::connect(url, config)
        .await
        .map(Some)
        .map_err(|e| std::io::Error::other(format!("MANAGER_URL {url}: {e}")))
}

/// Build the test bed: Socket.IO at `/socket.io/`, the raw echo at `/engine.io/`. Joins the
/// cluster named by [`Options::manager_url`], if any.
pub async fn build(opts: &Options) -> std::io::Result<App> {
    let manager = connect_manager(opts).await?;
    build_with(opts, manager)
}

/// [`build`] with a cluster manager of the caller's choice (`None`: standalone;
/// [`Options::manager_url`] is then ignored).
pub fn build_with(opts: &Options, manager: Option<Arc<dyn Manager>>) -> std::io::Result<App> {
    // Before the server: it registers its per-namespace metrics when it builds them.
    let prometheus = if opts.metrics {
        Some(metrics_handle()?)
    } else {
        None
    };
    let mut engine = EngineConfig::default();
    engine.ping_interval = opts.ping_interval;
    engine.ping_timeout = opts.ping_timeout;
    engine.max_payload = opts.max_payload;
    engine.allow_eio3 = opts.allow_eio3;
    engine.cors = Cors::Any;
    engine.cors_credentials = true;
    engine.ws_per_message_deflate = opts.ws_deflate.then_some(1024);
    let mut builder = SocketIo::builder()
        .engine(|e| *e = engine.clone())
        .connect_timeout(Duration::from_millis(1000));
    if opts.msgpack {
        builder = builder.parser(Parser::msgpack());
    }
    if let Some(max) = opts.recovery {
        let mut recovery = socketio::RecoveryConfig::default();
        recovery.max_disconnection_duration = max;
        builder = builder.connection_state_recovery(recovery);
    }
    if let Some(manager) = manager {
        builder = builder.manager(manager);
    }
    let io = match opts.handlers {
        Handlers::Namespaces => builder
            .namespace(namespaces::Main)
            .namespace(namespaces::Custom)
            .namespace(namespaces::Chat)
            .build()
            .map_err(std::io::Error::other)?,
        Handlers::Functions => {
            let io = builder.build().map_err(std::io::Error::other)?;
            functions::register(&io);
            io
        }
    };
    if let Some(user_password) = &opts.admin_auth {
        let auth = socketio::admin::Auth::parse(user_password).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "ADMIN_AUTH must be user:password",
            )
        })?;
        socketio::admin::instrument(&io, socketio::admin::AdminOptions::new(auth))
            .map_err(std::io::Error::other)?;
    }
    let echo = Engine::new(engine, Echo);
    let mut router = socketio::router::mount(io.router(), "/engine.io/", echo.clone());
    if let Some(handle) = prometheus {
        router = router.route(
            "/metrics",
            axum::routing::get(move || {
                handle.run_upkeep();
                let text = handle.render();
                async move { ([("content-type", "text/plain; version=0.0.4")], text) }
            }),
        );
    }
    Ok(App { router, io, echo })
}

/// The Prometheus recorder of this process, installed as the global `metrics` recorder on
/// first use. Fails if another recorder was installed first.
pub fn metrics_handle() -> std::io::Result<PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<PrometheusHandle>> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .clone()
        .ok_or_else(|| std::io::Error::other("METRICS=1: another metrics recorder is installed"))
}

/// A running test-bed server.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The Socket.IO server.
    pub io: SocketIo,
    echo: Engine<Echo>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running").field("addr", &self.addr).finish()
    }
}

impl Running {
    /// Stop it: every client is disconnected, then the listener closes.
    pub async fn shutdown(self) {
        self.io.shutdown().await;
        self.echo.shutdown().await;
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Start a test-bed server on `addr` (use `127.0.0.1:0` for a free port).
pub async fn spawn(addr: SocketAddr, opts: Options) -> std::io::Result<Running> {
    let manager = connect_manager(&opts).await?;
    spawn_with(addr, opts, manager).await
}

/// [`spawn`] with a cluster manager of the caller's choice (`None`: standalone).
pub async fn spawn_with(
    addr: SocketAddr,
    opts: Options,
    manager: Option<Arc<dyn Manager>>,
) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let App { router, io, echo } = build_with(&opts, manager)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // TCP_NODELAY is on by default (`ServeConfig::tcp_nodelay`).
        let serve = socketio::serve(listener, router).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            tracing::error!("server error: {e}");
        }
    });
    Ok(Running {
        addr,
        io,
        echo,
        stop,
        task,
    })
}

/// Log to stderr, filtered by `RUST_LOG` (default `warn`).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
}

/// Run until SIGINT or SIGTERM, then shut down cleanly.
pub async fn serve_until_signal(addr: SocketAddr, opts: Options) -> std::io::Result<()> {
    let running = spawn(addr, opts).await?;
    eprintln!("test bed listening on http://{}", running.addr);
    wait_for_signal().await;
    running.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
