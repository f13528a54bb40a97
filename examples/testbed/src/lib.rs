//! The test-bed server (`../shared/reference/testbed.md`): the server that interop tests,
//! benchmarks and newcomers run against. Usable in-process from tests through [`spawn`].

use std::net::SocketAddr;
use std::time::Duration;

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
}

impl Default for Options {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(200),
            max_payload: 1_000_000,
            manager_url: None,
            manager_channel: "socketio".into(),
        }
    }
}

impl Options {
    /// Defaults overridden by `PING_INTERVAL_MS`, `PING_TIMEOUT_MS`, `MAX_PAYLOAD`,
    /// `MANAGER_URL`, `MANAGER_CHANNEL`.
    pub fn from_env() -> Self {
        todo!("lead")
    }
}

/// A running test-bed server.
#[derive(Debug)]
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
}

impl Running {
    /// Stop it: every client is disconnected, then the listener closes.
    pub async fn shutdown(self) {
        todo!("lead")
    }
}

/// Start a test-bed server on `addr` (use `127.0.0.1:0` for a free port).
pub async fn spawn(addr: SocketAddr, opts: Options) -> std::io::Result<Running> {
    let _ = (addr, opts);
    todo!("lead")
}
