//! The test-bed server (`../shared/reference/testbed.md`): the server that interop tests,
//! benchmarks and newcomers run against. Usable in-process from tests through [`spawn`].

mod functions;
pub mod namespaces;
mod shared;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use socketio::SocketIo;
use socketio::adapter::{Manager, ManagerConfig};
use socketio::engine::{
    CloseReason, Cors, Engine, EngineConfig, EngineConn, EngineHandler, Frame, Message,
};

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
    /// How the handlers are written (`TESTBED_HANDLERS`: `namespaces`, the default, or
    /// `functions`). Both behave the same; the choice exists to compare their cost.
    pub handlers: Handlers,
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
            handlers: Handlers::default(),
        }
    }
}

impl Options {
    /// Defaults overridden by `PING_INTERVAL_MS`, `PING_TIMEOUT_MS`, `MAX_PAYLOAD`,
    /// `MANAGER_URL`, `MANAGER_CHANNEL`.
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
            handlers: match std::env::var("TESTBED_HANDLERS").as_deref() {
                Ok("functions") => Handlers::Functions,
                _ => d.handlers,
            },
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
    let config = ManagerConfig::with_channel(opts.manager_channel.clone());
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
    let mut engine = EngineConfig::default();
    engine.ping_interval = opts.ping_interval;
    engine.ping_timeout = opts.ping_timeout;
    engine.max_payload = opts.max_payload;
    engine.cors = Cors::Any;
    engine.cors_credentials = true;
    let mut builder = SocketIo::builder()
        .engine(|e| *e = engine.clone())
        .connect_timeout(Duration::from_millis(1000));
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
    let echo = Engine::new(engine, Echo);
    let router = socketio::router::mount(io.router(), "/engine.io/", echo.clone());
    Ok(App { router, io, echo })
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
