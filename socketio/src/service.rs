//! A [`tower`] entry point, for hyper and every tower-based framework: [`SocketIoLayer`] wraps
//! your service and answers the engine path (`/socket.io/` by default) itself, passing every
//! other request through; [`SocketIoService`] is the same service, usable on its own (with
//! [`NotFound`] as the inner service) or handed to
//! `hyper_util::server::conn::auto::Builder::serve_connection_with_upgrades`, since it is a
//! [`hyper::service::Service`] too.
//!
//! With axum, [`SocketIo::router`] and [`SocketIo::mount`] are simpler; this is for everything
//! else. The guide is [`crate::tower_integration`].
//!
//! ```no_run
//! use std::convert::Infallible;
//! use hyper_util::rt::{TokioExecutor, TokioIo};
//! use socketio::service::SocketIoLayer;
//! use tower::Layer as _;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let io = socketio::SocketIo::builder().build()?;
//! io.of("/").on("echo", async |msg: String| msg);
//!
//! // Your service: answers everything that is not `/socket.io/`.
//! let app = tower::service_fn(|_req: http::Request<hyper::body::Incoming>| async {
//!     Ok::<_, Infallible>(http::Response::new(axum::body::Body::from("hello")))
//! });
//! let service = SocketIoLayer::new(&io).layer(app);
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! loop {
//!     let (stream, peer) = listener.accept().await?;
//!     // The peer address feeds `Handshake::remote_addr` and the per-address caps.
//!     let service = service.clone().with_peer_addr(peer);
//!     tokio::spawn(async move {
//!         let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
//!         // `_with_upgrades`: WebSocket needs the HTTP/1 upgrade.
//!         let _ = builder
//!             .serve_connection_with_upgrades(TokioIo::new(stream), service)
//!             .await;
//!     });
//! }
//! # }
//! ```
//!
//! [`SocketIo::router`]: crate::SocketIo::router
//! [`SocketIo::mount`]: crate::SocketIo::mount

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::ConnectInfo;
use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use hyper::body::Body as HttpBody;
use tower::ServiceExt as _;
use tower::util::Oneshot;

use crate::SocketIo;
use crate::engine::{Engine, EngineHandler};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type EngineFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send + 'static>>;

/// An engine behind a trait object, so that the layer and service do not name its handler.
trait Endpoint: Send + Sync + 'static {
    fn call(&self, req: Request<Body>) -> EngineFuture;
}

impl<H: EngineHandler> Endpoint for Engine<H> {
    fn call(&self, req: Request<Body>) -> EngineFuture {
        let engine = self.clone();
        Box::pin(async move { engine.handle(req).await })
    }
}

/// The engine and the path it answers.
#[derive(Clone)]
struct Route {
    /// The path without its trailing slash (empty for `/`).
    path: Arc<str>,
    engine: Arc<dyn Endpoint>,
}

impl Route {
    fn new<H: EngineHandler>(engine: Engine<H>, path: &str) -> Self {
        Self {
            path: Arc::from(path.trim_end_matches('/')),
            engine: Arc::new(engine),
        }
    }

    /// The engine path, with or without its trailing slash (as [`crate::router::mount`]).
    fn matches(&self, path: &str) -> bool {
        let base = &*self.path;
        if base.is_empty() {
            return path == "/";
        }
        match path.strip_prefix(base) {
            Some(rest) => rest.is_empty() || rest == "/",
            None => false,
        }
    }
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route").field("path", &self.path).finish()
    }
}

/// A [`tower::Layer`] that puts a Socket.IO server (or a bare [`Engine`]) in front of a
/// service: requests to the engine path go to the engine, every other request to the inner
/// service. Its services are [`SocketIoService`]s.
///
/// ```
/// use socketio::service::SocketIoLayer;
/// use tower::{Layer as _, ServiceExt as _};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let io = socketio::SocketIo::builder().build()?;
/// let inner = tower::service_fn(|_req: http::Request<axum::body::Body>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(axum::body::Body::from("app")))
/// });
/// let service = SocketIoLayer::new(&io).layer(inner);
///
/// // The engine answers its own path (here: an Engine.IO handshake)...
/// let req = http::Request::get("/socket.io/?EIO=4&transport=polling").body(axum::body::Body::empty())?;
/// let resp = service.clone().oneshot(req).await?;
/// assert_eq!(resp.status(), 200);
/// // ...and everything else goes to the inner service.
/// let req = http::Request::get("/other").body(axum::body::Body::empty())?;
/// let resp = service.oneshot(req).await?;
/// let body = http_body_util::BodyExt::collect(resp.into_body()).await?.to_bytes();
/// assert_eq!(body, "app");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SocketIoLayer {
    route: Route,
}

impl SocketIoLayer {
    /// The layer for a Socket.IO server, at its [`ServerConfig::path`](crate::ServerConfig::path).
    pub fn new(io: &SocketIo) -> Self {
        Self {
            route: Route::new(io.engine(), &io.config().path),
        }
    }

    /// The layer for a bare Engine.IO [`Engine`] at `path` (e.g. `"/engine.io/"`).
    pub fn from_engine<H: EngineHandler>(engine: Engine<H>, path: &str) -> Self {
        Self {
            route: Route::new(engine, path),
        }
    }
}

impl<S> tower::Layer<S> for SocketIoLayer {
    type Service = SocketIoService<S>;

    fn layer(&self, inner: S) -> SocketIoService<S> {
        SocketIoService {
            route: self.route.clone(),
            inner,
            peer: None,
        }
    }
}

/// A service that answers the engine path with the Socket.IO server (or a bare [`Engine`]) and
/// passes every other request to `S` (by default [`NotFound`]).
///
/// It is a [`tower::Service`] for any `http::Request<B>` whose body yields [`Bytes`] (hyper's
/// `Incoming`, axum's `Body`, ...), answering `http::Response<axum::body::Body>` (the inner
/// service's response body is put in an `axum::body::Body`, without a copy), with the inner
/// service's error type; and a [`hyper::service::Service`] when `S` is `Clone`, so hyper can
/// serve it directly. Cloning it is cheap.
///
/// Readiness is the inner service's: [`poll_ready`](tower::Service::poll_ready) asks it, also
/// for requests the engine will answer.
///
/// WebSocket needs the HTTP/1 upgrade: serve it with hyper's
/// `serve_connection_with_upgrades` (hyper-util's `auto::Builder`) or `.with_upgrades()`
/// (`hyper::server::conn::http1`). The engine learns the client's address from a
/// [`ConnectInfo<SocketAddr>`] request extension, which axum sets and plain hyper does not:
/// call [`with_peer_addr`](Self::with_peer_addr) on each connection's clone of the service.
///
/// ```
/// use socketio::service::SocketIoService;
/// use tower::ServiceExt as _;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let io = socketio::SocketIo::builder().build()?;
/// let service = SocketIoService::new(&io);
/// let req = http::Request::get("/elsewhere").body(axum::body::Body::empty())?;
/// assert_eq!(service.oneshot(req).await?.status(), 404);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SocketIoService<S = NotFound> {
    route: Route,
    inner: S,
    peer: Option<SocketAddr>,
}

impl SocketIoService<NotFound> {
    /// The service for a Socket.IO server at its [`ServerConfig::path`](crate::ServerConfig::path);
    /// every other path gets `404 Not Found` (see [`with_inner`](Self::with_inner)).
    pub fn new(io: &SocketIo) -> Self {
        SocketIoLayer::new(io).into_service(NotFound)
    }

    /// The service for a bare Engine.IO [`Engine`] at `path`.
    pub fn from_engine<H: EngineHandler>(engine: Engine<H>, path: &str) -> Self {
        SocketIoLayer::from_engine(engine, path).into_service(NotFound)
    }
}

impl SocketIoLayer {
    fn into_service<S>(self, inner: S) -> SocketIoService<S> {
        tower::Layer::layer(&self, inner)
    }
}

impl<S> SocketIoService<S> {
    /// Pass the requests off the engine path to `inner` instead.
    pub fn with_inner<T>(self, inner: T) -> SocketIoService<T> {
        SocketIoService {
            route: self.route,
            inner,
            peer: self.peer,
        }
    }

    /// Tag every request with the client's address, as a [`ConnectInfo<SocketAddr>`]
    /// extension (what axum's `into_make_service_with_connect_info` and
    /// [`crate::serve`] add): the engine then knows it for
    /// [`Handshake::remote_addr`](crate::Handshake::remote_addr),
    /// [`EngineConfig::max_connections_per_ip`](crate::engine::EngineConfig::max_connections_per_ip)
    /// and the like. Call it on the clone of the service made for each accepted connection.
    pub fn with_peer_addr(mut self, addr: SocketAddr) -> Self {
        self.peer = Some(addr);
        self
    }

    /// The inner service.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Tag the request with the peer address; true when the engine answers it.
    fn for_engine<B>(&self, req: &mut Request<B>) -> bool {
        if let Some(addr) = self.peer {
            req.extensions_mut().insert(ConnectInfo(addr));
        }
        self.route.matches(req.uri().path())
    }

    fn call_engine<B>(&self, req: Request<B>) -> EngineFuture
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.route.engine.call(req.map(Body::new))
    }
}

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for SocketIoService<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>>,
    ReqBody: HttpBody<Data = Bytes> + Send + 'static,
    ReqBody::Error: Into<BoxError>,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        if self.for_engine(&mut req) {
            ResponseFuture::engine(self.call_engine(req))
        } else {
            ResponseFuture::inner(self.inner.call(req))
        }
    }
}

impl<S, ReqBody, ResBody> hyper::service::Service<Request<ReqBody>> for SocketIoService<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    ReqBody: HttpBody<Data = Bytes> + Send + 'static,
    ReqBody::Error: Into<BoxError>,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = ResponseFuture<Oneshot<S, Request<ReqBody>>>;

    fn call(&self, mut req: Request<ReqBody>) -> Self::Future {
        if self.for_engine(&mut req) {
            ResponseFuture::engine(self.call_engine(req))
        } else {
            ResponseFuture::inner(self.inner.clone().oneshot(req))
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`SocketIoService`]: the engine's answer, or the inner
    /// service's with its body in an `axum::body::Body`.
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Engine { future: EngineFuture },
        Inner { #[pin] future: F },
    }
}

impl<F> ResponseFuture<F> {
    fn engine(future: EngineFuture) -> Self {
        Self {
            kind: Kind::Engine { future },
        }
    }

    fn inner(future: F) -> Self {
        Self {
            kind: Kind::Inner { future },
        }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.kind {
            Kind::Engine { .. } => "ResponseFuture::Engine",
            Kind::Inner { .. } => "ResponseFuture::Inner",
        })
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Engine { future } => future.as_mut().poll(cx).map(Ok),
            KindProj::Inner { future } => future.poll(cx).map_ok(|resp| resp.map(Body::new)),
        }
    }
}

/// The default inner service of [`SocketIoService`]: `404 Not Found` for every request.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotFound;

impl<B> tower::Service<Request<B>> for NotFound {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<B>) -> Self::Future {
        let mut resp = Response::new(Body::from("Not Found"));
        *resp.status_mut() = StatusCode::NOT_FOUND;
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain"),
        );
        std::future::ready(Ok(resp))
    }
}

impl SocketIo {
    /// A [`SocketIoLayer`] for this server: `tower::Layer::layer(&io.layer(), your_service)`.
    pub fn layer(&self) -> SocketIoLayer {
        SocketIoLayer::new(self)
    }

    /// A [`SocketIoService`] for this server, answering `404` off the engine path.
    pub fn service(&self) -> SocketIoService {
        SocketIoService::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_engine_path_with_and_without_slash() {
        let io = SocketIo::builder()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let r = Route::new(io.engine(), "/socket.io/");
        assert!(r.matches("/socket.io/"));
        assert!(r.matches("/socket.io"));
        assert!(!r.matches("/socket.iox"));
        assert!(!r.matches("/socket.io/x"));
        assert!(!r.matches("/"));
        let root = Route::new(io.engine(), "/");
        assert!(root.matches("/"));
        assert!(!root.matches("/a"));
        let nested = Route::new(io.engine(), "/api/socket.io");
        assert!(nested.matches("/api/socket.io/"));
        assert!(!nested.matches("/socket.io/"));
    }
}
