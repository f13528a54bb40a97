#![doc = include_str!("../../README.md")]

pub mod adapter;
pub mod admin;
pub mod engine;
pub mod proto;
pub mod router;
mod serve;
pub mod server;
pub mod service;
mod sync;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "typescript")]
pub mod typescript;

#[doc(hidden)]
pub mod __private;

#[doc = include_str!("../../docs/security.md")]
pub mod security {}

#[cfg(feature = "redis")]
#[doc = include_str!("../../docs/scaling.md")]
pub mod scaling {}

#[doc = include_str!("../../docs/axum.md")]
pub mod axum_integration {}

#[doc = include_str!("../../docs/tower.md")]
pub mod tower_integration {}

#[doc = include_str!("../../docs/python-socketio.md")]
pub mod python_socketio {}

#[doc = include_str!("../../docs/observability.md")]
pub mod observability {}

#[doc = include_str!("../../docs/deployment.md")]
pub mod deployment {}

pub use proto::sio::Args;
pub use proto::value::Value;
pub use serve::{Serve, ServeConfig, serve};
pub use server::{
    AckError, AckFuture, AckOutcome, AckResponse, AckSender, ArgError, BroadcastOperator,
    BuildError, CallError, ConnectContext, ConnectError, ConnectParamError, DisconnectContext,
    DisconnectReason, EmitError, Emits, Event, EventContext, EventDone, EventMiddleware, EventName,
    EventPayload, FromConnectParam, FromDisconnectParam, FromEventParam, Handshake, JoinError,
    Namespace, NamespaceClass, ParamError, RateLimit, RateLimitAction, RecoveryConfig, RejectAck,
    Rest, ServerConfig, Socket, SocketIo, SocketIoBuilder, State, TryData, TypedBroadcast,
    TypedSocket, ViaContext,
};
pub use socketio_macros::{Event, namespace, on};
