//! Handler traits: how plain async functions and closures become event, connect and
//! disconnect handlers.
//!
//! Each parameter of a handler is either *context* (the [`Socket`], [`SocketIo`],
//! [`State<T>`], an [`AckSender`], the [`EventName`], the remaining arguments as
//! [`Rest<T>`]) or the *next positional argument* of the event, deserialized with serde. The
//! two kinds are told apart by a marker type parameter (`M`), so both can be implemented for
//! whole families of types without overlapping.

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) use super::state::{BoxFuture, ErasedConnect, ErasedDisconnect, ErasedEvent};
pub use super::state::{ConnectContext, DisconnectContext, EventContext};
use super::state::{Socket, SocketIo};
use super::types::{ConnectError, DisconnectReason, EventName, Handshake, Rest, State};
use crate::proto::sio::{Args, EncodeError, Encoded};

/// Marker: a context parameter.
#[doc(hidden)]
pub enum ViaContext {}
/// Marker: a positional payload argument.
#[doc(hidden)]
pub enum ViaPayload {}

/// Why an event handler was not called.
#[doc(hidden)]
#[derive(Debug)]
#[non_exhaustive]
pub enum ParamError {
    /// Argument `index` (0-based, after the event name) did not deserialize.
    Payload {
        index: usize,
        error: serde_json::Error,
    },
    /// `State<T>` was asked for but no state of that type was registered.
    MissingState(&'static str),
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Payload { index, error } => write!(f, "invalid argument {}: {error}", index + 1),
            Self::MissingState(t) => write!(f, "no state of type `{t}` was registered"),
        }
    }
}

/// A type that can be a parameter of an event handler.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of an event handler",
    label = "neither a context type nor deserializable",
    note = "a parameter is either context (`Socket`, `SocketIo`, `State<T>`, `AckSender`, `EventName`, `Rest<T>`) or an event argument: derive `serde::Deserialize` for it"
)]
pub trait FromEventParam<M>: Sized {
    #[doc(hidden)]
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError>;
}

#[diagnostic::do_not_recommend]
impl<T: DeserializeOwned> FromEventParam<ViaPayload> for T {
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError> {
        let index = ctx.next_arg;
        ctx.next_arg += 1;
        ctx.args
            .get(index)
            .map_err(|error| ParamError::Payload { index, error })
    }
}

impl FromEventParam<ViaContext> for Socket {
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError> {
        Ok(ctx.socket.clone())
    }
}

impl FromEventParam<ViaContext> for SocketIo {
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError> {
        Ok(ctx.socket.io())
    }
}

impl<T: Send + Sync + 'static> FromEventParam<ViaContext> for State<T> {
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError> {
        ctx.socket
            .io()
            .state::<T>()
            .ok_or(ParamError::MissingState(std::any::type_name::<T>()))
    }
}

impl FromEventParam<ViaContext> for EventName {
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError> {
        Ok(EventName(ctx.name.clone()))
    }
}

impl FromEventParam<ViaContext> for AckSender {
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError> {
        ctx.ack_taken = true;
        Ok(AckSender::new(ctx.socket.clone(), ctx.ack_id))
    }
}

impl<T: DeserializeOwned> FromEventParam<ViaContext> for Rest<T> {
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError> {
        let mut out = Vec::with_capacity(ctx.args.len().saturating_sub(ctx.next_arg));
        while ctx.next_arg < ctx.args.len() {
            let index = ctx.next_arg;
            ctx.next_arg += 1;
            out.push(
                ctx.args
                    .get(index)
                    .map_err(|error| ParamError::Payload { index, error })?,
            );
        }
        Ok(Rest(out))
    }
}

impl FromEventParam<ViaContext> for Args {
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError> {
        let len = ctx.args.len();
        let rest = if ctx.next_arg == 0 {
            // All of them: move instead of copying.
            std::mem::take(&mut ctx.args)
        } else {
            ctx.args.rest(ctx.next_arg)
        };
        ctx.next_arg = len;
        Ok(rest)
    }
}

/// A value a handler can return as its acknowledgement: anything `Serialize`.
///
/// `()` acknowledges with no arguments, a tuple with several, anything else with one. A
/// `Result` acknowledges with its `Ok` value, or with one argument `{"error": e}` for `Err(e)`
/// (see [`AckError`](crate::AckError) for an error type that works with `?`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an acknowledgement",
    label = "does not implement `serde::Serialize`",
    note = "return `()`, a value that implements `serde::Serialize`, a tuple of them, or a `Result` of them"
)]
pub trait IntoAck: Send + 'static {
    #[doc(hidden)]
    fn encode_ack(&self, nsp: &str, id: u64) -> Result<Encoded, EncodeError>;
}

impl<T: Serialize + Send + 'static> IntoAck for T {
    fn encode_ack(&self, nsp: &str, id: u64) -> Result<Encoded, EncodeError> {
        crate::proto::sio::encode_ack(nsp, id, &AckValue(self))
    }
}

/// Serializes a handler's return value with the `Result` rule of [`IntoAck`].
pub(crate) struct AckValue<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: Serialize + ?Sized> Serialize for AckValue<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(top::TopLevel(s))
    }
}

mod top {
    //! A serializer that forwards everything to the argument serializer, except a top-level
    //! `Result`: `Ok(v)` is serialized as `v` (so a tuple is still several arguments) and
    //! `Err(e)` as the single argument `{"error": e}`.
    use serde::ser::{SerializeMap, SerializeTuple};
    use serde::{Serialize, Serializer};

    pub(super) struct TopLevel<S>(pub(super) S);

    struct ErrorObject<'a, T: ?Sized>(&'a T);

    impl<T: Serialize + ?Sized> Serialize for ErrorObject<'_, T> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry("error", self.0)?;
            m.end()
        }
    }

    macro_rules! forward {
        ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
            $(fn $name(self, $($arg: $ty),*) -> Result<$ret, S::Error> { self.0.$name($($arg),*) })*
        };
    }

    impl<S: Serializer> Serializer for TopLevel<S> {
        type Ok = S::Ok;
        type Error = S::Error;
        type SerializeSeq = S::SerializeSeq;
        type SerializeTuple = S::SerializeTuple;
        type SerializeTupleStruct = S::SerializeTupleStruct;
        type SerializeTupleVariant = S::SerializeTupleVariant;
        type SerializeMap = S::SerializeMap;
        type SerializeStruct = S::SerializeStruct;
        type SerializeStructVariant = S::SerializeStructVariant;

        forward! {
            serialize_bool(v: bool) -> S::Ok;
            serialize_i8(v: i8) -> S::Ok;
            serialize_i16(v: i16) -> S::Ok;
            serialize_i32(v: i32) -> S::Ok;
            serialize_i64(v: i64) -> S::Ok;
            serialize_i128(v: i128) -> S::Ok;
            serialize_u8(v: u8) -> S::Ok;
            serialize_u16(v: u16) -> S::Ok;
            serialize_u32(v: u32) -> S::Ok;
            serialize_u64(v: u64) -> S::Ok;
            serialize_u128(v: u128) -> S::Ok;
            serialize_f32(v: f32) -> S::Ok;
            serialize_f64(v: f64) -> S::Ok;
            serialize_char(v: char) -> S::Ok;
            serialize_str(v: &str) -> S::Ok;
            serialize_bytes(v: &[u8]) -> S::Ok;
            serialize_none() -> S::Ok;
            serialize_unit() -> S::Ok;
            serialize_unit_struct(name: &'static str) -> S::Ok;
            serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> S::Ok;
            serialize_seq(len: Option<usize>) -> S::SerializeSeq;
            serialize_tuple(len: usize) -> S::SerializeTuple;
            serialize_tuple_struct(name: &'static str, len: usize) -> S::SerializeTupleStruct;
            serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> S::SerializeTupleVariant;
            serialize_map(len: Option<usize>) -> S::SerializeMap;
            serialize_struct(name: &'static str, len: usize) -> S::SerializeStruct;
            serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> S::SerializeStructVariant;
        }

        fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<S::Ok, S::Error> {
            self.0.serialize_some(v)
        }

        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            name: &'static str,
            v: &T,
        ) -> Result<S::Ok, S::Error> {
            self.0.serialize_newtype_struct(name, v)
        }

        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            name: &'static str,
            index: u32,
            variant: &'static str,
            v: &T,
        ) -> Result<S::Ok, S::Error> {
            match (name, variant) {
                ("Result", "Ok") => v.serialize(self.0),
                ("Result", "Err") => {
                    let mut t = self.0.serialize_tuple(1)?;
                    t.serialize_element(&ErrorObject(v))?;
                    t.end()
                }
                _ => self.0.serialize_newtype_variant(name, index, variant, v),
            }
        }

        fn is_human_readable(&self) -> bool {
            self.0.is_human_readable()
        }
    }
}

/// Sends the "argument did not deserialize" outcome: a warning in the log, and an error ack
/// when the client asked for one. The handler is not called.
fn reject_event(ctx: &EventContext, err: &ParamError) {
    tracing::warn!(
        nsp = %ctx.socket.ns(), sid = %ctx.socket.id(), event = %ctx.name,
        "event handler not called: {err}"
    );
    if let Some(id) = ctx.ack_id {
        let msg = format!("{err}");
        let r: Result<(), String> = Err(msg);
        ctx.socket.send_ack(id, &r);
    }
}

/// Runs an event handler once its parameters are extracted: on an extraction error the
/// handler is not called (warning + error ack); otherwise the future acknowledges with the
/// return value (encoded by `ack`) unless an `AckSender` took the acknowledgement.
pub(crate) fn run_event<Fut, R>(
    mut ctx: EventContext,
    call: impl FnOnce(&mut EventContext) -> Result<Fut, ParamError>,
    ack: fn(&R, &str, u64) -> Result<Encoded, EncodeError>,
) -> Option<BoxFuture<()>>
where
    Fut: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    let fut = match call(&mut ctx) {
        Ok(fut) => fut,
        Err(e) => {
            reject_event(&ctx, &e);
            return None;
        }
    };
    let EventContext {
        socket,
        ack_id,
        ack_taken,
        ..
    } = ctx;
    Some(Box::pin(async move {
        let r = fut.await;
        if let (Some(id), false) = (ack_id, ack_taken) {
            match ack(&r, socket.ns(), id) {
                Ok(enc) => {
                    let _ = socket.send_encoded(&enc);
                }
                Err(e) => {
                    tracing::warn!(sid = %socket.id(), "cannot serialize the acknowledgement: {e}")
                }
            }
        }
    }))
}

/// Runs a connect handler once its parameters are extracted (an extraction error refuses
/// the connection with its message).
pub(crate) fn run_connect<Fut, R>(
    ctx: ConnectContext,
    call: impl FnOnce(&ConnectContext) -> Result<Fut, ConnectParamError>,
    ret: fn(R) -> Result<(), ConnectError>,
) -> BoxFuture<Result<(), ConnectError>>
where
    Fut: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    match call(&ctx) {
        Ok(fut) => Box::pin(async move { ret(fut.await) }),
        Err(e) => {
            tracing::warn!(nsp = %ctx.socket.ns(), "connect handler not called: {e}");
            let err = ConnectError::new(e.to_string());
            Box::pin(async move { Err(err) })
        }
    }
}

/// Runs a disconnect handler once its parameters are extracted.
pub(crate) fn run_disconnect<Fut>(
    ctx: DisconnectContext,
    call: impl FnOnce(&DisconnectContext) -> Option<Fut>,
) -> BoxFuture<()>
where
    Fut: Future<Output = ()> + Send + 'static,
{
    match call(&ctx) {
        Some(fut) => Box::pin(fut),
        None => {
            tracing::warn!(nsp = %ctx.socket.ns(), "disconnect handler not called: missing state");
            Box::pin(async {})
        }
    }
}

/// An event handler: an `async` function or closure whose parameters all implement
/// [`FromEventParam`] and whose output implements [`IntoAck`].
#[diagnostic::on_unimplemented(
    message = "this function cannot be an event handler",
    note = "an event handler is an `async` fn or closure; each parameter is context (`Socket`, `SocketIo`, `State<T>`, `AckSender`, `EventName`, `Rest<T>`) or a `Deserialize` argument, and its output is `()` or `Serialize`"
)]
pub trait EventHandler<M>: Send + Sync + 'static {
    #[doc(hidden)]
    fn call(&self, ctx: EventContext) -> Option<BoxFuture<()>>;
}

pub(crate) fn erase_event<H: EventHandler<M>, M>(h: H) -> ErasedEvent {
    Arc::new(move |ctx| h.call(ctx))
}

macro_rules! impl_event_handler {
    ($($ty:ident $m:ident),*) => {
        #[allow(non_snake_case, unused_mut, unused_variables)]
        impl<F, Fut, R, $($ty, $m,)*> EventHandler<(($($m,)*), ($($ty,)*))> for F
        where
            F: Fn($($ty),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoAck,
            $($ty: FromEventParam<$m> + Send + 'static,)*
        {
            fn call(&self, ctx: EventContext) -> Option<BoxFuture<()>> {
                run_event(
                    ctx,
                    |ctx| {
                        $(let $ty = $ty::from_event(ctx)?;)*
                        Ok((self)($($ty),*))
                    },
                    R::encode_ack,
                )
            }
        }
    };
}

macro_rules! all_arities {
    ($mac:ident) => {
        $mac!();
        $mac!(T1 M1);
        $mac!(T1 M1, T2 M2);
        $mac!(T1 M1, T2 M2, T3 M3);
        $mac!(T1 M1, T2 M2, T3 M3, T4 M4);
        $mac!(T1 M1, T2 M2, T3 M3, T4 M4, T5 M5);
        $mac!(T1 M1, T2 M2, T3 M3, T4 M4, T5 M5, T6 M6);
        $mac!(T1 M1, T2 M2, T3 M3, T4 M4, T5 M5, T6 M6, T7 M7);
        $mac!(T1 M1, T2 M2, T3 M3, T4 M4, T5 M5, T6 M6, T7 M7, T8 M8);
        $mac!(T1 M1, T2 M2, T3 M3, T4 M4, T5 M5, T6 M6, T7 M7, T8 M8, T9 M9);
        $mac!(T1 M1, T2 M2, T3 M3, T4 M4, T5 M5, T6 M6, T7 M7, T8 M8, T9 M9, T10 M10);
    };
}

all_arities!(impl_event_handler);

// ---------------------------------------------------------------------------------------------
// Connect

/// A type that can be a parameter of a connect handler: context (`Socket`, `SocketIo`,
/// `State<T>`, `Handshake`) or the auth payload, deserialized (`{}` when the client sent none).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a connect handler",
    label = "neither a context type nor deserializable",
    note = "a connect parameter is context (`Socket`, `SocketIo`, `State<T>`, `Handshake`) or the auth payload: derive `serde::Deserialize` for it"
)]
pub trait FromConnectParam<M>: Sized {
    #[doc(hidden)]
    fn from_connect(ctx: &ConnectContext) -> Result<Self, ConnectParamError>;
}

/// Why a connect handler was not called.
#[doc(hidden)]
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectParamError {
    /// The auth payload did not deserialize.
    Auth(serde_json::Error),
    /// Missing state.
    MissingState(&'static str),
}

impl std::fmt::Display for ConnectParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auth(e) => write!(f, "invalid auth payload: {e}"),
            Self::MissingState(t) => write!(f, "no state of type `{t}` was registered"),
        }
    }
}

#[diagnostic::do_not_recommend]
impl<T: DeserializeOwned> FromConnectParam<ViaPayload> for T {
    fn from_connect(ctx: &ConnectContext) -> Result<Self, ConnectParamError> {
        serde_json::from_str(ctx.handshake.auth_json()).map_err(ConnectParamError::Auth)
    }
}

impl FromConnectParam<ViaContext> for Socket {
    fn from_connect(ctx: &ConnectContext) -> Result<Self, ConnectParamError> {
        Ok(ctx.socket.clone())
    }
}

impl FromConnectParam<ViaContext> for SocketIo {
    fn from_connect(ctx: &ConnectContext) -> Result<Self, ConnectParamError> {
        Ok(ctx.socket.io())
    }
}

impl FromConnectParam<ViaContext> for Arc<Handshake> {
    fn from_connect(ctx: &ConnectContext) -> Result<Self, ConnectParamError> {
        Ok(ctx.handshake.clone())
    }
}

impl FromConnectParam<ViaContext> for Handshake {
    fn from_connect(ctx: &ConnectContext) -> Result<Self, ConnectParamError> {
        Ok((*ctx.handshake).clone())
    }
}

impl<T: Send + Sync + 'static> FromConnectParam<ViaContext> for State<T> {
    fn from_connect(ctx: &ConnectContext) -> Result<Self, ConnectParamError> {
        ctx.socket
            .io()
            .state::<T>()
            .ok_or(ConnectParamError::MissingState(std::any::type_name::<T>()))
    }
}

/// What a connect handler may return: `()` or `true` (accept), `false` (reject with
/// "Connection rejected by server"), or `Result<_, ConnectError>` (reject with a message and
/// optional data).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned by a connect handler",
    label = "not `()`, `bool` or `Result<(), ConnectError>`",
    note = "return `()`, `bool`, or `Result<(), ConnectError>`"
)]
pub trait IntoConnectResult: Send + 'static {
    #[doc(hidden)]
    fn into_connect_result(self) -> Result<(), ConnectError>;
}

impl IntoConnectResult for () {
    fn into_connect_result(self) -> Result<(), ConnectError> {
        Ok(())
    }
}

impl IntoConnectResult for bool {
    fn into_connect_result(self) -> Result<(), ConnectError> {
        if self {
            Ok(())
        } else {
            Err(ConnectError::default())
        }
    }
}

impl<T: IntoConnectResult> IntoConnectResult for Result<T, ConnectError> {
    fn into_connect_result(self) -> Result<(), ConnectError> {
        self.and_then(T::into_connect_result)
    }
}

/// A connect handler: an `async` fn or closure with [`FromConnectParam`] parameters returning
/// an [`IntoConnectResult`].
#[diagnostic::on_unimplemented(
    message = "this function cannot be a connect handler",
    note = "a connect handler is an `async` fn or closure; parameters are context (`Socket`, `SocketIo`, `State<T>`, `Handshake`) or the `Deserialize` auth payload; it returns `()`, `bool` or `Result<(), ConnectError>`"
)]
pub trait ConnectHandler<M>: Send + Sync + 'static {
    #[doc(hidden)]
    fn call(&self, ctx: ConnectContext) -> BoxFuture<Result<(), ConnectError>>;
}

pub(crate) fn erase_connect<H: ConnectHandler<M>, M>(h: H) -> ErasedConnect {
    Arc::new(move |ctx| h.call(ctx))
}

macro_rules! impl_connect_handler {
    ($($ty:ident $m:ident),*) => {
        #[allow(non_snake_case, unused_variables)]
        impl<F, Fut, R, $($ty, $m,)*> ConnectHandler<(($($m,)*), ($($ty,)*))> for F
        where
            F: Fn($($ty),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoConnectResult,
            $($ty: FromConnectParam<$m> + Send + 'static,)*
        {
            fn call(&self, ctx: ConnectContext) -> BoxFuture<Result<(), ConnectError>> {
                run_connect(
                    ctx,
                    |ctx| {
                        $(let $ty = $ty::from_connect(ctx)?;)*
                        Ok((self)($($ty),*))
                    },
                    R::into_connect_result,
                )
            }
        }
    };
}

all_arities!(impl_connect_handler);

// ---------------------------------------------------------------------------------------------
// Disconnect

/// A type that can be a parameter of a disconnect handler: `Socket`, `SocketIo`, `State<T>`,
/// `DisconnectReason`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a disconnect handler",
    label = "not a disconnect parameter: a disconnect carries no event arguments",
    note = "a disconnect parameter is `Socket`, `SocketIo`, `State<T>` or `DisconnectReason`"
)]
pub trait FromDisconnectParam<M>: Sized {
    #[doc(hidden)]
    fn from_disconnect(ctx: &DisconnectContext) -> Option<Self>;
}

impl FromDisconnectParam<ViaContext> for Socket {
    fn from_disconnect(ctx: &DisconnectContext) -> Option<Self> {
        Some(ctx.socket.clone())
    }
}

impl FromDisconnectParam<ViaContext> for SocketIo {
    fn from_disconnect(ctx: &DisconnectContext) -> Option<Self> {
        Some(ctx.socket.io())
    }
}

impl FromDisconnectParam<ViaContext> for DisconnectReason {
    fn from_disconnect(ctx: &DisconnectContext) -> Option<Self> {
        Some(ctx.reason)
    }
}

impl<T: Send + Sync + 'static> FromDisconnectParam<ViaContext> for State<T> {
    fn from_disconnect(ctx: &DisconnectContext) -> Option<Self> {
        ctx.socket.io().state::<T>()
    }
}

/// A disconnect handler: an `async` fn or closure with [`FromDisconnectParam`] parameters.
#[diagnostic::on_unimplemented(
    message = "this function cannot be a disconnect handler",
    note = "a disconnect handler is an `async` fn or closure taking `Socket`, `SocketIo`, `State<T>` or `DisconnectReason` and returning `()`"
)]
pub trait DisconnectHandler<M>: Send + Sync + 'static {
    #[doc(hidden)]
    fn call(&self, ctx: DisconnectContext) -> BoxFuture<()>;
}

pub(crate) fn erase_disconnect<H: DisconnectHandler<M>, M>(h: H) -> ErasedDisconnect {
    Arc::new(move |ctx| h.call(ctx))
}

macro_rules! impl_disconnect_handler {
    ($($ty:ident $m:ident),*) => {
        #[allow(non_snake_case, unused_variables)]
        impl<F, Fut, $($ty, $m,)*> DisconnectHandler<(($($m,)*), ($($ty,)*))> for F
        where
            F: Fn($($ty),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = ()> + Send + 'static,
            $($ty: FromDisconnectParam<$m> + Send + 'static,)*
        {
            fn call(&self, ctx: DisconnectContext) -> BoxFuture<()> {
                run_disconnect(ctx, |ctx| {
                    $(let $ty = $ty::from_disconnect(ctx)?;)*
                    Some((self)($($ty),*))
                })
            }
        }
    };
}

all_arities!(impl_disconnect_handler);

/// Acknowledges the event being handled explicitly (instead of through the return value).
#[derive(Debug)]
pub struct AckSender {
    socket: Socket,
    id: Option<u64>,
}

impl AckSender {
    pub(crate) fn new(socket: Socket, id: Option<u64>) -> Self {
        Self { socket, id }
    }

    /// True when the client asked for an acknowledgement.
    pub fn requested(&self) -> bool {
        self.id.is_some()
    }

    /// Send the acknowledgement (argument rule as [`Socket::emit`]). Does nothing when the
    /// client did not ask for one.
    pub fn send<T: Serialize + ?Sized>(self, data: &T) {
        if let Some(id) = self.id {
            self.socket.send_ack(id, data);
        }
    }
}

impl Socket {
    /// Send the acknowledgement `id` with a handler's return value.
    pub(crate) fn send_ack<T: Serialize + ?Sized>(&self, id: u64, value: &T) {
        match crate::proto::sio::encode_ack(self.ns(), id, &AckValue(value)) {
            Ok(enc) => {
                let _ = self.send_encoded(&enc);
            }
            Err(e) => tracing::warn!(sid = %self.id(), "cannot serialize the acknowledgement: {e}"),
        }
    }
}
