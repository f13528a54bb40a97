//! The test-bed server: `cargo run -p example-testbed` (see `testbed::Options::from_env`).

#[tokio::main]
async fn main() -> std::io::Result<()> {
    testbed::init_tracing();
    let opts = testbed::Options::from_env();
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let addr = format!("{host}:{port}")
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{e}")))?;
    testbed::serve_until_signal(addr, opts).await
}
