//! `cargo run -p example-chat` (after `examples/chat/install.sh`), then open
//! <http://127.0.0.1:3000> in two browser windows. `PORT` changes the port.

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
        eprintln!("socket.io-client is missing: run examples/chat/install.sh first");
    }
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse()?,
        Err(_) => 3000,
    };
    let (_io, app) = chat::app(&root)?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("chat listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
