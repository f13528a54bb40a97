//! The Socket.IO server: namespaces, sockets, rooms, acks, emit operators, sessions.
//!
//! Concurrency model: the events of one client's socket are handled **in order**: the next
//! handler starts when the previous one finished. A handler that finishes without waiting
//! runs inline on the connection's task (no task is spawned); one that awaits continues on
//! a task of its own, so a slow handler delays only the socket it belongs to, never other
//! clients, nor the heartbeat of its own connection. Set
//! [`ServerConfig::concurrent_handlers`] to run them concurrently instead (python-socketio's
//! `async_handlers=True`). At most [`ServerConfig::max_queued_events`] events, and
//! [`ServerConfig::max_queued_event_bytes`] bytes of them, wait behind slow handlers of one
//! connection (all its namespaces together); past that the connection is closed.

pub(crate) mod class;
pub(crate) mod client;
pub(crate) mod cluster;
pub(crate) mod emit;
pub(crate) mod handler;
pub(crate) mod io;
pub(crate) mod ns;
pub(crate) mod ratelimit;
pub(crate) mod rooms;
pub(crate) mod socket;
pub(crate) mod state;
pub(crate) mod types;

pub use class::{BuildError, ClassRegistrar, NamespaceClass, Registration};
pub use emit::BroadcastOperator;
pub use handler::{
    AckSender, ConnectHandler, DisconnectHandler, EventHandler, FromConnectParam,
    FromDisconnectParam, FromEventParam, IntoAck, IntoConnectResult,
};
pub use io::SocketIoBuilder;
pub use ns::Namespace;
pub use ratelimit::{RateLimit, RateLimitAction};
pub use rooms::JoinError;
pub use socket::{AckFuture, AckResponse, CallError, EmitError};
pub use state::{ServerConfig, Socket, SocketIo};
pub use types::{
    AckError, ConnectError, DisconnectReason, Event, EventName, Handshake, Rest, State,
};
