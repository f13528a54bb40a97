//! `cargo run -p example-chat`, then open <http://127.0.0.1:3000> in two browser windows.
//! `PORT` changes the port; `METRICS=1` serves Prometheus text at `/metrics`. On first start it installs the official browser client from npm
//! (`examples/chat/install.sh`) into the git-ignored `examples/chat/.client`.

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let root = chat::default_root();
    if !chat::client_js(&root).exists() {
        eprintln!("installing socket.io-client from npm (examples/chat/install.sh)...");
        let ok = std::process::Command::new("sh")
            .arg(root.join("install.sh"))
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!(
                "could not install socket.io-client: run examples/chat/install.sh (needs npm)"
            );
        }
    }
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse()?,
        Err(_) => 3000,
    };
    // Prometheus text at `/metrics` (docs/observability.md). The recorder goes first: the
    // server registers its per-namespace metrics when it builds its namespaces.
    let prometheus = if std::env::var("METRICS").is_ok_and(|v| v == "1") {
        Some(metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?)
    } else {
        None
    };
    let (_io, mut app) = chat::app(&root)?;
    if let Some(handle) = prometheus {
        app = app.route(
            "/metrics",
            axum::routing::get(move || {
                handle.run_upkeep();
                let text = handle.render();
                async move { text }
            }),
        );
    }
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("chat listening on http://{}", listener.local_addr()?);
    socketio::serve(listener, app).await?;
    Ok(())
}
