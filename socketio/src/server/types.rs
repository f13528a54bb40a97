//! Small types of the Socket.IO vocabulary: handshake, disconnect reasons, connect and ack
//! errors, emit errors, shared state, event names, variadic arguments.

use std::any::Any;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Serialize, Serializer};

use crate::engine::{CloseReason, EngineConn, Transport};

/// What the server knows of a client when it connects to a namespace: the HTTP request that
/// opened the connection (python-socketio's `environ`) and the CONNECT auth payload.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The connection, which keeps the request it was opened with (not copied per namespace).
    pub(crate) conn: EngineConn,
    pub(crate) auth: Option<String>,
    pub(crate) transport: Transport,
    pub(crate) issued: SystemTime,
}

impl Handshake {
    /// Request headers.
    pub fn headers(&self) -> &http::HeaderMap {
        self.conn.request().headers()
    }

    /// Request URI (path and query string).
    pub fn uri(&self) -> &http::Uri {
        self.conn.request().uri()
    }

    /// One query parameter, percent-decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        self.conn.request().query(name)
    }

    /// Peer address, when the server runs with connect info ([`crate::serve`], or axum's
    /// `into_make_service_with_connect_info::<SocketAddr>()`).
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.conn.request().remote_addr()
    }

    /// The opening request's extensions: what tower layers and axum middleware in front of
    /// the Socket.IO router inserted (an authenticated user, a request id, ...). Copied once
    /// per Engine.IO connection, when it opens (the polling handshake, or the WebSocket
    /// upgrade of a WebSocket-only connection); shared by all its namespaces.
    ///
    /// ```
    /// use socketio::{ConnectError, Handshake, SocketIo};
    ///
    /// #[derive(Clone)]
    /// struct User(String);
    ///
    /// let io = SocketIo::builder().build().unwrap();
    /// io.of("/").on_connect(async |hs: Handshake| match hs.extensions().get::<User>() {
    ///     Some(User(name)) => { println!("{name} connected"); Ok(()) }
    ///     None => Err(ConnectError::new("unauthorized")),
    /// });
    /// // An auth layer in front of the router inserts `User` (axum::middleware::from_fn,
    /// // a tower layer...):
    /// let app = io.router().layer(axum::middleware::from_fn(
    ///     async |mut req: axum::extract::Request, next: axum::middleware::Next| {
    ///         if req.uri().query() == Some("token=secret") {
    ///             req.extensions_mut().insert(User("ada".into()));
    ///         }
    ///         next.run(req).await
    ///     },
    /// ));
    /// # let _ = app;
    /// ```
    pub fn extensions(&self) -> &http::Extensions {
        self.conn.request().extensions()
    }

    /// One extension of the opening request (see [`Handshake::extensions`]).
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.conn.request().extensions().get::<T>()
    }

    /// Transport in use when the namespace was joined.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// When the namespace CONNECT arrived.
    pub fn issued(&self) -> SystemTime {
        self.issued
    }

    /// The raw JSON text of the auth payload; `{}` when the client sent none (as Node).
    pub fn auth_json(&self) -> &str {
        self.auth.as_deref().unwrap_or("{}")
    }

    /// True when the client sent an auth payload.
    pub fn has_auth(&self) -> bool {
        self.auth.is_some()
    }

    /// The auth payload deserialized as `T`.
    pub fn auth<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.auth_json())
    }
}

/// Why a socket left its namespace. `Display` gives the Node reference server's reason
/// string; [`DisconnectReason::python_str`] gives python-socketio's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The client sent a namespace DISCONNECT.
    ClientNamespaceDisconnect,
    /// The server disconnected the socket ([`Socket::disconnect`](crate::Socket::disconnect)).
    ServerNamespaceDisconnect,
    /// The client closed the connection.
    TransportClose,
    /// The transport failed (I/O error, message over the size limit).
    TransportError,
    /// The client stopped answering pings.
    PingTimeout,
    /// The client sent a packet that does not parse.
    ParseError,
    /// The server closed the whole connection.
    ForcedClose,
    /// The client could not keep up: its outgoing queue was full.
    SendBufferFull,
    /// The server is shutting down.
    ServerShuttingDown,
    /// The client sent more events than its connection may have waiting for handlers
    /// ([`ServerConfig::max_queued_events`](crate::ServerConfig::max_queued_events) or
    /// [`max_queued_event_bytes`](crate::ServerConfig::max_queued_event_bytes)); the whole
    /// connection was closed.
    InboundQueueFull,
    /// The client went over its [`RateLimit`](crate::RateLimit) with
    /// [`RateLimitAction::Disconnect`](crate::RateLimitAction::Disconnect); the whole
    /// connection was closed.
    RateLimited,
}

impl DisconnectReason {
    /// python-socketio's reason string (`client disconnect`, `server disconnect`,
    /// `ping timeout`, `transport close`, `transport error`).
    pub fn python_str(self) -> &'static str {
        match self {
            Self::ClientNamespaceDisconnect => "client disconnect",
            Self::ServerNamespaceDisconnect
            | Self::ForcedClose
            | Self::ServerShuttingDown
            | Self::InboundQueueFull
            | Self::RateLimited => "server disconnect",
            Self::PingTimeout => "ping timeout",
            Self::TransportClose => "transport close",
            Self::TransportError | Self::ParseError | Self::SendBufferFull => "transport error",
        }
    }
}

impl From<CloseReason> for DisconnectReason {
    fn from(r: CloseReason) -> Self {
        match r {
            CloseReason::TransportClose => Self::TransportClose,
            CloseReason::TransportError => Self::TransportError,
            CloseReason::PingTimeout => Self::PingTimeout,
            CloseReason::ParseError => Self::ParseError,
            CloseReason::ForcedClose => Self::ForcedClose,
            CloseReason::SendBufferFull => Self::SendBufferFull,
            CloseReason::ServerShuttingDown => Self::ServerShuttingDown,
        }
    }
}

impl std::fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ClientNamespaceDisconnect => "client namespace disconnect",
            Self::ServerNamespaceDisconnect => "server namespace disconnect",
            Self::TransportClose => "transport close",
            Self::TransportError => "transport error",
            Self::PingTimeout => "ping timeout",
            Self::ParseError => "parse error",
            Self::ForcedClose => "forced close",
            Self::SendBufferFull => "send buffer full",
            Self::ServerShuttingDown => "server shutting down",
            Self::InboundQueueFull => "inbound queue full",
            Self::RateLimited => "rate limited",
        })
    }
}

/// Refuses a namespace connection: the client receives CONNECT_ERROR
/// `{"message": message, "data": data}` (python's `ConnectionRefusedError`, Node's
/// `next(err)`).
///
/// ```
/// use socketio::ConnectError;
/// let err = ConnectError::new("unauthorized").with_data(serde_json::json!({"reason": "bad token"}));
/// assert_eq!(err.message(), "unauthorized");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectError {
    message: String,
    data: Option<serde_json::Value>,
}

impl Default for ConnectError {
    /// python-socketio's message for a handler that returned `False`.
    fn default() -> Self {
        Self::new("Connection rejected by server")
    }
}

impl ConnectError {
    /// A refusal with this message and no data.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            data: None,
        }
    }

    /// Attach data sent to the client beside the message.
    pub fn with_data(mut self, data: impl Serialize) -> Self {
        self.data = serde_json::to_value(data).ok();
        self
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The data, if any.
    pub fn data(&self) -> Option<&serde_json::Value> {
        self.data.as_ref()
    }

    pub(crate) fn data_json(&self) -> Option<String> {
        self.data.as_ref().map(|d| d.to_string())
    }
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}

/// An error returned by an event handler and sent to the client as the ack `{"error": msg}`.
/// Any `Display` error converts into it, so `?` works in handlers returning
/// `Result<T, AckError>`.
///
/// ```
/// use socketio::AckError;
/// fn parse(s: &str) -> Result<u32, AckError> {
///     Ok(s.parse::<u32>()?)
/// }
/// assert!(parse("x").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckError(pub String);

impl<E: std::fmt::Display> From<E> for AckError {
    fn from(e: E) -> Self {
        Self(e.to_string())
    }
}

impl Serialize for AckError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Shared application state registered on the server builder with
/// [`SocketIoBuilder::state`](crate::SocketIoBuilder::state), reachable from handlers as a
/// parameter and from anywhere through [`SocketIo::state`](crate::SocketIo::state).
#[derive(Debug)]
pub struct State<T: ?Sized>(pub Arc<T>);

impl<T: ?Sized> Clone for State<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: ?Sized> std::ops::Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Every typed session value of one socket, by type (`server::session`).
pub(crate) type SessionData =
    std::collections::HashMap<std::any::TypeId, Box<dyn Any + Send + Sync>>;

pub(crate) type StateMap = std::collections::HashMap<std::any::TypeId, Arc<dyn Any + Send + Sync>>;

/// The name of the event being handled (useful in catch-all handlers).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventName(pub(crate) Arc<str>);

impl EventName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for EventName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EventName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// All remaining event arguments, each deserialized as `T` (for variadic events).
#[derive(Debug, Clone, PartialEq)]
pub struct Rest<T = crate::proto::value::Value>(pub Vec<T>);

impl<T> std::ops::Deref for Rest<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

/// Something with a fixed event name: `#[derive(Event)]` implements it.
pub trait Event {
    /// The event name.
    const NAME: &'static str;
}

/// Error from an emit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// The value could not be serialized.
    Serialize(String),
    /// The socket is disconnected.
    Disconnected,
    /// The client's outgoing queue is full; it is being disconnected.
    BufferFull,
    /// Too many acknowledgements are pending for this socket.
    TooManyPendingAcks,
}

impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Serialize(e) => write!(f, "cannot serialize the payload: {e}"),
            Self::Disconnected => f.write_str("socket disconnected"),
            Self::BufferFull => f.write_str("send buffer full"),
            Self::TooManyPendingAcks => f.write_str("too many pending acknowledgements"),
        }
    }
}

impl std::error::Error for EmitError {}
