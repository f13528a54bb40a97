//! The tower guide's example (`docs/tower.md`): a Socket.IO server served by plain hyper
//! (hyper-util's `auto` connection builder), no axum router. [`SocketIoLayer`] wraps the
//! app's own service ([`app`], a `tower::service_fn`): the engine answers `/socket.io/`, the
//! app everything else.
//!
//! [`SocketIoLayer`]: socketio::service::SocketIoLayer

use std::convert::Infallible;
use std::future::Future;

use axum::body::Body;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use socketio::{Handshake, Socket, SocketIo};
use tower::Layer as _;

/// The Socket.IO server: `echo` acknowledges with its arguments, and every client is greeted
/// with `hello` carrying the address the server saw it connect from.
pub fn socketio() -> Result<SocketIo, socketio::BuildError> {
    let io = SocketIo::builder().build()?;
    let ns = io.of("/");
    ns.on_connect(async |socket: Socket, handshake: Handshake| {
        let from = handshake
            .remote_addr()
            .map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        let _ = socket.emit("hello", &from);
    });
    ns.on("echo", async |args: socketio::Args| args);
    Ok(io)
}

/// The app's own service, for every request off the engine path.
pub async fn app(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let (status, body) = match req.uri().path() {
        "/" => (StatusCode::OK, "hello from hyper"),
        "/health" => (StatusCode::OK, "ok"),
        _ => (StatusCode::NOT_FOUND, "no such page"),
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    Ok(resp)
}

/// Accept connections on `listener` and serve each with hyper until `stop` completes; then
/// disconnect every Socket.IO client (`io.shutdown()`) and return. Connections still open
/// then are dropped with the runtime; hyper-util's `server-graceful` feature
/// (`GracefulShutdown`) can drain them instead.
pub async fn serve(
    listener: tokio::net::TcpListener,
    io: SocketIo,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let service = io.layer().layer(tower::service_fn(app));
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // A failed accept (a reset before it completed, a full fd table) is not fatal:
                // back off a little so that a full fd table does not spin this loop.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        // Each connection's clone tags its requests with the peer address.
        let service = service.clone().with_peer_addr(peer);
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            // `_with_upgrades`: the WebSocket transport is an HTTP/1 upgrade.
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .await;
        });
    }
    drop(listener);
    io.shutdown().await;
    Ok(())
}
