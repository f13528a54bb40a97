//! What can go wrong in a test: [`TestError`], and how a connection ended: [`Disconnect`].

use std::fmt;
use std::time::Duration;

/// Why a [`TestClient`](super::TestClient) call failed. `Display` says what the test was
/// waiting for, so `client.next_event::<T>("x").await.unwrap()` fails with a readable message.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TestError {
    /// Nothing arrived in time ([`TestClientBuilder::timeout`](super::TestClientBuilder::timeout),
    /// 5 seconds by default).
    Timeout {
        /// What the call was waiting for: ``event `x` ``, ``ack of `x` ``, ``connection to
        /// namespace `/chat` ``, `disconnect`.
        waiting_for: String,
        /// How long it waited.
        after: Duration,
    },
    /// The server refused the namespace connection (CONNECT_ERROR): its message and data,
    /// as the connect handler returned them.
    ConnectRefused(crate::ConnectError),
    /// The WebSocket handshake failed: the server answered the HTTP request with an error
    /// status (`status` is then set, `message` is the body), or the connection could not be
    /// opened at all.
    Handshake {
        /// The HTTP status, when the server answered.
        status: Option<u16>,
        /// The response body or the I/O error.
        message: String,
    },
    /// The connection ended before what the call was waiting for arrived (or before the call
    /// could send its packet). Events that arrived before the end can still be read.
    Disconnected(Disconnect),
    /// A packet arrived but its arguments do not deserialize as the type asked for.
    Decode {
        /// What was decoded: ``event `x` ``, ``ack of `x` ``.
        what: String,
        /// The arguments as a JSON array (placeholders of binary attachments included).
        json: String,
        /// serde's error.
        error: String,
    },
    /// The arguments (or the auth payload) could not be serialized.
    Encode(String),
    /// More events arrived than the client buffers
    /// ([`TestClientBuilder::max_buffered_events`](super::TestClientBuilder::max_buffered_events))
    /// while the test was not reading them; later events were dropped, so what the test
    /// would read next could be wrong.
    BufferFull {
        /// The limit.
        limit: usize,
    },
}

impl fmt::Display for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout { waiting_for, after } => {
                write!(f, "timed out after {after:?} waiting for {waiting_for}")
            }
            Self::ConnectRefused(e) => match e.data() {
                Some(data) => write!(f, "connection refused: {} (data: {data})", e.message()),
                None => write!(f, "connection refused: {}", e.message()),
            },
            Self::Handshake {
                status: Some(status),
                message,
            } => write!(f, "handshake failed with HTTP {status}: {message}"),
            Self::Handshake {
                status: None,
                message,
            } => write!(f, "handshake failed: {message}"),
            Self::Disconnected(reason) => write!(f, "disconnected ({reason})"),
            Self::Decode { what, json, error } => {
                write!(
                    f,
                    "{what} does not decode as the type asked for: {error}; arguments: {json}"
                )
            }
            Self::Encode(e) => write!(f, "cannot serialize the arguments: {e}"),
            Self::BufferFull { limit } => write!(
                f,
                "more than {limit} events arrived unread and some were dropped \
                 (read them, or raise `max_buffered_events`)"
            ),
        }
    }
}

impl std::error::Error for TestError {}

/// How the client's connection ended, as the client saw it (the names are socket.io-client's
/// disconnect reasons). The server's own reason (ping timeout, rate limit, ...) is what its
/// disconnect handler receives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Disconnect {
    /// The server disconnected the socket from its namespace (a DISCONNECT packet:
    /// [`Socket::disconnect`](crate::Socket::disconnect)); `io server disconnect`.
    ServerDisconnect,
    /// The test called [`TestClient::disconnect`](super::TestClient::disconnect);
    /// `io client disconnect`.
    ClientDisconnect,
    /// The connection closed: a WebSocket close frame (its code), an Engine.IO close packet,
    /// or the end of the stream (`code` is `None` for the last two). This is what a client sees
    /// when the server closes the whole connection or shuts down; `transport close`.
    TransportClose {
        /// The WebSocket close code, when the server sent a close frame.
        code: Option<u16>,
    },
    /// Reading or writing the connection failed; `transport error`.
    TransportError(String),
    /// The server sent no ping for `pingInterval + pingTimeout`; `ping timeout`.
    PingTimeout,
    /// The server sent something that is not a valid Engine.IO / Socket.IO packet;
    /// `parse error`.
    ParseError(String),
}

impl fmt::Display for Disconnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ServerDisconnect => f.write_str("io server disconnect"),
            Self::ClientDisconnect => f.write_str("io client disconnect"),
            Self::TransportClose { code: Some(code) } => {
                write!(f, "transport close, code {code}")
            }
            Self::TransportClose { code: None } => f.write_str("transport close"),
            Self::TransportError(e) => write!(f, "transport error: {e}"),
            Self::PingTimeout => f.write_str("ping timeout"),
            Self::ParseError(e) => write!(f, "parse error: {e}"),
        }
    }
}
