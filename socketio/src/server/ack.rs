//! Acknowledgements: the table of acks a socket awaits from its client, the future that
//! resolves to the client's answer, the acks awaited from clients of other servers of the
//! cluster, and how a handler's return value becomes an acknowledgement.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use super::types::EmitError;
use crate::proto::sio::Args;
use crate::sync::lock;

/// Error from [`Socket::call`](crate::Socket::call) and [`AckFuture`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallError {
    /// The emit itself failed.
    Emit(EmitError),
    /// No answer within the timeout.
    Timeout,
    /// The socket disconnected before answering.
    Disconnected,
    /// The answer did not deserialize into the requested type.
    Decode(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Emit(e) => write!(f, "{e}"),
            Self::Timeout => f.write_str("timed out waiting for the acknowledgement"),
            Self::Disconnected => f.write_str("socket disconnected before acknowledging"),
            Self::Decode(e) => write!(f, "invalid acknowledgement: {e}"),
        }
    }
}

impl std::error::Error for CallError {}

/// Acks this server awaits from one socket's client.
#[derive(Default)]
pub(crate) struct AckTable {
    pub(crate) next: u64,
    pub(crate) pending: HashMap<u64, AckSlot>,
    /// How many of `pending` were asked for by another server of the cluster (a broker emit
    /// with a `callback`): they have a budget of their own, so that they can never use up
    /// the application's.
    pub(crate) remote: usize,
}

/// One awaited ack.
pub(crate) struct AckSlot {
    pub(crate) tx: oneshot::Sender<Args>,
    /// Asked for by another server of the cluster.
    pub(crate) remote: bool,
}

impl AckTable {
    /// Reserve an id for an ack of the application (`remote == false`) or of another server
    /// of the cluster, each with a budget of `max` pending acks.
    pub(crate) fn register(
        &mut self,
        remote: bool,
        max: usize,
    ) -> Result<(u64, oneshot::Receiver<Args>), EmitError> {
        let used = if remote {
            self.remote
        } else {
            self.pending.len().saturating_sub(self.remote)
        };
        if used >= max {
            return Err(EmitError::TooManyPendingAcks);
        }
        // Per-socket counter starting at 1, as python-socketio.
        self.next = self.next.wrapping_add(1);
        let id = self.next;
        let (tx, rx) = oneshot::channel();
        self.pending.insert(id, AckSlot { tx, remote });
        if remote {
            self.remote += 1;
        }
        Ok((id, rx))
    }

    /// Free the slot `id`, returning where its answer goes.
    pub(crate) fn take(&mut self, id: u64) -> Option<oneshot::Sender<Args>> {
        let slot = self.pending.remove(&id)?;
        if slot.remote {
            self.remote = self.remote.saturating_sub(1);
        }
        Some(slot.tx)
    }

    /// Forget every pending ack (their futures resolve with [`CallError::Disconnected`]).
    pub(crate) fn clear(&mut self) {
        self.pending.clear();
        self.remote = 0;
    }
}

/// Acks awaited from clients on other servers, keyed by the id published in the `callback`
/// field of the emit.
#[derive(Default)]
pub(crate) struct RemoteAcks {
    pub(crate) next: u64,
    pub(crate) pending: HashMap<u64, Pending>,
}

pub(crate) struct Pending {
    pub(crate) sid: String,
    pub(crate) namespace: Arc<str>,
    pub(crate) tx: oneshot::Sender<Args>,
}

/// The client's answer to an [`Socket::emit_with_ack`](crate::Socket::emit_with_ack) (or a cluster-wide
/// [`Namespace::emit_with_ack_to`](crate::Namespace::emit_with_ack_to)). Dropping it frees
/// the pending ack.
pub struct AckFuture {
    rx: oneshot::Receiver<Args>,
    /// Frees the pending ack when the future is dropped, answered or not.
    cleanup: Cleanup,
}

/// What an [`AckFuture`] frees when dropped.
enum Cleanup {
    /// The slot `id` of a local socket's ack table.
    Local {
        table: Weak<Mutex<AckTable>>,
        id: u64,
    },
    /// A cluster-wide pending ack.
    Remote { on_drop: OnDrop },
}

impl Cleanup {
    fn disarm(&mut self) {
        match self {
            Cleanup::Local { table, .. } => *table = Weak::new(),
            Cleanup::Remote { on_drop } => on_drop.0 = None,
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::Local { table, id } = self {
            if let Some(table) = table.upgrade() {
                lock(&table).take(*id);
            }
        }
    }
}

impl std::fmt::Debug for AckFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckFuture").finish_non_exhaustive()
    }
}

impl AckFuture {
    /// A future resolved through `rx`, the answer to ack `id` of `table`.
    pub(crate) fn local(
        rx: oneshot::Receiver<Args>,
        table: &Arc<Mutex<AckTable>>,
        id: u64,
    ) -> Self {
        Self {
            rx,
            cleanup: Cleanup::Local {
                table: Arc::downgrade(table),
                id,
            },
        }
    }

    /// A future resolved through `rx`; `on_drop` runs when it is dropped unanswered.
    pub(crate) fn with_cleanup(rx: oneshot::Receiver<Args>, on_drop: OnDrop) -> Self {
        Self {
            rx,
            cleanup: Cleanup::Remote { on_drop },
        }
    }
}

/// Runs a closure once, when dropped.
pub(crate) struct OnDrop(pub(crate) Option<Box<dyn FnOnce() + Send + Sync>>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

impl Future for AckFuture {
    type Output = Result<AckResponse, CallError>;
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let r = std::pin::Pin::new(&mut self.rx).poll(cx);
        if r.is_ready() {
            // Answered or disconnected: the slot is already gone, nothing to free.
            self.cleanup.disarm();
        }
        r.map(|r| r.map(AckResponse).map_err(|_| CallError::Disconnected))
    }
}

/// The arguments a client acknowledged with.
#[derive(Debug, Clone, PartialEq)]
pub struct AckResponse(pub Args);

impl AckResponse {
    /// Decode: one argument as `T`, several as a tuple/array `T`, none as `null`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, CallError> {
        let args = &self.0;
        let r = match args.len() {
            1 => args.get(0),
            0 => serde_json::from_str("null"),
            _ => Args::from_json_array(
                format!("[{}]", args.to_json_array()),
                args.attachments().to_vec(),
            )
            .map_err(|e| serde::de::Error::custom(e.to_string()))
            .and_then(|a| a.get(0)),
        };
        r.map_err(|e| CallError::Decode(e.to_string()))
    }

    /// The raw arguments.
    pub fn args(&self) -> &Args {
        &self.0
    }
}

/// Serializes a handler's return value with the `Result` rule of
/// [`IntoAck`](crate::server::IntoAck).
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

/// How the acknowledgement of a client's event went, as an
/// [`EventMiddleware`](crate::EventMiddleware) sees it once the event ended.
///
/// ```
/// use socketio::AckOutcome;
///
/// fn label(o: &AckOutcome<'_>) -> &'static str {
///     match o {
///         AckOutcome::NotRequested => "no ack asked",
///         AckOutcome::Sent(_) => "acked",
///         AckOutcome::Manual => "acked by an AckSender",
///         AckOutcome::EncodeFailed(_) => "ack not serializable",
///         AckOutcome::Rejected(_) => "handler not called",
///         _ => "other",
///     }
/// }
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum AckOutcome<'a> {
    /// The handler ran; the client asked for no acknowledgement.
    NotRequested,
    /// The handler ran and its return value was sent as this packet.
    Sent(&'a crate::proto::sio::Encoded),
    /// The handler took an [`AckSender`](crate::AckSender): it acknowledges (or not) itself.
    Manual,
    /// The handler ran but its return value could not be serialized; no ack was sent.
    EncodeFailed(&'a crate::proto::sio::EncodeError),
    /// The handler was not called (an extractor or a middleware refused the event); the
    /// client got the rejection ack, if it asked for one.
    Rejected(&'a super::reject::ParamError),
}
