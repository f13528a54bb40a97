//! `socketio::serve` when `accept` fails with `EMFILE` (out of file descriptors): the loop
//! backs off instead of spinning, and serves again once descriptors are free. Alone in its
//! test binary: the descriptor limit is per process.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::os::fd::AsRawFd as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

/// Counts the warnings `socketio` logs: one per failed accept.
struct AcceptErrors(Arc<AtomicUsize>);

impl tracing::Subscriber for AcceptErrors {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let meta = event.metadata();
        if *meta.level() == tracing::Level::WARN && meta.target().starts_with("socketio") {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// The lowest free descriptor number: the next socket gets it.
fn lowest_free_fd() -> u64 {
    let probe = std::fs::File::open("/dev/null").unwrap();
    u64::try_from(probe.as_raw_fd()).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn emfile_on_accept_backs_off_and_the_loop_survives() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/", get(|| async { "ok" }));
    tokio::spawn(socketio::serve(listener, app).into_future());
    let request = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n";

    let errors = Arc::new(AtomicUsize::new(0));
    tracing::subscriber::set_global_default(AcceptErrors(Arc::clone(&errors))).unwrap();
    let old = getrlimit(Resource::Nofile);
    // Room for one more descriptor (descriptors must be below the limit): the client's
    // socket. The server's accept finds none.
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(lowest_free_fd() + 1),
            maximum: old.maximum,
        },
    )
    .unwrap();
    let mut client = TcpStream::connect(addr).await;
    if let Ok(c) = client.as_mut() {
        c.write_all(request).await.unwrap();
    }
    let mut buf = [0u8; 1024];
    let starved = match client.as_mut() {
        Ok(c) => timeout(Duration::from_millis(500), c.read(&mut buf)).await,
        Err(_) => Ok(Ok(0)),
    };
    setrlimit(Resource::Nofile, old).unwrap();
    let errors = errors.load(Ordering::Relaxed);
    let mut client = client.expect("connect with one descriptor left");
    assert!(
        starved.is_err(),
        "served without a descriptor to accept with"
    );
    // Accept failed, and was retried every 50 ms or so, not in a busy loop.
    assert!(
        (1..=30).contains(&errors),
        "{errors} failed accepts in 500 ms"
    );

    // Descriptors are back: the waiting connection is accepted and served.
    let mut data = Vec::new();
    while !String::from_utf8_lossy(&data).contains("\r\n\r\nok") {
        let n = timeout(Duration::from_secs(10), client.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&data));
        data.extend_from_slice(&buf[..n]);
    }
    assert!(data.starts_with(b"HTTP/1.1 200 OK"));
}
