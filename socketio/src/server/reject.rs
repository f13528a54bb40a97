//! Why a handler was not called, and the acknowledgement a client gets then: the extractor
//! errors ([`ParamError`], [`ConnectParamError`], [`ArgError`]) and the configurable
//! rejection ack ([`RejectAck`]). Nothing here names the server's object tree, so the
//! handler tables and the configuration can hold these types.

use std::sync::Arc;

use crate::proto::value::Value;

use super::types::ConnectError;

/// Argument `index` of an event (0-based, after the event name) did not deserialize.
///
/// What [`TryData`](crate::TryData) holds on failure, and what
/// [`ParamError::Payload`] carries.
///
/// ```
/// use socketio::ArgError;
///
/// fn describe(e: &ArgError) -> String {
///     format!("argument {} is wrong: {}", e.index() + 1, e.error())
/// }
/// ```
#[derive(Debug)]
pub struct ArgError {
    pub(crate) index: usize,
    pub(crate) error: serde_json::Error,
}

impl ArgError {
    /// The 0-based position of the argument (after the event name).
    pub fn index(&self) -> usize {
        self.index
    }

    /// Why it did not deserialize (a missing argument is an "invalid type: null" error).
    pub fn error(&self) -> &serde_json::Error {
        &self.error
    }
}

impl std::fmt::Display for ArgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid argument {}: {}", self.index + 1, self.error)
    }
}

impl std::error::Error for ArgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Why an event handler was not called: an extractor
/// ([`FromEventParam`](crate::FromEventParam)) or an event middleware
/// ([`EventMiddleware::before`](crate::EventMiddleware::before)) failed.
///
/// The server logs it (a warning) and, when the client asked for an acknowledgement,
/// answers with the rejection ack of the namespace ([`RejectAck`]). A custom extractor
/// rejects with [`ParamError::reject`] (the ack is built by the [`RejectAck`] in force) or
/// [`ParamError::reject_with`] (this exact ack argument).
///
/// ```
/// use socketio::ParamError;
///
/// let e = ParamError::reject("not logged in");
/// assert_eq!(e.to_string(), "not logged in");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ParamError {
    /// An argument did not deserialize.
    Payload(ArgError),
    /// `State<T>` was asked for but no state of that type was registered.
    MissingState(&'static str),
    /// An extractor or a middleware refused the event with this message.
    Rejected {
        /// The message (logged, and given to the [`RejectAck`]).
        message: String,
        /// The ack argument to send as is, instead of the [`RejectAck`]'s.
        ack: Option<Value>,
    },
}

impl ParamError {
    /// Refuse the event with `message`: the client's ack (if it asked for one) is what the
    /// namespace's [`RejectAck`] makes of it (by default `{"error": message}`).
    pub fn reject(message: impl Into<String>) -> Self {
        Self::Rejected {
            message: message.into(),
            ack: None,
        }
    }

    /// Refuse the event and acknowledge with `ack` as the one argument, whatever the
    /// [`RejectAck`] in force.
    ///
    /// ```
    /// use socketio::{ParamError, Value};
    ///
    /// let e = ParamError::reject_with("forbidden", Value::from(403));
    /// # let _ = e;
    /// ```
    pub fn reject_with(message: impl Into<String>, ack: Value) -> Self {
        Self::Rejected {
            message: message.into(),
            ack: Some(ack),
        }
    }
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Payload(e) => e.fmt(f),
            Self::MissingState(t) => write!(f, "no state of type `{t}` was registered"),
            Self::Rejected { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for ParamError {}

impl From<ArgError> for ParamError {
    fn from(e: ArgError) -> Self {
        Self::Payload(e)
    }
}

/// Why a connect handler was not called: the connection is refused with a CONNECT_ERROR
/// (its message is this error's `Display`, or the [`ConnectError`] of
/// [`ConnectParamError::Rejected`] with its data).
///
/// ```
/// use socketio::{ConnectError, ConnectParamError};
///
/// let e = ConnectParamError::Rejected(ConnectError::new("who are you?"));
/// assert_eq!(e.to_string(), "who are you?");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectParamError {
    /// The auth payload did not deserialize.
    Auth(serde_json::Error),
    /// `State<T>` was asked for but no state of that type was registered.
    MissingState(&'static str),
    /// An extractor refused the connection with this error (message and data).
    Rejected(ConnectError),
}

impl std::fmt::Display for ConnectParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auth(e) => write!(f, "invalid auth payload: {e}"),
            Self::MissingState(t) => write!(f, "no state of type `{t}` was registered"),
            Self::Rejected(e) => f.write_str(e.message()),
        }
    }
}

impl std::error::Error for ConnectParamError {}

impl ConnectParamError {
    /// The CONNECT_ERROR the client receives.
    pub(crate) fn into_connect_error(self) -> ConnectError {
        match self {
            Self::Rejected(e) => e,
            other => ConnectError::new(other.to_string()),
        }
    }
}

type RejectFn = dyn Fn(&ParamError) -> Option<Value> + Send + Sync;

/// The acknowledgement a client receives for an event whose handler was not called
/// ([`ParamError`]): an argument did not deserialize, an extractor or a middleware refused
/// it. Called only when the client asked for an acknowledgement; `None` sends none.
///
/// The default acknowledges with one argument `{"error": "<message>"}` (the `Display` of
/// the [`ParamError`], e.g. `{"error": "invalid argument 1: invalid type: string \"x\",
/// expected u32"}`), the shape of a handler returning `Err(message)`. Set it for the whole
/// server with [`SocketIoBuilder::reject_ack`](crate::SocketIoBuilder::reject_ack) and per
/// namespace with [`Namespace::reject_ack`](crate::Namespace::reject_ack) (which wins).
/// A [`ParamError::reject_with`] ack is sent as is, whatever this says.
///
/// ```
/// use socketio::{ParamError, RejectAck, SocketIo, Value};
///
/// // Acknowledge like `{ ok: false, reason }`, and drop the details of a bad payload.
/// let io = SocketIo::builder()
///     .reject_ack(RejectAck::new(|e: &ParamError| {
///         let reason = match e {
///             ParamError::Payload(_) => "bad request".to_owned(),
///             other => other.to_string(),
///         };
///         Some(Value::from_json(serde_json::json!({"ok": false, "reason": reason})))
///     }))
///     .build()
///     .unwrap();
/// # let _ = io;
/// ```
#[derive(Clone)]
pub struct RejectAck(Arc<RejectFn>);

impl RejectAck {
    /// Acknowledge with what `f` returns as the one argument (`None`: no ack).
    pub fn new(f: impl Fn(&ParamError) -> Option<Value> + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Never acknowledge a rejected event (the client's ack times out).
    ///
    /// ```
    /// let quiet = socketio::RejectAck::none();
    /// # let _ = quiet;
    /// ```
    pub fn none() -> Self {
        Self::new(|_| None)
    }

    /// The ack argument for `err` (a [`ParamError::reject_with`] ack wins).
    pub(crate) fn ack_for(&self, err: &ParamError) -> Option<Value> {
        match err {
            ParamError::Rejected { ack: Some(v), .. } => Some(v.clone()),
            _ => (self.0)(err),
        }
    }
}

impl Default for RejectAck {
    /// `{"error": "<message>"}`.
    fn default() -> Self {
        Self::new(|e| {
            let mut m = crate::proto::value::Map::new();
            m.insert("error".to_owned(), Value::from(e.to_string()));
            Some(Value::from(m))
        })
    }
}

impl std::fmt::Debug for RejectAck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RejectAck(..)")
    }
}
