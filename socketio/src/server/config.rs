//! Socket.IO-level settings ([`ServerConfig`]); the builder's methods of the same names are
//! in `io.rs`.

use std::time::Duration;

use super::ratelimit::RateLimit;
use crate::engine::EngineConfig;

/// Socket.IO-level settings. Engine.IO settings live in [`EngineConfig`].
///
/// Marked `#[non_exhaustive]` so that new limits can be added: outside this crate, set the
/// fields through [`SocketIoBuilder`](crate::SocketIoBuilder)'s methods of the same names, or
/// start from `ServerConfig::default()` and assign fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Engine.IO settings (heartbeat, payload limit, transports, CORS, ...).
    pub engine: EngineConfig,
    /// Path of the Socket.IO endpoint. Default `/socket.io/`.
    pub path: String,
    /// Close a connection that has no connected namespace this long after it opened.
    /// Default 45 s (Node). A CONNECT the server rejected does not count; a connection one
    /// of whose namespaces connected is no longer timed, even once all of them disconnected
    /// (as Node).
    pub connect_timeout: Duration,
    /// Most binary attachments in one packet. Default 10 (Node's `maxAttachments`).
    pub max_attachments: usize,
    /// Most server-to-client acknowledgements awaited at once per socket, and (separately)
    /// from clients connected to other servers of the cluster. Default 1024. Past it,
    /// [`Socket::emit_with_ack`](crate::Socket::emit_with_ack) fails with
    /// [`EmitError::TooManyPendingAcks`](crate::EmitError); an ack leaves the count when it
    /// is answered, when its [`AckFuture`](crate::AckFuture) is dropped or its `call` times
    /// out, and when the socket disconnects. Acks another server of the cluster asks of a
    /// local socket (a broker `emit` with a `callback`) have a budget of this size of their
    /// own per socket, so they can never use up the application's.
    pub max_pending_acks: usize,
    /// Most events of one connection waiting for their handlers, summed over all its
    /// namespaces: in order mode (the default) the events queued behind a handler that
    /// awaits, with [`concurrent_handlers`](Self::concurrent_handlers) the handlers in
    /// flight. At the limit the connection stays; the event after it closes the whole
    /// connection, and disconnect handlers see [`DisconnectReason::InboundQueueFull`](crate::DisconnectReason::InboundQueueFull) (the
    /// client sees its transport close). Default 1024.
    pub max_queued_events: usize,
    /// Most bytes of events of one connection waiting for their handlers, counted like
    /// [`max_queued_events`](Self::max_queued_events) (the size of an event is its decoded
    /// packet: JSON text plus attachment bytes). Past it the connection is closed with
    /// [`DisconnectReason::InboundQueueFull`](crate::DisconnectReason::InboundQueueFull). Default 4 MiB.
    pub max_queued_event_bytes: usize,
    /// Per-connection rate limits on the events a client sends, and what happens to an
    /// event over them (see [`RateLimit`]). Default `None`: no rate limit.
    pub rate_limit: Option<RateLimit>,
    /// Send CONNECT before running the connect handler, and DISCONNECT if it then rejects
    /// (python-socketio's `always_connect`). Default false.
    pub always_connect: bool,
    /// Accept connections to any namespace, even without handlers (python's
    /// `namespaces='*'`). Default false.
    pub accept_any_namespace: bool,
    /// Run the event handlers of one client concurrently instead of one after another
    /// (python-socketio's `async_handlers=True`). Default false: in order.
    pub concurrent_handlers: bool,
    /// Most rooms one socket may be in at once, not counting its own sid room. Default 1024.
    /// Past it, [`Socket::join`](crate::Socket::join) fails with [`JoinError::TooManyRooms`](crate::JoinError)
    /// (and so does [`Namespace::enter_room`](crate::Namespace::enter_room)); the socket
    /// stays connected and keeps its rooms.
    pub max_rooms_per_socket: usize,
    /// Longest room name, in bytes. Default 256. A longer name is refused with
    /// [`JoinError::NameTooLong`](crate::JoinError).
    pub max_room_name_len: usize,
    /// Refuse to let a socket join a room named after the sid of another socket of its
    /// namespace ([`JoinError::SidRoom`](crate::JoinError)). Default true. An emit to a sid
    /// always reaches that socket either way; with this off (Node's and python's behaviour)
    /// the members of such a room receive what is sent to that sid too. In a cluster the
    /// check sees the sockets of this server only: a room named after a sid of another
    /// server is allowed, and its members also receive cluster-wide emits to that sid.
    pub reserve_sid_rooms: bool,
    /// Most namespaces one connection may be connected (or connecting) to at once. Default
    /// 32. One CONNECT more is answered with a CONNECT_ERROR `Too many namespaces`; the
    /// connection and its other namespaces stay.
    pub max_namespaces_per_connection: usize,
    /// How long a local client may take to answer an ack that another server of the cluster
    /// asked for (a broker `emit` with a `callback`). Default 60 s (python-socketio's `call`
    /// timeout). At the deadline the client's slot in its budget for such acks (see
    /// [`max_pending_acks`](Self::max_pending_acks)) is freed and no answer is published;
    /// an answer the client sends later is ignored, and the asking server sees its own
    /// timeout. The client stays connected.
    pub remote_ack_timeout: Duration,
    /// The packet encoding every connection of this server speaks, on WebSocket and
    /// polling: [`Parser::json`](crate::proto::parser::Parser::json) (the default, the
    /// reference `socket.io-parser`), [`Parser::msgpack`](crate::proto::parser::Parser::msgpack)
    /// (`socket.io-msgpack-parser`, python-socketio's `serializer='msgpack'`) or your own
    /// ([`Parser::custom`](crate::proto::parser::Parser::custom)). A client speaking another
    /// encoding is closed with reason "parse error" at its first packet. Cluster messages keep
    /// python-socketio's JSON format whatever the parser.
    pub parser: crate::proto::parser::Parser,
    /// Connection state recovery (Node's `connectionStateRecovery`): a client whose
    /// transport went away and that comes back in time gets its sid, rooms, session data
    /// and the events it missed (see [`RecoveryConfig`](crate::RecoveryConfig) for what is
    /// kept and its bounds). Default `None`: off, the CONNECT answer has no `pid` and
    /// events no offset.
    pub connection_state_recovery: Option<super::recovery::RecoveryConfig>,
    /// The acknowledgement a client gets for an event whose handler was not called: an
    /// argument did not deserialize, a custom extractor or an event middleware refused it
    /// ([`ParamError`](crate::ParamError)). Default: one argument `{"error": "<message>"}`
    /// (what a handler returning `Err(message)` sends). A namespace may override it
    /// ([`Namespace::reject_ack`](crate::Namespace::reject_ack)); see [`RejectAck`](crate::RejectAck).
    pub reject_ack: super::reject::RejectAck,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            engine: EngineConfig::default(),
            path: "/socket.io/".into(),
            connect_timeout: Duration::from_secs(45),
            max_attachments: 10,
            max_pending_acks: 1024,
            max_queued_events: 1024,
            max_queued_event_bytes: 4 * 1024 * 1024,
            rate_limit: None,
            always_connect: false,
            accept_any_namespace: false,
            concurrent_handlers: false,
            max_rooms_per_socket: 1024,
            max_room_name_len: 256,
            reserve_sid_rooms: true,
            max_namespaces_per_connection: 32,
            remote_ack_timeout: Duration::from_secs(60),
            parser: crate::proto::parser::Parser::json(),
            connection_state_recovery: None,
            reject_ack: super::reject::RejectAck::default(),
        }
    }
}
