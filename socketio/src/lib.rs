#![doc = include_str!("../../README.md")]

pub mod adapter;
pub mod engine;
pub mod proto;
pub mod router;
mod serve;
pub mod server;

#[doc(hidden)]
pub mod __private;

#[doc = include_str!("../../docs/security.md")]
pub mod security {}

#[cfg(feature = "redis")]
#[doc = include_str!("../../docs/scaling.md")]
pub mod scaling {}

pub use proto::sio::Args;
pub use proto::value::Value;
pub use serve::{Serve, ServeConfig, serve};
pub use server::{
    AckError, AckFuture, AckResponse, AckSender, BroadcastOperator, BuildError, CallError,
    ConnectError, DisconnectReason, EmitError, Event, EventName, Handshake, JoinError, Namespace,
    NamespaceClass, RateLimit, RateLimitAction, Rest, ServerConfig, Socket, SocketIo,
    SocketIoBuilder, State,
};
pub use socketio_macros::{Event, namespace, on};
