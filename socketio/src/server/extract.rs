//! Writing your own handler parameters: what the contexts ([`EventContext`],
//! [`ConnectContext`], [`DisconnectContext`]) let an extractor read, and [`TryData`], the
//! argument that hands a payload that did not deserialize to the handler.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::handler::{FromConnectParam, FromEventParam, ViaContext};
use super::reject::{ArgError, ConnectParamError, ParamError};
use super::tree::{ConnectContext, DisconnectContext, EventContext, Socket};
use super::types::{DisconnectReason, Handshake};
use crate::proto::sio::Args;

/// What a [`FromEventParam`] implementation reads.
///
/// A user-written context parameter: the logged-in user, put in the socket's session by the
/// connect handler; an event from a socket without one is refused with the rejection ack
/// (`{"error": "not logged in"}` by default, see [`RejectAck`](crate::RejectAck)).
///
/// ```
/// use socketio::{EventContext, FromEventParam, ParamError, Socket, SocketIo, ViaContext};
///
/// #[derive(Clone)]
/// struct CurrentUser(String);
///
/// impl FromEventParam<ViaContext> for CurrentUser {
///     fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError> {
///         ctx.socket()
///             .get_session::<CurrentUser>()
///             .ok_or_else(|| ParamError::reject("not logged in"))
///     }
/// }
///
/// let io = SocketIo::builder().build().unwrap();
/// io.of("/").on("login", async |socket: Socket, name: String| {
///     socket.save_session(CurrentUser(name));
/// });
/// // The handler runs only for a logged-in socket.
/// io.of("/").on("whoami", async |user: CurrentUser| user.0);
/// ```
impl EventContext {
    /// The socket the event arrived on.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// The event's name.
    pub fn event(&self) -> &str {
        &self.name
    }

    /// All of the event's arguments (after the name), including those earlier parameters
    /// took.
    pub fn args(&self) -> &Args {
        &self.args
    }

    /// The position of the next positional argument: how many the parameters before this
    /// one took.
    pub fn next_index(&self) -> usize {
        self.next_arg
    }

    /// Take the next positional argument, deserialized as `T` (what a plain `T:
    /// Deserialize` parameter does). A missing argument deserializes from `null`.
    pub fn next_arg<T: DeserializeOwned>(&mut self) -> Result<T, ArgError> {
        let index = self.next_arg;
        self.next_arg += 1;
        self.args
            .get(index)
            .map_err(|error| ArgError { index, error })
    }

    /// True when the client asked for an acknowledgement.
    pub fn ack_requested(&self) -> bool {
        self.ack_id.is_some()
    }

    /// The handshake of the socket (shortcut for `ctx.socket().handshake()`).
    pub fn handshake(&self) -> &Handshake {
        self.socket.handshake()
    }
}

/// What a [`FromConnectParam`] implementation reads.
///
/// A user-written connect parameter that a tower layer made possible: the `User` that an
/// auth layer put in the request's extensions ([`Handshake::extensions`]).
///
/// ```
/// use socketio::{ConnectContext, ConnectError, ConnectParamError, FromConnectParam, ViaContext};
///
/// #[derive(Clone)]
/// struct User(String);
///
/// impl FromConnectParam<ViaContext> for User {
///     fn from_connect(ctx: &ConnectContext) -> Result<Self, ConnectParamError> {
///         ctx.handshake()
///             .extension::<User>()
///             .cloned()
///             .ok_or(ConnectParamError::Rejected(ConnectError::new("unauthorized")))
///     }
/// }
/// ```
impl ConnectContext {
    /// The socket that is connecting (not connected yet: what it emits is sent right after
    /// CONNECT).
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// The handshake: the opening request (URI, headers, extensions, peer address) and the
    /// auth payload.
    pub fn handshake(&self) -> &Arc<Handshake> {
        &self.handshake
    }
}

/// What a [`FromDisconnectParam`](crate::FromDisconnectParam) implementation reads.
///
/// ```
/// use socketio::{DisconnectContext, FromDisconnectParam, ViaContext};
///
/// struct Sid(String);
///
/// impl FromDisconnectParam<ViaContext> for Sid {
///     fn from_disconnect(ctx: &DisconnectContext) -> Option<Self> {
///         Some(Sid(ctx.socket().id().to_string()))
///     }
/// }
/// ```
impl DisconnectContext {
    /// The socket that left its namespace.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Why it left.
    pub fn reason(&self) -> DisconnectReason {
        self.reason
    }
}

/// An argument that may not have deserialized: the handler runs either way and sees
/// `Err` (socketioxide's `TryData`). As a connect parameter, the auth payload.
///
/// A plain `T` parameter refuses the event instead (the handler is not called, the client
/// gets the rejection ack).
///
/// ```
/// use socketio::{SocketIo, TryData};
///
/// #[derive(serde::Deserialize)]
/// struct Move { x: i32, y: i32 }
///
/// let io = SocketIo::builder().build().unwrap();
/// io.of("/").on("move", async |TryData(m): TryData<Move>| match m {
///     Ok(m) => Ok(m.x + m.y),
///     Err(e) => Err(format!("bad move: {e}")),
/// });
/// ```
#[derive(Debug)]
pub struct TryData<T>(pub Result<T, ArgError>);

impl<T: DeserializeOwned> FromEventParam<ViaContext> for TryData<T> {
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError> {
        Ok(TryData(ctx.next_arg()))
    }
}

impl<T: DeserializeOwned> FromConnectParam<ViaContext> for TryData<T> {
    fn from_connect(ctx: &ConnectContext) -> Result<Self, ConnectParamError> {
        Ok(TryData(
            serde_json::from_str(ctx.handshake.auth_json())
                .map_err(|error| ArgError { index: 0, error }),
        ))
    }
}
