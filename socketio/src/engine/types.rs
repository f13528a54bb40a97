//! The Engine.IO vocabulary: messages in, frames out, transports, close reasons, send errors.
//! Every other file of the engine builds on these; this one needs none of them.

use bytes::Bytes;

/// One message received from a client (Engine.IO packet type `4`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message, without the leading `4`.
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

/// One packet to send, already in wire form.
///
/// `Text` holds a whole Engine.IO text packet **including its type digit** (`b"4hello"`,
/// `b"42[\"ev\"]"`, `b"2"`), valid UTF-8. `Binary` holds the data of a binary message. Over
/// WebSocket each frame is one WebSocket message, as is; over polling, frames are joined with
/// `\x1e` and binary ones are written `b<base64>`. Cloning a frame is cheap: a broadcast
/// shares one `Bytes` among all recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A complete text packet, type digit first.
    Text(Bytes),
    /// The data of a binary message.
    Binary(Bytes),
}

impl Frame {
    /// The Engine.IO messages of an encoded Socket.IO packet: its text message, if it has one
    /// (a packet of a binary encoding such as msgpack has none), then its binary messages.
    pub(crate) fn of_packet(enc: &crate::proto::sio::Encoded) -> smallvec::SmallVec<[Frame; 3]> {
        let mut frames = smallvec::SmallVec::with_capacity(1 + enc.attachments.len());
        if !enc.text.is_empty() {
            frames.push(Frame::Text(enc.text.clone()));
        }
        frames.extend(enc.attachments.iter().cloned().map(Frame::Binary));
        frames
    }

    /// The bytes of the frame (the text packet with its type digit, or the binary data).
    pub(crate) fn data(&self) -> &Bytes {
        match self {
            Self::Text(b) | Self::Binary(b) => b,
        }
    }
}

/// Why an Engine.IO connection closed. The `Display` text is the reference server's reason
/// string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent a close packet (`1`) or closed the WebSocket cleanly.
    TransportClose,
    /// The transport failed: I/O error, protocol violation, message over `maxPayload`.
    TransportError,
    /// No pong within `pingTimeout`.
    PingTimeout,
    /// The client sent something that does not parse.
    ParseError,
    /// The server closed the connection ([`EngineConn::close`](super::EngineConn::close)).
    ForcedClose,
    /// The client could not keep up: its outgoing queue reached
    /// [`EngineConfig::max_buffered_bytes`](super::EngineConfig::max_buffered_bytes).
    SendBufferFull,
    /// The server is shutting down.
    ServerShuttingDown,
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::TransportClose => "transport close",
            Self::TransportError => "transport error",
            Self::PingTimeout => "ping timeout",
            Self::ParseError => "parse error",
            Self::ForcedClose => "forced close",
            Self::SendBufferFull => "send buffer full",
            Self::ServerShuttingDown => "server shutting down",
        })
    }
}

/// Transport of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    Websocket,
}

impl Transport {
    /// `"polling"` or `"websocket"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Polling => "polling",
            Self::Websocket => "websocket",
        }
    }
}

/// Error from [`EngineConn::send`](super::EngineConn::send).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The connection is closed.
    Closed,
    /// The frames would take the outgoing queue past [`EngineConfig::max_buffered_bytes`](super::EngineConfig::max_buffered_bytes)
    /// (or [`EngineConfig::max_buffered_frames`](super::EngineConfig::max_buffered_frames)); the engine closes the connection with
    /// [`CloseReason::SendBufferFull`].
    Full,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Closed => "connection closed",
            Self::Full => "send buffer full",
        })
    }
}

impl std::error::Error for SendError {}

/// The Engine.IO protocol revision a connection speaks, chosen by the client's `EIO` query
/// parameter at the handshake.
///
/// Engine.IO v3 (socket.io-client 2.x, Socket.IO protocol v4) is accepted only with
/// [`EngineConfig::allow_eio3`](super::EngineConfig::allow_eio3). It differs from v4 in:
///
/// * polling payloads: `<length>:<packet>` text framing (lengths in UTF-16 code units) and a
///   binary framing for payloads with binary messages (`application/octet-stream`), base64
///   `b4…` in text framing when the client asks with `b64=1`
///   ([`proto::eio3`](crate::proto::eio3));
/// * the heartbeat: the client pings (`2`), the server answers (`3`), and closes the session
///   when no ping arrived within `ping_interval + ping_timeout` of the last one;
/// * the open packet, which has no `maxPayload`;
/// * WebSocket binary messages, which carry the type byte `4` in front of the data.
///
/// Every limit of v4 applies unchanged: `max_payload` per POST body and WebSocket message,
/// the outgoing queue budget (a pong counts against it), `max_poll_packets` and
/// `max_poll_bytes` per poll answer, and every deadline.
///
/// In the Socket.IO layer, a v3 client is connected to `/` at the handshake without asking,
/// its CONNECT to other namespaces carries the handshake query instead of an auth payload
/// (its socket's auth is `None`), the CONNECT answer has no sid, and a refused CONNECT is
/// answered `4<nsp>,<data>`.
///
/// ```
/// use socketio::engine::Protocol;
///
/// assert_eq!(Protocol::from_eio("4", false), Some(Protocol::V4));
/// assert_eq!(Protocol::from_eio("3", false), None);
/// assert_eq!(Protocol::from_eio("3", true), Some(Protocol::V3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Protocol {
    /// Engine.IO v3 (socket.io-client 2.x).
    V3,
    /// Engine.IO v4, the default.
    #[default]
    V4,
}

impl Protocol {
    /// The protocol of an `EIO` query value, if the server accepts it (`allow_eio3`: whether
    /// v3 is accepted).
    pub fn from_eio(eio: &str, allow_eio3: bool) -> Option<Self> {
        match eio {
            "4" => Some(Self::V4),
            "3" if allow_eio3 => Some(Self::V3),
            _ => None,
        }
    }

    /// True for Engine.IO v3.
    pub fn is_v3(self) -> bool {
        self == Self::V3
    }
}
