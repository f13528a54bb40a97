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

//!
//! Where things are: `tree.rs` declares the structs that own each other (server, namespace,
//! socket, their handler contexts); each concept has a file with its behaviour and the data
//! that is its own: `config.rs`, `io.rs` (server handle, builder), `ns.rs`, `socket.rs`,
//! `rooms.rs` (the in-memory adapter), `session.rs` (typed sessions; their store in `session_store.rs`), `handlers.rs` (handler tables), `handler.rs`
//! (extractor traits), `exec.rs` (running handlers), `ack.rs`, `emit.rs` (operators),
//! `extract.rs` (what custom extractors read, `TryData`), `reject.rs` (extractor errors, the
//! rejection ack), `middleware.rs` (event middleware),
//! `client.rs` (one connection), `class.rs` (`#[namespace]` registration), `cluster.rs`,
//! `ratelimit.rs`, `recovery.rs` (connection state recovery), `types.rs`.

pub(crate) mod ack;
pub(crate) mod class;
pub(crate) mod client;
pub(crate) mod cluster;
pub(crate) mod config;
pub(crate) mod emit;
pub(crate) mod exec;
pub(crate) mod extract;
pub(crate) mod handler;
pub(crate) mod handlers;
pub(crate) mod io;
pub(crate) mod metrics;
pub(crate) mod middleware;
pub(crate) mod ns;
pub(crate) mod ratelimit;
pub(crate) mod recovery;
pub(crate) mod reject;
pub(crate) mod rooms;
pub(crate) mod session;
pub(crate) mod session_store;
pub(crate) mod socket;
pub(crate) mod tree;
pub(crate) mod typed;
pub(crate) mod types;

pub use ack::{AckFuture, AckOutcome, AckResponse, CallError};
pub use class::{BuildError, ClassRegistrar, NamespaceClass, Registration};
pub use config::ServerConfig;
pub use emit::BroadcastOperator;
pub use extract::TryData;
pub use handler::{
    AckSender, ConnectHandler, DisconnectHandler, EventHandler, FromConnectParam,
    FromDisconnectParam, FromEventParam, IntoAck, IntoConnectResult, ViaContext,
};
pub use io::SocketIoBuilder;
pub use middleware::{EventDone, EventMiddleware};
pub use ns::Namespace;
pub use ratelimit::{RateLimit, RateLimitAction};
pub use recovery::RecoveryConfig;
pub use reject::{ArgError, ConnectParamError, ParamError, RejectAck};
pub use rooms::JoinError;
pub use tree::{ConnectContext, DisconnectContext, EventContext, Socket, SocketIo};
pub use typed::{Emits, EventPayload, TypedBroadcast, TypedSocket};
pub use types::{
    AckError, ConnectError, DisconnectReason, EmitError, Event, EventName, Handshake, Rest, State,
};
