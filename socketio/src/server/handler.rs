//! Handler traits: how plain async functions and closures become event, connect and
//! disconnect handlers.
//!
//! Each parameter of a handler is either *context* (the [`Socket`], its [`Namespace`](super::Namespace), the
//! [`SocketIo`], [`State<T>`], an [`AckSender`], the [`EventName`], the remaining arguments
//! as [`Rest<T>`]) or the *next positional argument* of the event, deserialized with serde. The
//! two kinds are told apart by a marker type parameter (`M`), so both can be implemented for
//! whole families of types without overlapping.

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ack::{AckOutcome, AckValue};
pub use super::reject::{ArgError, ConnectParamError, ParamError};
pub use super::tree::{ConnectContext, DisconnectContext, EventContext};
use super::tree::{ErasedConnect, ErasedDisconnect, ErasedEvent, Socket, SocketIo};
use super::types::{ConnectError, DisconnectReason, EventName, Handshake, Rest, State};
use crate::proto::parser::Parser;
use crate::proto::sio::{Args, EncodeError, Encoded};
use crate::sync::BoxFuture;

/// The marker type of a context parameter: name it when you implement
/// [`FromEventParam`], [`FromConnectParam`] or [`FromDisconnectParam`] for your own type
/// (see [`EventContext`] for an example). Payload arguments use another marker, so that a
/// type is context or payload, never both.
pub enum ViaContext {}
/// Marker: a positional payload argument.
#[doc(hidden)]
pub enum ViaPayload {}

/// A type that can be a parameter of an event handler.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of an event handler",
    label = "neither a context type nor deserializable",
    note = "a parameter is either context (`Socket`, `Namespace`, `SocketIo`, `State<T>`, `AckSender`, `EventName`, `Rest<T>`) or an event argument: derive `serde::Deserialize` for it"
)]
pub trait FromEventParam<M>: Sized {
    /// Extract the parameter from the event (see [`EventContext`]'s methods); an `Err`
    /// refuses the event: the handler is not called and the client gets the rejection ack.
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError>;
}

#[diagnostic::do_not_recommend]
impl<T: DeserializeOwned> FromEventParam<ViaPayload> for T {
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError> {
        let index = ctx.next_arg;
        ctx.next_arg += 1;
        ctx.args
            .get(index)
            .map_err(|error| ParamError::Payload(ArgError { index, error }))
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
        Ok(EventName(Arc::from(ctx.name.as_str())))
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
                    .map_err(|error| ParamError::Payload(ArgError { index, error }))?,
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
    fn encode_ack(&self, parser: &Parser, nsp: &str, id: u64) -> Result<Encoded, EncodeError>;
}

impl<T: Serialize + Send + 'static> IntoAck for T {
    fn encode_ack(&self, parser: &Parser, nsp: &str, id: u64) -> Result<Encoded, EncodeError> {
        parser.encode_ack(nsp, id, &AckValue(self))
    }
}

/// Sends the "handler not called" outcome: a warning in the log, and the rejection ack
/// (the namespace's [`RejectAck`](crate::RejectAck), else the server's) when the client asked
/// for one; then tells the middleware, if any.
pub(crate) fn reject_event(ctx: EventContext, err: &ParamError) {
    tracing::warn!(
        nsp = %ctx.socket.ns(), sid = %ctx.socket.id(), event = %ctx.name,
        "event handler not called: {err}"
    );
    if let Some(id) = ctx.ack_id {
        let ns_reject = crate::sync::read(&ctx.socket.0.ns.handlers)
            .reject_ack
            .clone();
        let reject =
            ns_reject.unwrap_or_else(|| ctx.socket.0.ns.io_inner().config.reject_ack.clone());
        if let Some(ack) = reject.ack_for(err) {
            ctx.socket.send_ack(id, &ack);
        }
    }
    if let Some(done) = ctx.done {
        done(AckOutcome::Rejected(err));
    }
}

/// Runs an event handler once its parameters are extracted: on an extraction error the
/// handler is not called (warning + error ack); otherwise the future acknowledges with the
/// return value (encoded by `ack`) unless an `AckSender` took the acknowledgement.
pub(crate) fn run_event<Fut, R>(
    mut ctx: EventContext,
    call: impl FnOnce(&mut EventContext) -> Result<Fut, ParamError>,
    ack: fn(&R, &Parser, &str, u64) -> Result<Encoded, EncodeError>,
) -> Option<BoxFuture<'static, ()>>
where
    Fut: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    // Disabled (no formatting, no allocation) unless a subscriber wants `debug` here.
    let span = tracing::debug_span!(
        target: "socketio::server",
        "event",
        nsp = %ctx.socket.ns(),
        event = %ctx.name,
        ack_id = ctx.ack_id,
        outcome = tracing::field::Empty,
        duration_us = tracing::field::Empty,
    );
    // With no subscriber and no recorder: no enter/exit, no clock read.
    let traced = !span.is_disabled();
    let start = (traced || ctx.socket.0.ns.metrics.timed()).then(std::time::Instant::now);
    let called = if traced {
        let _entered = span.enter();
        call(&mut ctx)
    } else {
        call(&mut ctx)
    };
    let fut = match called {
        Ok(fut) => fut,
        Err(e) => {
            span.record("outcome", "invalid_args");
            let _entered = span.enter();
            reject_event(ctx, &e);
            return None;
        }
    };
    let span = traced.then_some(span);
    let EventContext {
        socket,
        ack_id,
        ack_taken,
        done,
        ..
    } = ctx;
    Some(Box::pin(async move {
        let r = match &span {
            Some(span) => tracing::Instrument::instrument(fut, span.clone()).await,
            None => fut.await,
        };
        if let Some(start) = start {
            let elapsed = start.elapsed();
            socket.0.ns.metrics.handler_duration(elapsed.as_secs_f64());
            if let Some(span) = &span {
                span.record("outcome", "ok");
                let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
                span.record("duration_us", us);
            }
        }
        match (ack_id, ack_taken) {
            (Some(id), false) => match ack(&r, socket.parser(), socket.ns(), id) {
                Ok(enc) => {
                    if socket.send_encoded(&enc).is_ok() {
                        socket.0.ns.metrics.ack_sent();
                    }
                    if let Some(done) = done {
                        done(AckOutcome::Sent(&enc));
                    }
                }
                Err(e) => {
                    let _entered = span.as_ref().map(|s| s.enter());
                    tracing::warn!(sid = %socket.id(), "cannot serialize the acknowledgement: {e}");
                    if let Some(done) = done {
                        done(AckOutcome::EncodeFailed(&e));
                    }
                }
            },
            (_, true) => {
                if let Some(done) = done {
                    done(AckOutcome::Manual);
                }
            }
            (None, false) => {
                if let Some(done) = done {
                    done(AckOutcome::NotRequested);
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
) -> BoxFuture<'static, Result<(), ConnectError>>
where
    Fut: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    match call(&ctx) {
        Ok(fut) => Box::pin(async move { ret(fut.await) }),
        Err(e) => {
            tracing::warn!(nsp = %ctx.socket.ns(), "connect handler not called: {e}");
            let err = e.into_connect_error();
            Box::pin(async move { Err(err) })
        }
    }
}

/// Runs a disconnect handler once its parameters are extracted.
pub(crate) fn run_disconnect<Fut>(
    ctx: DisconnectContext,
    call: impl FnOnce(&DisconnectContext) -> Option<Fut>,
) -> BoxFuture<'static, ()>
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
    note = "an event handler is an `async` fn or closure; each parameter is context (`Socket`, `Namespace`, `SocketIo`, `State<T>`, `AckSender`, `EventName`, `Rest<T>`) or a `Deserialize` argument, and its output is `()` or `Serialize`"
)]
pub trait EventHandler<M>: Send + Sync + 'static {
    #[doc(hidden)]
    fn call(&self, ctx: EventContext) -> Option<BoxFuture<'static, ()>>;
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
            fn call(&self, ctx: EventContext) -> Option<BoxFuture<'static, ()>> {
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

/// A type that can be a parameter of a connect handler: context (`Socket`, `Namespace`,
/// `SocketIo`, `State<T>`, `Handshake`) or the auth payload, deserialized (`{}` when the client sent none).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a connect handler",
    label = "neither a context type nor deserializable",
    note = "a connect parameter is context (`Socket`, `Namespace`, `SocketIo`, `State<T>`, `Handshake`) or the auth payload: derive `serde::Deserialize` for it"
)]
pub trait FromConnectParam<M>: Sized {
    /// Extract the parameter from the connection (see [`ConnectContext`]'s methods); an
    /// `Err` refuses the connection with a CONNECT_ERROR.
    fn from_connect(ctx: &ConnectContext) -> Result<Self, ConnectParamError>;
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
    note = "a connect handler is an `async` fn or closure; parameters are context (`Socket`, `Namespace`, `SocketIo`, `State<T>`, `Handshake`) or the `Deserialize` auth payload; it returns `()`, `bool` or `Result<(), ConnectError>`"
)]
pub trait ConnectHandler<M>: Send + Sync + 'static {
    #[doc(hidden)]
    fn call(&self, ctx: ConnectContext) -> BoxFuture<'static, Result<(), ConnectError>>;
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
            fn call(&self, ctx: ConnectContext) -> BoxFuture<'static, Result<(), ConnectError>> {
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

/// A type that can be a parameter of a disconnect handler: `Socket`, `Namespace`, `SocketIo`,
/// `State<T>`, `DisconnectReason`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a disconnect handler",
    label = "not a disconnect parameter: a disconnect carries no event arguments",
    note = "a disconnect parameter is `Socket`, `Namespace`, `SocketIo`, `State<T>` or `DisconnectReason`"
)]
pub trait FromDisconnectParam<M>: Sized {
    /// Extract the parameter (see [`DisconnectContext`]'s methods); `None` skips the
    /// disconnect handler (with a warning).
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
    note = "a disconnect handler is an `async` fn or closure taking `Socket`, `Namespace`, `SocketIo`, `State<T>` or `DisconnectReason` and returning `()`"
)]
pub trait DisconnectHandler<M>: Send + Sync + 'static {
    #[doc(hidden)]
    fn call(&self, ctx: DisconnectContext) -> BoxFuture<'static, ()>;
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
            fn call(&self, ctx: DisconnectContext) -> BoxFuture<'static, ()> {
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
