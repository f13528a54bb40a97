//! The server of `../shared/reference/conformance.md`: Socket.IO at `/socket.io/` (namespaces
//! `/` and `/custom`), a raw Engine.IO echo at `/engine.io/`, on port 3000 with
//! pingInterval 300 ms, pingTimeout 200 ms and maxPayload 1,000,000 (override with `PORT`,
//! `PING_INTERVAL_MS`, `PING_TIMEOUT_MS`, `MAX_PAYLOAD`).
//!
//! The conformance server is a subset of the test bed (`examples/testbed`), so it runs the
//! same code: one server passes both official suites and the interop tests.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    testbed::init_tracing();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    testbed::serve_until_signal(addr, testbed::Options::from_env()).await
}
