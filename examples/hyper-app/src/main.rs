//! `cargo run -p example-hyper-app`: the tower guide's server on <http://127.0.0.1:3000>
//! (`PORT` changes it; `RUST_LOG` sets the log filter, default `info`). Ctrl-C stops it.

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse()?,
        Err(_) => 3000,
    };
    let io = hyper_app::socketio()?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("hyper-app on http://{}/", listener.local_addr()?);
    hyper_app::serve(listener, io, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
