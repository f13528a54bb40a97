//! The outside world of the tests: whether missing services are a failure or a loud skip, the
//! broker URLs, and small network probes.
//!
//! Brokers default to loopback (Redis `127.0.0.1:6379`, RabbitMQ `127.0.0.1:5672` guest/guest);
//! `SOCKETIO_TEST_REDIS_URL` and `SOCKETIO_TEST_AMQP_URL` override them.

use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// Print a line on the real stderr, past the test harness's output capture, so that skips
/// and deviations are visible in a normal `cargo test` run.
pub fn loud(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Whether a missing service (broker, node, python, browser) fails the test instead of
/// skipping it: `SOCKETIO_REQUIRE_SERVICES=1` (what `.ci/run` sets) or a non-empty `CI`.
pub fn services_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
        || std::env::var("SOCKETIO_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// Skip `test` loudly (`SKIPPED: <test>: <why>` on stderr), or fail it when
/// [`services_required`].
pub fn skip(test: &str, why: &str) {
    if services_required() {
        panic!("{test}: {why} (required: CI or SOCKETIO_REQUIRE_SERVICES=1 is set)");
    }
    loud(&format!("SKIPPED: {test}: {why}"));
}

/// The Redis URL of the tests: `SOCKETIO_TEST_REDIS_URL`, else `redis://127.0.0.1:6379/0`.
pub fn redis_url() -> String {
    std::env::var("SOCKETIO_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}

/// The AMQP URL of the tests: `SOCKETIO_TEST_AMQP_URL`, else
/// `amqp://guest:guest@127.0.0.1:5672//`.
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

/// The same URL with its `host:port` replaced by `hp` (to route it through a [`Proxy`]).
///
/// [`Proxy`]: crate::Proxy
pub fn with_host_port(url: &str, hp: &str) -> String {
    url.replacen(&host_port(url), hp, 1)
}

/// Whether something accepts TCP connections at the URL's `host:port` (within 2 s).
pub async fn reachable(url: &str) -> bool {
    let hp = host_port(url);
    matches!(
        tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(hp)).await,
        Ok(Ok(_))
    )
}

/// The broker at `url` if it answers; otherwise [`skip`] `test` and `None`.
pub async fn broker_or_skip(test: &str, url: String) -> Option<String> {
    if reachable(&url).await {
        Some(url)
    } else {
        skip(test, &format!("no broker at {url}"));
        None
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub async fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind 127.0.0.1:0: {e}"));
    l.local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"))
        .port()
}

/// A pub/sub channel (or exchange) name no other test or run uses.
pub fn unique_channel(test: &str) -> String {
    format!("sio-{test}-{}", unique_tag())
}

/// A short random tag, unique per call, for the payloads of one scenario.
pub fn unique_tag() -> String {
    use rand_free::next_u64;
    format!("{:016x}", next_u64())
}

/// A process-unique counter mixed with the clock and pid: unique enough for names, without a
/// dependency on the runtime's private id generator.
mod rand_free {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};

    static COUNTER: AtomicU64 = AtomicU64::new(0);

    pub fn next_u64() -> u64 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        // splitmix64 of the mix, so consecutive names differ in every digit
        let mut z =
            t ^ (u64::from(std::process::id()) << 32) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
