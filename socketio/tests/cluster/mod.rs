//! Helpers shared by the `cluster_*` integration tests: service discovery (skip loudly or
//! fail), unique channel names, an in-process TCP proxy that can cut a broker link, and the
//! python interop venv.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use socketio::adapter::broker::BrokerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub mod scenarios;

/// Services are mandatory under CI or with `SOCKETIO_REQUIRE_SERVICES=1`.
pub fn services_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
        || std::env::var("SOCKETIO_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// Skip loudly (or fail when services are required).
pub fn skip(test: &str, why: &str) {
    if services_required() {
        panic!("{test}: {why} (required: CI or SOCKETIO_REQUIRE_SERVICES=1 is set)");
    }
    // Written straight to stderr: the test harness captures `println!`/`eprintln!` of passing
    // tests, and a skip must be seen.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {why}");
}

pub fn redis_url() -> String {
    std::env::var("SOCKETIO_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}

pub fn amqp_url() -> String {
    std::env::var("SOCKETIO_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672//".into())
}

/// `host:port` of a `scheme://[userinfo@]host:port/...` URL.
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or("");
    authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority)
        .to_owned()
}

/// The same URL with its `host:port` replaced.
pub fn with_host_port(url: &str, hp: &str) -> String {
    url.replacen(&host_port(url), hp, 1)
}

/// Whether something listens at the URL's address.
pub async fn reachable(url: &str) -> bool {
    let hp = host_port(url);
    matches!(
        tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(hp)).await,
        Ok(Ok(_))
    )
}

/// A channel name no other test (or run) uses.
pub fn unique_channel(test: &str) -> String {
    format!(
        "socketio-test-{test}-{}",
        socketio::adapter::pubsub::new_host_id()
    )
}

/// Fast reconnection for tests (so "flows again within 10 s" holds with margin).
pub fn test_config(channel: &str) -> BrokerConfig {
    let mut cfg = BrokerConfig::with_channel(channel);
    cfg.backoff.initial = Duration::from_millis(100);
    cfg.backoff.max = Duration::from_secs(1);
    cfg.backoff.jitter = 0.2;
    cfg.connect_timeout = Duration::from_secs(2);
    cfg.connect_attempts = 2;
    cfg.publish_timeout = Duration::from_secs(2);
    cfg.health_check_interval = Duration::from_secs(2);
    cfg
}

/// Await `fut` for at most `secs` seconds, panicking with `what` otherwise.
pub async fn within<T>(secs: u64, what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(secs), fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {secs} s waiting for {what}"),
    }
}

/// An in-process TCP proxy on 127.0.0.1 in front of a broker. [`Proxy::cut`] closes every
/// proxied connection and refuses new ones until [`Proxy::restore`].
pub struct Proxy {
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let (generation, _) = watch::channel(0u64);
        let (up2, gen2) = (up.clone(), generation.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let mut cut = gen2.subscribe();
                let up3 = up2.clone();
                tokio::spawn(async move {
                    if !up3.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(mut server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                    // dropping both sockets closes them: the client sees the link go down
                });
            }
        });
        Proxy {
            addr,
            up,
            generation,
            task,
        }
    }

    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.task.abort();
    }
}

/// A port on 127.0.0.1 where nothing listens.
pub async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

/// The interop venv's python, if installed (`socketio/tests/cluster/install.sh`).
pub fn venv_python() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let py = std::env::var_os("SOCKETIO_CLUSTER_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".interop/venv"))
        .join("bin/python");
    py.exists().then_some(py)
}

pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cluster")
        .join(name)
}
