//! `cargo run -p example-axum-app`: the axum guide's app on <http://127.0.0.1:3000>.
//!
//! `PORT` (default 3000), `ORIGIN` (the browser origin allowed cross-origin, default
//! `http://localhost:8080`), `TOKEN` (default `secret`), `SERVE=axum` to serve with
//! `axum::serve` instead of `socketio::serve`, `RUST_LOG` (default `info`; try
//! `RUST_LOG=socketio=debug`). Ctrl-C shuts down gracefully.
//!
//! ```sh
//! curl -H 'Authorization: Bearer secret' http://127.0.0.1:3000/api/posts
//! curl -H 'Authorization: Bearer secret' -H 'Content-Type: application/json' \
//!      -d '{"author":"curl","text":"hello"}' http://127.0.0.1:3000/api/posts
//! ```

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let port: u16 = env("PORT", "3000").parse()?;
    let config = axum_app::Config {
        origin: env("ORIGIN", "http://localhost:8080"),
        token: env("TOKEN", "secret"),
    };
    let app = axum_app::app(&config)?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!(
        "axum-app on http://{}/ (Socket.IO at /api/socket.io/)",
        listener.local_addr()?
    );
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if env("SERVE", "socketio") == "axum" {
        axum_app::serve_axum(listener, app, stop).await?;
    } else {
        axum_app::serve_socketio(listener, app, stop).await?;
    }
    Ok(())
}
