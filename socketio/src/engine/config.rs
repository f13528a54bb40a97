//! Engine.IO server configuration.

use std::sync::Arc;
use std::time::Duration;

/// Which origins may make cross-origin requests (and open WebSockets).
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Cors {
    /// Same origin only (scheme + `Host`, honouring `X-Forwarded-Proto`/`X-Forwarded-Host`):
    /// python-socketio's default. A request with another `Origin` gets 400.
    #[default]
    SameOrigin,
    /// Any origin (`Access-Control-Allow-Origin` echoes the request's origin).
    Any,
    /// Exactly these origins (`scheme://host[:port]`).
    List(Vec<String>),
    /// Origins for which the predicate returns true.
    Predicate(Arc<dyn Fn(&str) -> bool + Send + Sync>),
    /// No CORS handling at all: no headers added, no origin checked.
    Disabled,
}

impl std::fmt::Debug for Cors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SameOrigin => f.write_str("SameOrigin"),
            Self::Any => f.write_str("Any"),
            Self::List(l) => f.debug_tuple("List").field(l).finish(),
            Self::Predicate(_) => f.write_str("Predicate(..)"),
            Self::Disabled => f.write_str("Disabled"),
        }
    }
}

/// Sticky-session cookie set on the handshake response (`Set-Cookie: <name>=<sid>; ...`).
///
/// `#[non_exhaustive]`: outside this crate, start from `Cookie::default()` and assign fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Cookie {
    /// Cookie name (`io` in Node).
    pub name: String,
    /// `Path` attribute (`/` by default).
    pub path: String,
    /// `HttpOnly` attribute.
    pub http_only: bool,
    /// `SameSite` attribute value (`Lax` by default).
    pub same_site: Option<String>,
}

impl Default for Cookie {
    fn default() -> Self {
        Self {
            name: "io".into(),
            path: "/".into(),
            http_only: true,
            same_site: Some("Lax".into()),
        }
    }
}

/// Engine.IO configuration. Every limit has a default and can be changed.
///
/// Marked `#[non_exhaustive]` so that new limits can be added: outside this crate, set the
/// fields through [`SocketIoBuilder`](crate::SocketIoBuilder)'s methods of the same names, or
/// start from `EngineConfig::default()` and assign fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EngineConfig {
    /// Interval between server pings (`pingInterval`). Default 25 s.
    pub ping_interval: Duration,
    /// How long to wait for a pong after a ping (`pingTimeout`). Default 20 s.
    pub ping_timeout: Duration,
    /// Largest polling POST body and largest WebSocket message, in bytes (`maxPayload`).
    /// Default 1,000,000.
    pub max_payload: usize,
    /// How long a polling -> WebSocket upgrade may take. Default 10 s.
    pub upgrade_timeout: Duration,
    /// Allow HTTP long-polling. Default true.
    pub polling: bool,
    /// Allow WebSocket. Default true.
    pub websocket: bool,
    /// Offer the upgrade to WebSocket in polling handshakes. Default true.
    pub allow_upgrades: bool,
    /// Also accept Engine.IO v3 clients (`EIO=3`: socket.io-client 2.x, which speaks
    /// Socket.IO protocol v4), beside v4 ones, as Node's `allowEIO3`. Default false: an
    /// `EIO=3` handshake gets HTTP 400 `{"code":5,"message":"Unsupported protocol version"}`.
    /// See [`Protocol`](super::Protocol) for what differs on the wire and the limits that
    /// apply (the same as for v4 clients).
    pub allow_eio3: bool,
    /// Sticky-session cookie; `None` (default) sets none.
    pub cookie: Option<Cookie>,
    /// Cross-origin policy. Default [`Cors::SameOrigin`].
    pub cors: Cors,
    /// Send `Access-Control-Allow-Credentials: true`. Default true.
    pub cors_credentials: bool,
    /// Compress polling responses at least this large (gzip or deflate, from
    /// `Accept-Encoding`); `None` disables compression. Default `Some(1024)`.
    pub compression_threshold: Option<usize>,
    /// Most bytes queued for one connection (both transports) before it is closed as too
    /// slow: every frame counts its length plus 32 bytes, binary attachments included, so a
    /// flood of tiny or empty frames is bounded too. A polling client that keeps polling is
    /// drained in batches and never reaches it because of a burst; a client that stops
    /// reading does. At the limit + 1 byte, the send that would exceed it fails
    /// ([`SendError::Full`](super::SendError::Full), `EmitError::BufferFull` in Socket.IO)
    /// and the connection closes with `SendBufferFull`: a polling client's pending or next
    /// poll gets HTTP 400, a WebSocket client sees the socket close. Default 8 MiB
    /// (8,388,608).
    pub max_buffered_bytes: usize,
    /// Most frames queued for one connection: a safety net behind
    /// [`max_buffered_bytes`](Self::max_buffered_bytes), with the same effect at the limit + 1.
    /// Default 262,144, which the default byte budget always reaches first (262,144 frames
    /// of 32 bytes overhead each are 8 MiB).
    pub max_buffered_frames: usize,
    /// Most packets in one polling response, binary attachments counted as packets; the rest
    /// waits in the queue for the next poll (python-engineio clients refuse a payload of
    /// more than 16 packets). 0 is taken as 1. Default 16.
    pub max_poll_packets: usize,
    /// Most payload bytes in one polling response (before compression); the rest waits for
    /// the next poll. A single packet larger than this still goes, alone. Default 1,000,000
    /// (the default `max_payload`, which clients accept).
    pub max_poll_bytes: usize,
    /// How long the body of a polling POST may take to arrive, from when its request
    /// reached the engine. At the deadline the client gets HTTP 408 and the session closes
    /// with `TransportError`. Default 10 s.
    pub request_body_timeout: Duration,
    /// Read buffer size of each WebSocket, in bytes. Default 4096.
    pub ws_read_buffer: usize,
    /// Outgoing WebSocket bytes gathered before they are written to the socket: the frames
    /// queued for a connection leave in one write when they fit. The buffer only grows as
    /// far as a connection's bursts need it. Default 65,536.
    pub ws_write_buffer: usize,
    /// Most Engine.IO sessions open at once, over both transports; `None` (default): no
    /// limit. A handshake over the limit is refused as Node refuses one in `allowRequest`:
    /// HTTP 403 with `{"code":4,"message":"Forbidden"}` (WebSocket: before the upgrade).
    /// Clients retry with their reconnection backoff.
    pub max_connections: Option<usize>,
    /// Most Engine.IO sessions open at once from one client address (IPv6: one /64); `None`
    /// (default): no limit. Over it, a handshake gets the same 403 as over
    /// [`max_connections`](Self::max_connections). The address is the socket's peer address
    /// (known when the server runs [`crate::serve`] or axum's connect info; unknown
    /// addresses count in the total only), or, behind a proxy, see
    /// [`trusted_proxy_header`](Self::trusted_proxy_header).
    ///
    /// ```
    /// # fn f() -> Result<(), socketio::BuildError> {
    /// let io = socketio::SocketIo::builder()
    ///     .engine(|e| {
    ///         e.max_connections = Some(100_000);
    ///         e.max_connections_per_ip = Some(50);
    ///         e.trusted_proxy_header = Some(http::HeaderName::from_static("x-forwarded-for"));
    ///     })
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub max_connections_per_ip: Option<usize>,
    /// The header that your reverse proxy sets to the client's address, e.g.
    /// `x-forwarded-for` or `x-real-ip`; `None` (default): the socket's peer address is the
    /// client's. When set, the client address is the **right-most** entry of the **last**
    /// such header: the one your proxy added (entries to its left come from the client and
    /// may be forged). Behind more than one proxy, have the outer one set the header and the
    /// inner ones pass it on. A missing or unparsable header falls back to the peer address.
    /// Set this only when every request reaches the server through that proxy, or clients
    /// can choose their own address.
    pub trusted_proxy_header: Option<http::HeaderName>,
    /// permessage-deflate (RFC 7692) on WebSockets, like Node's `perMessageDeflate`: `Some(threshold)`
    /// negotiates it with every client that offers it, and compresses the messages of at
    /// least `threshold` bytes (Node's default threshold is 1024); smaller ones go
    /// uncompressed. `None` (default): never negotiated, and WebSockets take exactly the
    /// path they take without this option. Incoming messages are inflated up to
    /// [`max_payload`](Self::max_payload) bytes: one that inflates past it closes the
    /// WebSocket with code 1009, like an uncompressed message that large. Context takeover
    /// is kept in both directions (Node's default), so each deflate connection keeps its
    /// compressor and decompressor state, built on first use: about 200 KiB per connection
    /// once it has compressed and inflated a message (about 18 KiB while it has not).
    ///
    /// ```
    /// # fn f() -> Result<(), socketio::BuildError> {
    /// let io = socketio::SocketIo::builder()
    ///     .ws_per_message_deflate(Some(1024))
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub ws_per_message_deflate: Option<usize>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            max_payload: 1_000_000,
            upgrade_timeout: Duration::from_secs(10),
            polling: true,
            websocket: true,
            allow_upgrades: true,
            allow_eio3: false,
            cookie: None,
            cors: Cors::default(),
            cors_credentials: true,
            compression_threshold: Some(1024),
            max_buffered_bytes: 8 << 20,
            max_buffered_frames: 1 << 18,
            max_poll_packets: 16,
            max_poll_bytes: 1_000_000,
            request_body_timeout: Duration::from_secs(10),
            ws_read_buffer: 4096,
            ws_write_buffer: 64 * 1024,
            max_connections: None,
            max_connections_per_ip: None,
            trusted_proxy_header: None,
            ws_per_message_deflate: None,
        }
    }
}
