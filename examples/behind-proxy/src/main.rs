//! `cargo run -p example-behind-proxy`: the deployment guide's server on 127.0.0.1:3000
//! (`PORT`), meant to sit behind the proxy of `deploy/nginx.conf` or `deploy/Caddyfile`.
//! Settings come from the environment (see `Settings::from_env`), e.g.
//! `TRUSTED_PROXY_HEADER=x-forwarded-for MAX_CONNECTIONS_PER_IP=50 cargo run -p example-behind-proxy`.

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let settings = behind_proxy::Settings::from_env()?;
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse()?,
        Err(_) => 3000,
    };
    let io = settings.socketio()?;
    // Loopback only: the proxy is the one client, and it is on this machine.
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("behind-proxy on {} ({settings:?})", listener.local_addr()?);
    let stop = io.clone();
    socketio::serve(listener, io.router())
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.shutdown().await;
        })
        .await?;
    Ok(())
}
