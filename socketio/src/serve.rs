//! [`serve`]: axum's serving loop on hyper-util's server builder, with deadlines and limits
//! ([`ServeConfig`]).

use std::convert::Infallible;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures_util::task::AtomicWaker;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, Sleep, sleep, sleep_until};
use tower::ServiceExt as _;

/// How long the accept loop waits after an accept error that is not about one connection
/// (`EMFILE`, `ENFILE`, `ENOMEM`...), before it tries again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// Longest deadline used internally: longer durations are clamped to it (an `Instant` plus
/// `Duration::MAX` would overflow).
const MAX_DEADLINE: Duration = Duration::from_secs(365 * 24 * 3600);
/// hyper's smallest HTTP/1 read buffer.
const MIN_HEADER_BYTES: usize = 8192;

/// Deadlines and limits of [`serve`]. Every field has a default safe on the open internet;
/// change them with the builder-style setters:
///
/// ```
/// use std::time::Duration;
/// let config = socketio::ServeConfig::default()
///     .header_read_timeout(Duration::from_secs(5))
///     .max_connections(Some(50_000));
/// assert_eq!(config.keep_alive_idle_timeout, Duration::from_secs(60));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeConfig {
    /// How long a client may take to send a request head (request line and headers), counted
    /// from the accept and, on HTTP/1 keep-alive connections, from the end of the previous
    /// response. At the deadline the socket is closed without an answer. Default 10 s.
    ///
    /// The wait for the next request on an idle HTTP/1 keep-alive connection is a header
    /// read too, so such a connection is closed after
    /// `min(header_read_timeout, keep_alive_idle_timeout)`.
    pub header_read_timeout: Duration,
    /// How long a connection may stay open with no request in progress after its first
    /// request (HTTP/1 keep-alive, or an HTTP/2 connection without streams). At the deadline
    /// the socket is closed. Default 60 s (HTTP/1: see
    /// [`header_read_timeout`](Self::header_read_timeout)). HTTP/1.1 responses carry
    /// `Keep-Alive: timeout=<seconds>` with the effective idle deadline, so clients that
    /// honour it (Node's HTTP agent) stop reusing a connection before the server closes it.
    pub keep_alive_idle_timeout: Duration,
    /// Most connections open at once; `None` (default): no limit. At the limit the server
    /// stops accepting: further clients wait in the kernel's accept backlog (and time out
    /// there, or are refused by the kernel once the backlog is full) until a connection closes.
    pub max_connections: Option<usize>,
    /// Largest request head (request line, headers and the blank line), in bytes. A larger
    /// head gets `431 Request Header Fields Too Large` and the connection is closed. Values
    /// below 8,192 are raised to 8,192 (hyper's smallest read buffer). For HTTP/2 this is the
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`. Default 16,384 (Node's `maxHeaderSize`).
    pub max_header_bytes: usize,
    /// Most headers in one HTTP/1 request. More get `431` and the connection is closed.
    /// Default 100.
    pub max_headers: usize,
    /// Accept HTTP/2 with prior knowledge (h2c) beside HTTP/1.1. Default false (`axum::serve`
    /// accepts it): Socket.IO clients speak HTTP/1.1 (and WebSocket over it), and a TLS
    /// terminator in front talks HTTP/1.1 to the server. When true, the HTTP/1 head size is
    /// checked on the parsed head (request line and headers counted as `name: value\r\n`),
    /// since hyper's protocol-detecting builder cannot count it byte for byte.
    pub http2: bool,
    /// Set `TCP_NODELAY` on accepted sockets (small Socket.IO packets leave at once).
    /// Default true.
    pub tcp_nodelay: bool,
    /// How long a write to a socket may make no progress: a response (a polling GET's body,
    /// up to [`max_poll_bytes`](crate::engine::EngineConfig::max_poll_bytes)), a `101`
    /// upgrade, or a WebSocket frame that the client does not read (its TCP receive window
    /// and the server's send buffer are full). At the deadline the write fails with an
    /// `io::ErrorKind::TimedOut` error (seen by hyper, or by the WebSocket's task) and the
    /// connection is closed with a reset (RST: the unsent bytes are discarded, the client
    /// reads what it had received and then a reset). Any connection dropped while a write is
    /// blocked is reset the same way. Default 60 s (nginx's `send_timeout`).
    ///
    /// The timer runs only while a write is blocked, and restarts whenever the client reads
    /// enough for a write to proceed: a waiting long-poll, an idle WebSocket or a slow but
    /// reading client is never cut by it. The kernel wakes a blocked writer only once a good
    /// part of the send buffer is free again, so a client that reads must drain about a third
    /// of the server's `SO_SNDBUF` (up to a few MB on Linux) within the deadline.
    ///
    /// An Engine.IO WebSocket also has the engine's own write deadline,
    /// `ping_interval + ping_timeout` (45 s by default) for a whole batch: with the defaults
    /// it fires first and closes the session with its own reason; this deadline is the
    /// backstop for every other write. Set it at least as long as the engine's so the two do
    /// not race (a shorter one closes a stuck WebSocket first, which the engine then reports
    /// as a transport error). For a bound that also covers unacknowledged data after the
    /// socket is closed, see the kernel's `TCP_USER_TIMEOUT` (not set by this server).
    pub write_timeout: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            keep_alive_idle_timeout: Duration::from_secs(60),
            max_connections: None,
            max_header_bytes: 16 * 1024,
            max_headers: 100,
            http2: false,
            tcp_nodelay: true,
            write_timeout: Duration::from_secs(60),
        }
    }
}

impl ServeConfig {
    /// Set [`header_read_timeout`](Self::header_read_timeout).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Set [`keep_alive_idle_timeout`](Self::keep_alive_idle_timeout).
    pub fn keep_alive_idle_timeout(mut self, timeout: Duration) -> Self {
        self.keep_alive_idle_timeout = timeout;
        self
    }

    /// Set [`max_connections`](Self::max_connections).
    pub fn max_connections(mut self, max: Option<usize>) -> Self {
        self.max_connections = max;
        self
    }

    /// Set [`max_header_bytes`](Self::max_header_bytes).
    pub fn max_header_bytes(mut self, max: usize) -> Self {
        self.max_header_bytes = max;
        self
    }

    /// Set [`max_headers`](Self::max_headers).
    pub fn max_headers(mut self, max: usize) -> Self {
        self.max_headers = max;
        self
    }

    /// Set [`http2`](Self::http2).
    pub fn http2(mut self, enabled: bool) -> Self {
        self.http2 = enabled;
        self
    }

    /// Set [`tcp_nodelay`](Self::tcp_nodelay).
    pub fn tcp_nodelay(mut self, enabled: bool) -> Self {
        self.tcp_nodelay = enabled;
        self
    }

    /// Set [`write_timeout`](Self::write_timeout).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    fn write_deadline(&self) -> Duration {
        self.write_timeout.min(MAX_DEADLINE)
    }

    fn header_timeout(&self) -> Duration {
        self.header_read_timeout.min(MAX_DEADLINE)
    }

    fn idle_timeout(&self) -> Duration {
        self.keep_alive_idle_timeout.min(MAX_DEADLINE)
    }

    fn header_bytes(&self) -> usize {
        self.max_header_bytes.max(MIN_HEADER_BYTES)
    }
}

/// Serve `router` on `listener`; await the returned value to run it. Like
/// `axum::serve(listener, router)`, with every wait bounded ([`ServeConfig`]):
///
/// * the request head must arrive within [`ServeConfig::header_read_timeout`] (10 s) of the
///   accept, or of the end of the previous response on an HTTP/1 keep-alive connection;
/// * a connection with no request in progress is closed after
///   [`ServeConfig::keep_alive_idle_timeout`] (60 s; HTTP/1: at most the header deadline);
/// * a request head over [`ServeConfig::max_header_bytes`] or
///   [`ServeConfig::max_headers`] gets `431` and the connection is closed;
/// * a write (response, upgrade, WebSocket frame) that makes no progress for
///   [`ServeConfig::write_timeout`] (60 s) because the client does not read closes the
///   connection;
/// * optionally at most [`ServeConfig::max_connections`] sockets are open (WebSockets
///   included); further clients wait in the kernel's accept backlog.
///
/// A connection past a deadline is closed, without an answer. Each request carries
/// [`ConnectInfo<SocketAddr>`](ConnectInfo), so the engine (and
/// [`crate::Handshake::remote_addr`]) knows the peer address. WebSocket upgrades work. An accept
/// error such as `EMFILE` (out of file descriptors) is logged and retried after 50 ms.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let app = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// socketio::serve(listener, app).await
/// # }
/// ```
pub fn serve(listener: TcpListener, router: Router) -> Serve {
    Serve {
        listener,
        router,
        config: ServeConfig::default(),
        signal: std::future::pending(),
    }
}

/// A server being set up by [`serve`]; `.await` it to run it. It returns only after a graceful
/// shutdown ([`Serve::with_graceful_shutdown`]) has finished.
#[must_use = "a `Serve` does nothing until it is awaited"]
pub struct Serve<S = std::future::Pending<()>> {
    listener: TcpListener,
    router: Router,
    config: ServeConfig,
    signal: S,
}

impl<S> std::fmt::Debug for Serve<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S> Serve<S> {
    /// Use these deadlines and limits instead of the defaults.
    pub fn config(mut self, config: ServeConfig) -> Self {
        self.config = config;
        self
    }

    /// Stop when `signal` completes: stop accepting, let every connection finish the request
    /// in progress (idle ones close at once), then return. As `axum::serve`'s method of the
    /// same name. Upgraded WebSockets are not waited for: close them through the engine
    /// ([`crate::SocketIo::shutdown`]) first.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// let io = socketio::SocketIo::builder().build().map_err(std::io::Error::other)?;
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    /// let stop = io.clone();
    /// socketio::serve(listener, io.router())
    ///     .config(socketio::ServeConfig::default().max_connections(Some(10_000)))
    ///     .with_graceful_shutdown(async move {
    ///         let _ = tokio::signal::ctrl_c().await;
    ///         stop.shutdown().await;
    ///     })
    ///     .await
    /// # }
    /// ```
    pub fn with_graceful_shutdown<F>(self, signal: F) -> Serve<F>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Serve {
            listener: self.listener,
            router: self.router,
            config: self.config,
            signal,
        }
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

impl<S> IntoFuture for Serve<S>
where
    S: Future<Output = ()> + Send + 'static,
{
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self))
    }
}

/// What the server knows of the requests of one connection: the watchdog closes it when no
/// request has been in progress for too long.
struct Activity {
    start: Instant,
    in_flight: AtomicUsize,
    served: AtomicBool,
    /// When the last request ended, in milliseconds since `start`.
    idle_since_ms: AtomicU64,
}

impl Activity {
    fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.served.store(true, Ordering::Release);
        InFlight(Arc::clone(self))
    }

    /// When the connection must close if nothing happens, or `None` while a request is in
    /// progress: `header` after the accept, `idle` after the end of the last request.
    fn deadline(&self, header: Duration, idle: Duration) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        Some(if self.served.load(Ordering::Acquire) {
            let since = Duration::from_millis(self.idle_since_ms.load(Ordering::Acquire));
            self.start + since + idle
        } else {
            self.start + header
        })
    }
}

/// One request in progress, from its head until its response body is dropped.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.0;
        let ms = u64::try_from(a.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        a.idle_since_ms.store(ms, Ordering::Release);
        a.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An accepted socket, its [`ServeConfig::max_connections`] slot (released when the socket
/// is dropped: after the connection ends, or after the WebSocket it was upgraded to ends) and
/// its write deadline ([`ServeConfig::write_timeout`]).
///
/// The deadline costs nothing while writes complete: the timer is touched only when a write
/// or flush returns `Pending` (armed at the first one, then left running while the following
/// ones are pending too), and it is disarmed by any write that makes progress. One `Sleep` is
/// allocated per connection, at its first pending write, and reused. A connection dropped
/// while a write is blocked is reset (`SO_LINGER` 0), so its unsent bytes are freed at once.
struct Conn {
    stream: TcpStream,
    _permit: Option<tokio::sync::OwnedSemaphorePermit>,
    write_timeout: Duration,
    /// The write deadline; `None` until the first pending write.
    timer: Option<Pin<Box<Sleep>>>,
    /// A write is pending and `timer` runs for it.
    armed: bool,
    /// The deadline passed: every later write fails at once.
    timed_out: bool,
}

fn write_timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "write deadline passed: the peer is not reading",
    )
}

impl Conn {
    fn new(
        stream: TcpStream,
        permit: Option<tokio::sync::OwnedSemaphorePermit>,
        write_timeout: Duration,
    ) -> Self {
        Self {
            stream,
            _permit: permit,
            write_timeout,
            timer: None,
            armed: false,
            timed_out: false,
        }
    }

    /// After a write or flush returned `Pending`: arms the deadline if it is not running, and
    /// fails with `TimedOut` once it has passed.
    fn poll_deadline<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        if !self.armed {
            let at = Instant::now() + self.write_timeout;
            match &mut self.timer {
                Some(timer) => timer.as_mut().reset(at),
                None => self.timer = Some(Box::pin(sleep_until(at))),
            }
            self.armed = true;
        }
        let Some(timer) = &mut self.timer else {
            return Poll::Pending;
        };
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.timed_out = true;
        // An abortive close (RST) when the socket is dropped: the unsent bytes are discarded
        // at once instead of the kernel keeping them, probing a zero window, for minutes.
        let _ = self.stream.set_zero_linger();
        Poll::Ready(Err(write_timed_out()))
    }

    /// A write returned: progress (or an error), so the deadline is disarmed.
    fn on_write(
        &mut self,
        r: Poll<io::Result<usize>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        if r.is_pending() {
            return self.poll_deadline(cx);
        }
        self.armed = false;
        r
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Dropped with a write still blocked (the engine gave up on a WebSocket, a deadline
        // closed the connection): the peer is not reading, so reset rather than leave the
        // kernel holding the unsent bytes.
        if self.armed && !self.timed_out {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl tokio::io::AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.timed_out {
            return Poll::Ready(Err(write_timed_out()));
        }
        let r = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.on_write(r, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.timed_out {
            return Poll::Ready(Err(write_timed_out()));
        }
        let r = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.on_write(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.timed_out {
            return Poll::Ready(Err(write_timed_out()));
        }
        // A flush that completes is no progress (a socket has nothing to flush): it leaves
        // the deadline of a pending write running.
        match Pin::new(&mut self.stream).poll_flush(cx) {
            Poll::Pending => self.poll_deadline(cx),
            ready => ready,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The per-connection hyper service: connect info in, in-flight tracking around the router.
#[derive(Clone)]
struct ConnService {
    router: Router,
    remote: SocketAddr,
    activity: Arc<Activity>,
    /// Largest HTTP/1 head, checked here when hyper cannot (protocol-detecting builder).
    max_head: Option<usize>,
    /// `Keep-Alive: timeout=<s>` for HTTP/1.1 responses: clients that honour it (Node's
    /// agent) stop reusing an idle connection before the server closes it.
    keep_alive: http::HeaderValue,
}

/// The size of an HTTP/1 request head written out canonically: `METHOD URI HTTP/1.1\r\n`,
/// `name: value\r\n` per header, and the blank line.
fn head_len<B>(req: &Request<B>) -> usize {
    let uri = req.uri();
    let target = uri.path_and_query().map_or(1, |p| p.as_str().len())
        + uri.scheme_str().map_or(0, |s| s.len() + 3)
        + uri.authority().map_or(0, |a| a.as_str().len());
    let headers: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    req.method().as_str().len() + 1 + target + 11 + headers + 2
}

/// A response body that keeps its request counted as in progress until hyper has taken its
/// last frame or dropped it (no extra allocation: the router's body is already boxed).
struct GuardedBody {
    inner: Body,
    _guard: InFlight,
}

impl hyper::body::Body for GuardedBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// `Keep-Alive` (http has no constant for it).
static KEEP_ALIVE: http::HeaderName = http::HeaderName::from_static("keep-alive");

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<GuardedBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<GuardedBody>, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let guard = self.activity.begin();
        if let Some(max) = self.max_head {
            if req.version() < http::Version::HTTP_2 && head_len(&req) > max {
                let mut resp = Response::new(Body::empty());
                *resp.status_mut() = http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE;
                resp.headers_mut().insert(
                    http::header::CONNECTION,
                    http::HeaderValue::from_static("close"),
                );
                let resp = resp.map(|inner| GuardedBody {
                    inner,
                    _guard: guard,
                });
                return Box::pin(std::future::ready(Ok(resp)));
            }
        }
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(self.remote));
        let http11 = req.version() == http::Version::HTTP_11;
        let keep_alive = self.keep_alive.clone();
        let fut = self.router.clone().oneshot(req);
        Box::pin(async move {
            let mut resp = fut.await?;
            if http11 && resp.status() != http::StatusCode::SWITCHING_PROTOCOLS {
                resp.headers_mut()
                    .entry(KEEP_ALIVE.clone())
                    .or_insert(keep_alive);
            }
            // The guard lives as long as the response body: the request ends when hyper has
            // taken the body's last frame (or dropped it).
            Ok(resp.map(|inner| GuardedBody {
                inner,
                _guard: guard,
            }))
        })
    }
}

/// A hyper connection of either flavour: a future that can be asked to shut down gracefully.
trait GracefulConn: Future + Send {
    fn graceful(self: Pin<&mut Self>);
}

impl GracefulConn
    for hyper::server::conn::http1::UpgradeableConnection<TokioIo<Conn>, ConnService>
{
    fn graceful(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

impl GracefulConn
    for hyper_util::server::conn::auto::UpgradeableConnection<
        'static,
        TokioIo<Conn>,
        ConnService,
        TokioExecutor,
    >
{
    fn graceful(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

enum Builder {
    Http1(hyper::server::conn::http1::Builder),
    Auto(hyper_util::server::conn::auto::Builder<TokioExecutor>),
}

impl Builder {
    fn new(config: &ServeConfig) -> Self {
        let header_bytes = config.header_bytes();
        if config.http2 {
            let mut b = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let mut h1 = b.http1();
            h1.timer(TokioTimer::new())
                .header_read_timeout(config.header_timeout())
                .max_buf_size(header_bytes);
            if config.max_headers != 100 {
                h1.max_headers(config.max_headers);
            }
            b.http2()
                .timer(TokioTimer::new())
                .max_header_list_size(u32::try_from(header_bytes).unwrap_or(u32::MAX));
            Self::Auto(b)
        } else {
            let mut b = hyper::server::conn::http1::Builder::new();
            // The header deadline is the connection watchdog's (see `drive`).
            b.timer(TokioTimer::new())
                .header_read_timeout(None)
                .max_buf_size(header_bytes)
                .max_header_size(header_bytes);
            if config.max_headers != 100 {
                b.max_headers(config.max_headers);
            }
            Self::Http1(b)
        }
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

async fn run<S: Future<Output = ()> + Send + 'static>(serve: Serve<S>) -> io::Result<()> {
    let Serve {
        listener,
        router,
        config,
        signal,
    } = serve;
    let idle = config.header_timeout().min(config.idle_timeout()).as_secs();
    let keep_alive = http::HeaderValue::from_str(&format!("timeout={idle}"))
        .unwrap_or(http::HeaderValue::from_static("timeout=0"));
    let config = Arc::new(config);
    let builder = Arc::new(Builder::new(&config));
    let limit = config
        .max_connections
        .map(|n| Arc::new(Semaphore::new(n.min(Semaphore::MAX_PERMITS))));
    // Dropped (or sent) to ask every connection to shut down gracefully.
    let (stop_tx, stop_rx) = watch::channel(());
    // Every connection task holds a receiver: `closed()` resolves when all have ended.
    let (done_tx, done_rx) = watch::channel(());
    tokio::pin!(signal);
    loop {
        let permit = match &limit {
            None => None,
            Some(sem) => tokio::select! {
                p = Arc::clone(sem).acquire_owned() => p.ok(),
                () = &mut signal => break,
            },
        };
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(conn) => conn,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    tracing::warn!("accept error: {e}; retrying in {ACCEPT_BACKOFF:?}");
                    tokio::select! {
                        () = sleep(ACCEPT_BACKOFF) => continue,
                        () = &mut signal => break,
                    }
                }
            },
            () = &mut signal => break,
        };
        if config.tcp_nodelay {
            let _ = stream.set_nodelay(true);
        }
        let activity = Arc::new(Activity {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            idle_since_ms: AtomicU64::new(0),
        });
        let service = ConnService {
            router: router.clone(),
            remote,
            activity: Arc::clone(&activity),
            max_head: config.http2.then(|| config.header_bytes()),
            keep_alive: keep_alive.clone(),
        };
        let io = TokioIo::new(Conn::new(stream, permit, config.write_deadline()));
        let config = Arc::clone(&config);
        let stop = stop_rx.clone();
        let done = done_rx.clone();
        match &*builder {
            Builder::Http1(b) => {
                let conn = b.serve_connection(io, service).with_upgrades();
                tokio::spawn(drive(conn, activity, config, stop, done));
            }
            Builder::Auto(b) => {
                let conn = b.serve_connection_with_upgrades(io, service).into_owned();
                tokio::spawn(drive(conn, activity, config, stop, done));
            }
        }
    }
    drop(listener);
    drop(stop_rx);
    drop(done_rx);
    let _ = stop_tx.send(());
    done_tx.closed().await;
    Ok(())
}

/// Run one connection until it ends, its deadline passes (the socket is dropped, i.e.
/// closed), or a graceful shutdown lets it finish.
async fn drive<C: GracefulConn>(
    conn: C,
    activity: Arc<Activity>,
    config: Arc<ServeConfig>,
    mut stop: watch::Receiver<()>,
    _done: watch::Receiver<()>,
) {
    tokio::pin!(conn);
    let header = config.header_timeout();
    // HTTP/1 only: the wait for the next request head after a response is a header read,
    // timed here (one lazily re-armed timer per connection) rather than by hyper's header
    // timer, which would arm and cancel a timer for every request. With HTTP/2 on, hyper's
    // protocol-detecting builder times HTTP/1 heads itself.
    let idle = if config.http2 {
        config.idle_timeout()
    } else {
        header.min(config.idle_timeout())
    };
    let recheck = header.min(config.idle_timeout());
    // The deadline moves earlier only once: when the first request ends and the idle
    // deadline replaces the header deadline. Checking at least every `recheck` catches that.
    let timer = sleep_until(activity.start + recheck);
    tokio::pin!(timer);
    let changed = stop.changed();
    tokio::pin!(changed);
    let mut stopping = false;
    // The timer and the shutdown signal are polled only when one of them woke the task (the
    // side waker sets the flag), not on every wake of the connection: a connection is woken
    // for every read and write, and polling a timer costs as much as a small request.
    let side = Arc::new(SideWake {
        woken: AtomicBool::new(true),
        task: AtomicWaker::new(),
    });
    let side_waker = Waker::from(Arc::clone(&side));
    std::future::poll_fn(|cx| {
        if conn.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        side.task.register(cx.waker());
        if !side.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let mut side_cx = Context::from_waker(&side_waker);
        while timer.as_mut().poll(&mut side_cx).is_ready() {
            let now = Instant::now();
            match activity.deadline(header, idle) {
                Some(at) if at <= now => return Poll::Ready(()),
                Some(at) => timer.as_mut().reset(at.min(now + recheck)),
                None => timer.as_mut().reset(now + recheck),
            }
        }
        if !stopping && changed.as_mut().poll(&mut side_cx).is_ready() {
            stopping = true;
            conn.as_mut().graceful();
            // The connection has work to do now (closing idle, finishing the rest).
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    })
    .await;
}

/// Wakes a connection's task on behalf of its timer or shutdown signal, and remembers that it
/// did, so that [`drive`] polls those only then.
struct SideWake {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for SideWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}
