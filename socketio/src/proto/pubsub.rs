//! python-socketio (>= 5.14) message-queue wire format, sans-IO: the vocabulary of the cluster
//! seam ([`Envelope`], [`Operation`], [`PackedArgs`]; re-exported by [`crate::adapter`], whose
//! `Manager` trait speaks it) and its codec. No runtime, no I/O: [`encode`] and [`decode_with`]
//! are pure functions.
//!
//! Every server of a cluster publishes one JSON object per operation on a shared channel
//! (a Redis channel or an AMQP fanout exchange, see `adapter::broker`); every other
//! server decodes it and applies it to its own sockets. This module turns those JSON objects
//! into [`Envelope`]s and back, exactly as python-socketio's `PubSubManager` and
//! `AsyncPubSubManager` write and read them, so Rust and Python servers (and python's
//! `write_only` emitters) can share one channel.
//!
//! | `method` | fields |
//! |---|---|
//! | `emit` | `event`, `data`, `binary`, `namespace`, `room`, `skip_sid`, `callback` |
//! | `disconnect` | `sid`, `namespace` |
//! | `enter_room` / `leave_room` | `sid`, `room`, `namespace` |
//! | `close_room` | `room`, `namespace` |
//! | `callback` | `sid`, `namespace`, `id`, `args` (`host_id` names the host that asked) |
//!
//! Arguments travel in `data` with python's packing rules: one argument `v` is sent as `[v]`,
//! several as `[a, b, …]`, none as `[null]` (what python's `emit(event)` publishes); when any
//! argument contains bytes, `binary` is `true` and `data` is
//! `[<arguments with {"_placeholder": true, "num": n} placeholders>, <base64 of attachment 0>, …]`.
//! On the way in, python's quirks are kept: a one-element list is one argument, and `[null]`
//! means no argument at all (so a single `null` argument cannot cross the queue, in python
//! either).
//!
//! What pub/sub cannot promise: it is fire-and-forget. A message published while the broker
//! (or the link to it) is down is lost, and a server that is reconnecting misses what others
//! published meanwhile; there is no replay, no acknowledgement and no delivery guarantee across
//! reconnects. Within one connected period, messages from one publisher arrive in order.
//!
//! ```
//! use socketio::proto::pubsub::{decode, encode, Envelope, Operation};
//!
//! let env = Envelope {
//!     host_id: "0123456789abcdef0123456789abcdef".into(),
//!     operation: Operation::CloseRoom { room: "lobby".into(), namespace: "/".into() },
//! };
//! let bytes = encode(&env);
//! assert_eq!(decode(&bytes).unwrap(), env);
//! ```

use std::fmt;

use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::proto::binary;
use crate::proto::sio::{self, Args};

/// Limits applied by [`decode_with`] to messages read from the channel.
///
/// `#[non_exhaustive]`: outside this crate, start from `Limits::default()` and assign fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest message, in bytes, that is decoded. Default 8 MiB.
    pub max_message_bytes: usize,
    /// Most binary attachments one `emit` may carry. Default 64.
    pub max_attachments: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 8 * 1024 * 1024,
            max_attachments: 64,
        }
    }
}

/// Why a message read from the channel was not understood. Such messages are skipped; the
/// subscription goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PubSubError {
    /// The message is larger than [`Limits::max_message_bytes`].
    TooLarge {
        /// Size of the message in bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The message is not UTF-8 JSON (for example a Node adapter's msgpack).
    NotJson,
    /// The message is JSON but not an object.
    NotObject,
    /// A field the method needs is missing (or `null`).
    MissingField(&'static str),
    /// A field has the wrong JSON type (or an out-of-range value).
    WrongType(&'static str),
    /// The `method` is not one python-socketio publishes.
    UnknownMethod(String),
    /// A binary attachment is not valid base64.
    BadBase64,
    /// More attachments than [`Limits::max_attachments`].
    TooManyAttachments {
        /// Attachments read before giving up: the limit + 1 (the rest of the message is not
        /// looked at).
        count: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A placeholder refers to an attachment that the message does not carry, or to one that
    /// another placeholder already refers to.
    BadPlaceholder,
}

impl fmt::Display for PubSubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { size, limit } => {
                write!(
                    f,
                    "pub/sub message of {size} bytes exceeds the limit of {limit} bytes"
                )
            }
            Self::NotJson => f.write_str("pub/sub message is not JSON"),
            Self::NotObject => f.write_str("pub/sub message is not a JSON object"),
            Self::MissingField(name) => write!(f, "pub/sub message has no `{name}` field"),
            Self::WrongType(name) => write!(f, "pub/sub message field `{name}` has the wrong type"),
            Self::UnknownMethod(m) => write!(f, "unknown pub/sub method `{m}`"),
            Self::BadBase64 => f.write_str("pub/sub attachment is not valid base64"),
            Self::TooManyAttachments { count, limit } => {
                write!(
                    f,
                    "pub/sub message carries {count} attachments, the limit is {limit}"
                )
            }
            Self::BadPlaceholder => f.write_str("pub/sub placeholder without attachment"),
        }
    }
}

impl std::error::Error for PubSubError {}

/// Event or ack arguments as they travel through the queue.
///
/// They are held as the JSON text of the arguments, comma-separated and without the brackets
/// of their array (`"a",1` for two arguments, empty for none), binary values replaced by
/// `{"_placeholder":true,"num":n}`, plus `attachments[n]`, the bytes of placeholder `n` (the
/// Socket.IO binary convention). The text is a [`Bytes`]: the arguments of a local broadcast
/// are the very bytes of the Socket.IO packet its recipients get (serialized once), and a
/// decoded message is turned into the packet for local recipients without parsing the
/// arguments again ([`PackedArgs::encode_event`]).
///
/// ```
/// use socketio::proto::pubsub::PackedArgs;
///
/// let args = PackedArgs::json(r#"["a", {"k": 1}]"#);
/// assert_eq!(args.elements(), r#""a",{"k": 1}"#);
/// assert_eq!(args.to_json_array(), r#"["a",{"k": 1}]"#);
/// let packet = args.encode_event("/", "ev", None).unwrap();
/// assert_eq!(&packet.text[..], br#"42["ev","a",{"k": 1}]"#);
/// assert!(PackedArgs::json("[]").is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedArgs {
    /// UTF-8 JSON text of the arguments without brackets, top-level commas without spaces.
    elements: Bytes,
    /// Binary attachments, in placeholder order.
    attachments: Vec<Bytes>,
    /// `elements` is known valid JSON whose placeholders name `attachments` (decoded,
    /// serialized by us, or checked when built from text).
    checked: bool,
}

impl PackedArgs {
    /// Arguments without binary attachments, from the text of a JSON array (top-level
    /// whitespace between the arguments is dropped; text that is not a JSON array is kept
    /// as it is and published as it is).
    pub fn json(array: impl Into<String>) -> Self {
        Self::with_attachments(array, Vec::new())
    }

    /// Arguments from the text of a JSON array whose placeholders number into `attachments`.
    pub fn with_attachments(array: impl Into<String>, attachments: Vec<Bytes>) -> Self {
        let array = array.into();
        let checked =
            attachments.is_empty() || binary::check_placeholders(&array, attachments.len()).is_ok();
        let (elements, checked) = match array_elements(&array) {
            Ok(Elements::Canonical(range)) => {
                let mut b = Bytes::from(array);
                b.truncate(range.end);
                (b.split_off(range.start), checked)
            }
            Ok(Elements::Joined(text)) => (Bytes::from(text), checked),
            Err(_) => {
                let t = array.trim();
                let inner = t
                    .strip_prefix('[')
                    .and_then(|t| t.strip_suffix(']'))
                    .unwrap_or(t);
                (Bytes::copy_from_slice(inner.trim().as_bytes()), false)
            }
        };
        Self {
            elements,
            attachments,
            checked,
        }
    }

    /// No arguments.
    pub fn empty() -> Self {
        Self {
            elements: Bytes::new(),
            attachments: Vec::new(),
            checked: true,
        }
    }

    /// The arguments of a received event or ack (copied once: `Args` keeps its own text).
    pub fn from_args(args: &Args) -> Self {
        let mut text = Vec::with_capacity(args.json.len());
        for i in 0..args.len() {
            if i > 0 {
                text.push(b',');
            }
            text.extend_from_slice(args.raw(i).unwrap_or("null").as_bytes());
        }
        Self {
            elements: Bytes::from(text),
            attachments: args.attachments().to_vec(),
            checked: true,
        }
    }

    /// The arguments of a packet encoded by [`sio::encode_event_with_args_span`], sharing
    /// its bytes: `span` is the range that function returned with `enc`.
    pub(crate) fn shared_from_event(enc: &sio::Encoded, span: std::ops::Range<usize>) -> Self {
        let elements = if span.start <= span.end && span.end <= enc.text.len() {
            enc.text.slice(span)
        } else {
            Bytes::new()
        };
        Self {
            elements,
            attachments: enc.attachments.to_vec(),
            checked: true,
        }
    }

    /// The JSON text of the arguments, comma-separated, without brackets.
    pub fn elements(&self) -> &str {
        std::str::from_utf8(&self.elements).unwrap_or_default()
    }

    /// The arguments as the text of a JSON array (`[]` for none).
    pub fn to_json_array(&self) -> String {
        format!("[{}]", self.elements())
    }

    /// True when there is no argument.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// The binary attachments, in placeholder order.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// The arguments as [`Args`] (parsed and checked like a received ack's).
    pub fn to_args(&self) -> Result<Args, sio::DecodeError> {
        Args::from_json_array(self.to_json_array(), self.attachments.clone())
    }

    /// The msgpack EVENT packet of `event` with these arguments, for namespace `nsp` (as
    /// [`Parser::msgpack`](crate::proto::parser::Parser::msgpack) encodes it). Arguments
    /// without attachments that were decoded or serialized by this crate are transcoded from
    /// their JSON text in one pass; others are read into [`Args`] first.
    pub(crate) fn encode_event_msgpack(
        &self,
        nsp: &str,
        event: &str,
        id: Option<u64>,
    ) -> Result<Bytes, String> {
        if self.checked && self.attachments.is_empty() {
            return crate::proto::msgpack::encode_event_from_json(nsp, event, id, self.elements())
                .map_err(|e| e.to_string());
        }
        let args = self.to_args().map_err(|e| e.to_string())?;
        crate::proto::msgpack::encode_event(nsp, event, id, &args).map_err(|e| e.to_string())
    }

    /// The Socket.IO EVENT (or BINARY_EVENT) packet of `event` with these arguments, for
    /// namespace `nsp`. Arguments that were decoded or serialized by this crate are copied
    /// into the packet as they are, without parsing them again; arguments built from text
    /// that is not a JSON array (or whose placeholders do not match the attachments) are
    /// refused.
    pub fn encode_event(
        &self,
        nsp: &str,
        event: &str,
        id: Option<u64>,
    ) -> Result<sio::Encoded, sio::DecodeError> {
        if self.checked {
            Ok(sio::encode_event_json(
                nsp,
                event,
                id,
                &self.elements,
                &self.attachments,
            ))
        } else {
            // Refused by `to_args` (it was checked on construction and failed).
            let args = self.to_args()?;
            sio::encode_event(nsp, event, id, &args).map_err(|_| sio::DecodeError::BadPayload)
        }
    }
}

impl Default for PackedArgs {
    fn default() -> Self {
        Self::empty()
    }
}

/// How the elements of a JSON array are found in its text.
enum Elements {
    /// The elements are `text[range]` as they are: no whitespace around the top-level commas.
    Canonical(std::ops::Range<usize>),
    /// Joined again with bare commas (or empty: no element).
    Joined(String),
}

/// The elements of the JSON array `text` (text from a caller, so parsed: this validates it).
/// No list of the elements is built: the common canonical case is one range of `text`.
fn array_elements(text: &str) -> Result<Elements, serde_json::Error> {
    use serde::de::{DeserializeSeed, SeqAccess, Visitor};

    struct Walk<'b> {
        base: &'b str,
    }
    impl<'de> DeserializeSeed<'de> for Walk<'_> {
        type Value = Elements;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Walk<'_> {
        type Value = Elements;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            // `range`: the elements so far while they are canonical; `joined` from the first
            // element that is not.
            let mut range: Option<std::ops::Range<usize>> = None;
            let mut joined: Option<String> = None;
            while let Some(item) = seq.next_element::<&'de RawValue>()? {
                let t = item.get();
                if let Some(j) = joined.as_mut() {
                    j.push(',');
                    j.push_str(t);
                    continue;
                }
                let start = offset_in(self.base, t);
                range = match (range.take(), start) {
                    (None, Some(st)) => Some(st..st + t.len()),
                    (Some(r), Some(st)) if self.base.get(r.end..st) == Some(",") => {
                        Some(r.start..st + t.len())
                    }
                    (r, _) => {
                        let mut j = r
                            .and_then(|r| self.base.get(r))
                            .map(str::to_owned)
                            .unwrap_or_default();
                        if !j.is_empty() {
                            j.push(',');
                        }
                        j.push_str(t);
                        joined = Some(j);
                        None
                    }
                };
            }
            Ok(match (joined, range) {
                (Some(j), _) => Elements::Joined(j),
                (None, Some(r)) => Elements::Canonical(r),
                (None, None) => Elements::Joined(String::new()),
            })
        }
    }

    let mut de = serde_json::Deserializer::from_str(text);
    let elements = Walk { base: text }.deserialize(&mut de)?;
    de.end()?;
    Ok(elements)
}

/// Where `part` (a slice of `whole`) starts in `whole`.
fn offset_in(whole: &str, part: &str) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (start + part.len() <= whole.len()).then_some(start)
}

/// One name or a list of names: the `room` and `skip_sid` fields of an `emit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOrMany {
    /// A single sid or room.
    One(String),
    /// A list of sids or rooms.
    Many(Vec<String>),
}

impl OneOrMany {
    /// python's `room` / `skip_sid` value for `names`: `None` (`null`) for none, one name, or
    /// a list.
    ///
    /// ```
    /// use socketio::proto::pubsub::OneOrMany;
    /// assert_eq!(OneOrMany::from_names::<&str>(&[]), None);
    /// assert_eq!(OneOrMany::from_names(&["a"]), Some(OneOrMany::One("a".into())));
    /// ```
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Option<Self> {
        match names {
            [] => None,
            [one] => Some(Self::One(one.as_ref().to_owned())),
            many => Some(Self::Many(
                many.iter().map(|s| s.as_ref().to_owned()).collect(),
            )),
        }
    }

    /// The names, whichever form they came in.
    pub fn as_slice(&self) -> &[String] {
        match self {
            Self::One(s) => std::slice::from_ref(s),
            Self::Many(v) => v,
        }
    }
}

/// A cross-server ack request carried by an `emit`: the host that owns the target socket
/// sends the event with an ack id of its own and, when the client answers, publishes a
/// [`Operation::Callback`] back to the envelope's `host_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackRef {
    /// The `room` value the asking host keyed its ack on (python: the sid or room emitted to).
    pub sid: String,
    /// Namespace of the emit.
    pub namespace: String,
    /// Ack id allocated by the asking host.
    pub id: u64,
}

/// One operation shared through the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Emit an event to the sockets of a namespace (python `method: "emit"`).
    Emit {
        /// Event name.
        event: String,
        /// Event arguments.
        args: PackedArgs,
        /// Namespace (`/` when the sender gave none).
        namespace: String,
        /// `None`: every socket of the namespace; else a sid, a room or a list of rooms.
        room: Option<OneOrMany>,
        /// Sids that must not receive the event.
        skip_sid: Option<OneOrMany>,
        /// Set when the sender wants the ack back.
        callback: Option<CallbackRef>,
    },
    /// Disconnect socket `sid` from `namespace` (python `method: "disconnect"`).
    Disconnect {
        /// Socket id.
        sid: String,
        /// Namespace.
        namespace: String,
    },
    /// Add socket `sid` to `room`, on the server that holds it (`method: "enter_room"`).
    EnterRoom {
        /// Socket id.
        sid: String,
        /// Namespace.
        namespace: String,
        /// Room to enter.
        room: String,
    },
    /// Remove socket `sid` from `room`, on the server that holds it (`method: "leave_room"`).
    LeaveRoom {
        /// Socket id.
        sid: String,
        /// Namespace.
        namespace: String,
        /// Room to leave.
        room: String,
    },
    /// Remove every socket from `room` (`method: "close_room"`).
    CloseRoom {
        /// Room to close.
        room: String,
        /// Namespace.
        namespace: String,
    },
    /// An ack answer routed back to the host that asked (`method: "callback"`); only the host
    /// whose id equals the envelope's `host_id` acts on it.
    Callback {
        /// The `sid` of the [`CallbackRef`] (the asking host's ack key).
        sid: String,
        /// Namespace.
        namespace: String,
        /// Ack id of the [`CallbackRef`].
        id: u64,
        /// The ack arguments. python cannot carry bytes here; attachments travel in an extra
        /// `attachments` field (base64) that python ignores.
        args: PackedArgs,
    },
}

impl Operation {
    /// The python `method` name of this message.
    pub fn method(&self) -> &'static str {
        match self {
            Self::Emit { .. } => "emit",
            Self::Disconnect { .. } => "disconnect",
            Self::EnterRoom { .. } => "enter_room",
            Self::LeaveRoom { .. } => "leave_room",
            Self::CloseRoom { .. } => "close_room",
            Self::Callback { .. } => "callback",
        }
    }
}

/// A message with the id of the host that published it (for [`Operation::Callback`], the host
/// that must act on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Publishing host (32 hex digits for python and [`new_host_id`]); empty when a foreign
    /// publisher sent none.
    pub host_id: String,
    /// The operation.
    pub operation: Operation,
}

impl Envelope {
    /// Whether a server with id `local_host_id` must apply this message: python's rule, i.e.
    /// a `callback` only on the host it names, anything else only on other hosts.
    pub fn is_for(&self, local_host_id: &str) -> bool {
        match self.operation {
            Operation::Callback { .. } => self.host_id == local_host_id,
            _ => self.host_id != local_host_id,
        }
    }
}

/// A fresh host id: 32 lowercase hex digits (128 bits) from a cryptographically secure RNG,
/// the same form as python's `uuid.uuid4().hex`.
pub fn new_host_id() -> String {
    use rand::Rng as _;
    // `ThreadRng` is a CSPRNG (ChaCha, reseeded from the OS).
    let v: u128 = rand::rng().random();
    format!("{v:032x}")
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

fn push_str(out: &mut Vec<u8>, s: &str) {
    // Serializing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn push_key(out: &mut Vec<u8>, key: &str) {
    out.push(b',');
    push_str(out, key);
    out.push(b':');
}

fn push_u64(out: &mut Vec<u8>, n: u64) {
    let _ = serde_json::to_writer(&mut *out, &n);
}

fn push_one_or_many(out: &mut Vec<u8>, v: &Option<OneOrMany>) {
    match v {
        None => out.extend_from_slice(b"null"),
        Some(OneOrMany::One(s)) => push_str(out, s),
        Some(OneOrMany::Many(list)) => {
            out.push(b'[');
            for (i, s) in list.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_str(out, s);
            }
            out.push(b']');
        }
    }
}

/// `"<base64>"` for each attachment, comma-separated.
fn push_b64_list(out: &mut Vec<u8>, attachments: &[Bytes]) {
    for (i, a) in attachments.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        let at = out.len();
        out.resize(at + base64::encoded_len(a.len(), true).unwrap_or(0), 0);
        if let Some(dst) = out.get_mut(at..) {
            let n = base64::engine::general_purpose::STANDARD
                .encode_slice(a, dst)
                .unwrap_or(0);
            out.truncate(at + n);
        }
        out.push(b'"');
    }
}

/// Encode an envelope as python-socketio publishes it: one JSON object with every field of
/// its method, keys in python's order. The arguments' text is embedded as it is; no argument
/// is written `[null]`, as python's `emit(event)` does.
pub fn encode(env: &Envelope) -> Vec<u8> {
    let args_len = match &env.operation {
        Operation::Emit { args, .. } | Operation::Callback { args, .. } => {
            args.elements.len()
                + args
                    .attachments
                    .iter()
                    .map(|a| a.len() * 4 / 3 + 4)
                    .sum::<usize>()
        }
        _ => 0,
    };
    let mut out = Vec::with_capacity(160 + args_len);
    out.extend_from_slice(b"{\"method\":");
    push_str(&mut out, env.operation.method());
    match &env.operation {
        Operation::Emit {
            event,
            args,
            namespace,
            room,
            skip_sid,
            callback,
        } => {
            push_key(&mut out, "event");
            push_str(&mut out, event);
            push_key(&mut out, "data");
            let binary = !args.attachments.is_empty();
            if binary {
                out.extend_from_slice(b"[[");
                out.extend_from_slice(&args.elements);
                out.extend_from_slice(b"],");
                push_b64_list(&mut out, &args.attachments);
                out.push(b']');
            } else if args.is_empty() {
                out.extend_from_slice(b"[null]");
            } else {
                out.push(b'[');
                out.extend_from_slice(&args.elements);
                out.push(b']');
            }
            push_key(&mut out, "binary");
            out.extend_from_slice(if binary { b"true" } else { b"false" });
            push_key(&mut out, "namespace");
            push_str(&mut out, namespace);
            push_key(&mut out, "room");
            push_one_or_many(&mut out, room);
            push_key(&mut out, "skip_sid");
            push_one_or_many(&mut out, skip_sid);
            push_key(&mut out, "callback");
            match callback {
                None => out.extend_from_slice(b"null"),
                Some(cb) => {
                    out.push(b'[');
                    push_str(&mut out, &cb.sid);
                    out.push(b',');
                    push_str(&mut out, &cb.namespace);
                    out.push(b',');
                    push_u64(&mut out, cb.id);
                    out.push(b']');
                }
            }
        }
        Operation::Disconnect { sid, namespace } => {
            push_key(&mut out, "sid");
            push_str(&mut out, sid);
            push_key(&mut out, "namespace");
            push_str(&mut out, namespace);
        }
        Operation::EnterRoom {
            sid,
            namespace,
            room,
        }
        | Operation::LeaveRoom {
            sid,
            namespace,
            room,
        } => {
            push_key(&mut out, "sid");
            push_str(&mut out, sid);
            push_key(&mut out, "room");
            push_str(&mut out, room);
            push_key(&mut out, "namespace");
            push_str(&mut out, namespace);
        }
        Operation::CloseRoom { room, namespace } => {
            push_key(&mut out, "room");
            push_str(&mut out, room);
            push_key(&mut out, "namespace");
            push_str(&mut out, namespace);
        }
        Operation::Callback {
            sid,
            namespace,
            id,
            args,
        } => {
            push_key(&mut out, "host_id");
            push_str(&mut out, &env.host_id);
            push_key(&mut out, "sid");
            push_str(&mut out, sid);
            push_key(&mut out, "namespace");
            push_str(&mut out, namespace);
            push_key(&mut out, "id");
            push_u64(&mut out, *id);
            push_key(&mut out, "args");
            out.push(b'[');
            out.extend_from_slice(&args.elements);
            out.push(b']');
            if !args.attachments.is_empty() {
                out.extend_from_slice(b",\"attachments\":[");
                push_b64_list(&mut out, &args.attachments);
                out.push(b']');
            }
            out.push(b'}');
            return out;
        }
    }
    push_key(&mut out, "host_id");
    push_str(&mut out, &env.host_id);
    out.push(b'}');
    out
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct RawMessage<'a> {
    method: Option<Value>,
    host_id: Option<Value>,
    event: Option<Value>,
    // `data: null` is present (python: no argument), unlike a missing `data`.
    #[serde(borrow, default, deserialize_with = "present")]
    data: Option<&'a RawValue>,
    binary: Option<Value>,
    namespace: Option<Value>,
    room: Option<Value>,
    skip_sid: Option<Value>,
    callback: Option<Value>,
    sid: Option<Value>,
    id: Option<Value>,
    #[serde(borrow, default, deserialize_with = "present")]
    args: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    attachments: Option<&'a RawValue>,
}

fn present<'de, D>(d: D) -> Result<Option<&'de RawValue>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    <&'de RawValue as Deserialize<'de>>::deserialize(d).map(Some)
}

fn string(v: Option<Value>, name: &'static str) -> Result<String, PubSubError> {
    match v {
        None | Some(Value::Null) => Err(PubSubError::MissingField(name)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(PubSubError::WrongType(name)),
    }
}

fn namespace(v: Option<Value>) -> Result<String, PubSubError> {
    match v {
        None | Some(Value::Null) => Ok("/".to_owned()),
        Some(Value::String(s)) if s.is_empty() => Ok("/".to_owned()),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(PubSubError::WrongType("namespace")),
    }
}

fn one_or_many(v: Option<Value>, name: &'static str) -> Result<Option<OneOrMany>, PubSubError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(OneOrMany::One(s))),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Ok(s),
                _ => Err(PubSubError::WrongType(name)),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|v| Some(OneOrMany::Many(v))),
        Some(_) => Err(PubSubError::WrongType(name)),
    }
}

fn ack_id(v: &Value, name: &'static str) -> Result<u64, PubSubError> {
    v.as_u64().ok_or(PubSubError::WrongType(name))
}

fn callback_ref(v: Option<Value>) -> Result<Option<CallbackRef>, PubSubError> {
    match v {
        // python only honours a three-element callback and ignores anything else.
        Some(Value::Array(items)) if items.len() == 3 => match items.as_slice() {
            [Value::String(sid), Value::String(ns), id] => Ok(Some(CallbackRef {
                sid: sid.clone(),
                namespace: if ns.is_empty() {
                    "/".to_owned()
                } else {
                    ns.clone()
                },
                id: ack_id(id, "callback")?,
            })),
            _ => Err(PubSubError::WrongType("callback")),
        },
        None | Some(Value::Null) | Some(Value::Array(_)) => Ok(None),
        Some(_) => Err(PubSubError::WrongType("callback")),
    }
}

/// Apply python's receive rule to the (reconstructed) `data`: a list of one element is one
/// argument, a longer or empty list is several, anything else is one argument, and a lone
/// `null` is no argument at all.
fn unpack_args(data: &RawValue) -> Result<Bytes, PubSubError> {
    let text = data.get().trim();
    if text.starts_with('[') {
        elements_of(text, true, "data")
    } else if text == "null" {
        Ok(Bytes::new())
    } else {
        Ok(Bytes::copy_from_slice(text.as_bytes()))
    }
}

/// The elements of the JSON array `text`, a field the message's parse validated already: a
/// byte scan (no second JSON parse) drops the whitespace around the top-level commas, as
/// [`array_elements`] does; the text is copied once.
fn elements_of(
    text: &str,
    lone_null_is_none: bool,
    name: &'static str,
) -> Result<Bytes, PubSubError> {
    let inner = text
        .trim()
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or(PubSubError::WrongType(name))?;
    if lone_null_is_none && inner.trim() == "null" {
        return Ok(Bytes::new());
    }
    let bytes = inner.as_bytes();
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    if !bytes.iter().any(space) {
        // What we and JS publish: nothing to drop.
        return Ok(Bytes::copy_from_slice(bytes));
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut out: Option<Vec<u8>> = None;
    for (i, &b) in bytes.iter().enumerate() {
        let top_space = if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            false
        } else {
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => depth += 1,
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
            depth == 0 && space(&b)
        };
        match (&mut out, top_space) {
            (None, true) => {
                out = Some(bytes.get(..i).unwrap_or_default().to_vec());
            }
            (Some(o), false) => o.push(b),
            _ => {}
        }
    }
    Ok(match out {
        Some(o) => Bytes::from(o),
        None => Bytes::copy_from_slice(bytes),
    })
}

fn decode_b64(items: impl Iterator<Item = Value>) -> Result<Vec<Bytes>, PubSubError> {
    items
        .map(|v| match v {
            Value::String(s) => base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map(Bytes::from)
                .map_err(|_| PubSubError::BadBase64),
            _ => Err(PubSubError::WrongType("data")),
        })
        .collect()
}

/// Check every placeholder in `json` names an attachment that exists and no two name the same
/// one (the decoding rule of [`crate::proto::binary`], shared with client packets).
fn check_placeholders(json: &str, count: usize) -> Result<(), PubSubError> {
    crate::proto::binary::check_placeholders(json, count)
        .map(|_| ())
        .map_err(|_| PubSubError::BadPlaceholder)
}

/// Why [`bounded_array`] refused its input.
enum ArrayError {
    NotArray,
    TooMany,
}

/// The elements of the JSON array `json`, at most `limit` of them: parsing stops at the
/// element after the limit, so a huge array costs no more than `limit` slots.
fn bounded_array(json: &str, limit: usize) -> Result<Vec<&RawValue>, ArrayError> {
    use serde::de::{DeserializeSeed, Error as _, SeqAccess, Visitor};

    struct Bounded<'c> {
        limit: usize,
        over: &'c std::cell::Cell<bool>,
    }
    impl<'de> DeserializeSeed<'de> for Bounded<'_> {
        type Value = Vec<&'de RawValue>;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Bounded<'_> {
        type Value = Vec<&'de RawValue>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element::<&'de RawValue>()? {
                if out.len() >= self.limit {
                    self.over.set(true);
                    return Err(A::Error::custom("too many elements"));
                }
                out.push(item);
            }
            Ok(out)
        }
    }

    let over = std::cell::Cell::new(false);
    let mut de = serde_json::Deserializer::from_str(json);
    let items = Bounded { limit, over: &over }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    items.map_err(|_| {
        if over.get() {
            ArrayError::TooMany
        } else {
            ArrayError::NotArray
        }
    })
}

fn emit_args(
    data: Option<&RawValue>,
    binary: bool,
    limits: &Limits,
) -> Result<PackedArgs, PubSubError> {
    let data = data.ok_or(PubSubError::MissingField("data"))?;
    if !binary {
        return Ok(PackedArgs {
            elements: unpack_args(data)?,
            attachments: Vec::new(),
            checked: true,
        });
    }
    // `[<args with placeholders>, <base64>, …]`
    let limit = limits.max_attachments;
    let items = bounded_array(data.get(), limit.saturating_add(1)).map_err(|e| match e {
        ArrayError::NotArray => PubSubError::WrongType("data"),
        ArrayError::TooMany => PubSubError::TooManyAttachments {
            count: limit.saturating_add(1),
            limit,
        },
    })?;
    let (first, rest) = items.split_first().ok_or(PubSubError::WrongType("data"))?;
    let attachments = decode_b64(
        rest.iter()
            .map(|r| serde_json::from_str::<Value>(r.get()).unwrap_or(Value::Null)),
    )?;
    let elements = unpack_args(first)?;
    check_placeholders(first.get(), attachments.len())?;
    Ok(PackedArgs {
        elements,
        attachments,
        checked: true,
    })
}

fn callback_args(
    args: Option<&RawValue>,
    attachments: Option<&RawValue>,
    limits: &Limits,
) -> Result<PackedArgs, PubSubError> {
    let args = args.ok_or(PubSubError::MissingField("args"))?;
    let text = args.get().trim();
    if !text.starts_with('[') {
        return Err(PubSubError::WrongType("args"));
    }
    let attachments = match attachments.map(|a| a.get().trim()) {
        None | Some("null") => Vec::new(),
        Some(list) if list.starts_with('[') => {
            let limit = limits.max_attachments;
            let items = bounded_array(list, limit).map_err(|e| match e {
                ArrayError::NotArray => PubSubError::WrongType("attachments"),
                ArrayError::TooMany => PubSubError::TooManyAttachments {
                    count: limit.saturating_add(1),
                    limit,
                },
            })?;
            decode_b64(
                items
                    .iter()
                    .map(|r| serde_json::from_str::<Value>(r.get()).unwrap_or(Value::Null)),
            )
            .map_err(|e| match e {
                PubSubError::WrongType(_) => PubSubError::WrongType("attachments"),
                e => e,
            })?
        }
        Some(_) => return Err(PubSubError::WrongType("attachments")),
    };
    if !attachments.is_empty() {
        check_placeholders(text, attachments.len())?;
    }
    Ok(PackedArgs {
        elements: elements_of(text, false, "args")?,
        attachments,
        checked: true,
    })
}

/// Decode one message read from the channel with the default [`Limits`].
pub fn decode(bytes: &[u8]) -> Result<Envelope, PubSubError> {
    decode_with(bytes, &Limits::default())
}

/// Decode one message read from the channel. Accepts everything python-socketio (>= 5.14)
/// publishes, ignores unknown extra fields, and rejects anything else with a typed error.
pub fn decode_with(bytes: &[u8], limits: &Limits) -> Result<Envelope, PubSubError> {
    decode_routed(bytes, limits, None).and_then(|e| e.ok_or(PubSubError::MissingField("method")))
}

/// [`decode_with`] for the server whose host id is `local_host_id`: `Ok(None)` for a message
/// [`Envelope::is_for`] would refuse (its own, or a `callback` for another host), known as
/// soon as `method` and `host_id` are read, before the arguments are looked at. This is what
/// a listener calls: every server reads its own messages back from the channel.
///
/// ```
/// use socketio::proto::pubsub::{Limits, decode_for};
/// let m = br#"{"method":"close_room","room":"r","host_id":"me"}"#;
/// assert_eq!(decode_for(m, &Limits::default(), "me"), Ok(None));
/// assert!(decode_for(m, &Limits::default(), "other").unwrap().is_some());
/// ```
pub fn decode_for(
    bytes: &[u8],
    limits: &Limits,
    local_host_id: &str,
) -> Result<Option<Envelope>, PubSubError> {
    decode_routed(bytes, limits, Some(local_host_id))
}

fn decode_routed(
    bytes: &[u8],
    limits: &Limits,
    local_host_id: Option<&str>,
) -> Result<Option<Envelope>, PubSubError> {
    if bytes.len() > limits.max_message_bytes {
        return Err(PubSubError::TooLarge {
            size: bytes.len(),
            limit: limits.max_message_bytes,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| PubSubError::NotJson)?;
    if !text.trim_start().starts_with('{') {
        return match serde_json::from_str::<&RawValue>(text) {
            Ok(_) => Err(PubSubError::NotObject),
            Err(_) => Err(PubSubError::NotJson),
        };
    }
    let raw: RawMessage<'_> = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            PubSubError::WrongType("message")
        } else {
            PubSubError::NotJson
        }
    })?;
    let method = string(raw.method, "method")?;
    let host_id = match raw.host_id {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s,
        Some(_) => return Err(PubSubError::WrongType("host_id")),
    };
    if let Some(local) = local_host_id {
        // `Envelope::is_for`, before the rest is decoded.
        if (method == "callback") != (host_id == local) {
            return Ok(None);
        }
    }
    let message = match method.as_str() {
        "emit" => {
            let binary = match raw.binary {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => b,
                Some(_) => return Err(PubSubError::WrongType("binary")),
            };
            Operation::Emit {
                event: string(raw.event, "event")?,
                args: emit_args(raw.data, binary, limits)?,
                namespace: namespace(raw.namespace)?,
                room: one_or_many(raw.room, "room")?,
                skip_sid: one_or_many(raw.skip_sid, "skip_sid")?,
                callback: callback_ref(raw.callback)?,
            }
        }
        "disconnect" => Operation::Disconnect {
            sid: string(raw.sid, "sid")?,
            namespace: namespace(raw.namespace)?,
        },
        "enter_room" => Operation::EnterRoom {
            sid: string(raw.sid, "sid")?,
            namespace: namespace(raw.namespace)?,
            room: string(raw.room, "room")?,
        },
        "leave_room" => Operation::LeaveRoom {
            sid: string(raw.sid, "sid")?,
            namespace: namespace(raw.namespace)?,
            room: string(raw.room, "room")?,
        },
        "close_room" => Operation::CloseRoom {
            room: string(raw.room, "room")?,
            namespace: namespace(raw.namespace)?,
        },
        "callback" => Operation::Callback {
            sid: string(raw.sid, "sid")?,
            namespace: namespace(raw.namespace)?,
            id: ack_id(&raw.id.ok_or(PubSubError::MissingField("id"))?, "id")?,
            args: callback_args(raw.args, raw.attachments, limits)?,
        },
        _ => return Err(PubSubError::UnknownMethod(method)),
    };
    Ok(Some(Envelope {
        host_id,
        operation: message,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use proptest::prelude::*;

    const H: &str = "0123456789abcdef0123456789abcdef";

    fn env(operation: Operation) -> Envelope {
        Envelope {
            host_id: H.into(),
            operation,
        }
    }

    fn emit(args: PackedArgs) -> Operation {
        Operation::Emit {
            event: "ev".into(),
            args,
            namespace: "/".into(),
            room: None,
            skip_sid: None,
            callback: None,
        }
    }

    fn json_of(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn host_id_is_32_lowercase_hex_and_random() {
        let a = new_host_id();
        let b = new_host_id();
        assert_eq!(a.len(), 32);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }

    #[test]
    fn encodes_emit_like_python() {
        let e = env(Operation::Emit {
            event: "msg".into(),
            args: PackedArgs::json(r#"[{"a":1}]"#),
            namespace: "/chat".into(),
            room: Some(OneOrMany::Many(vec!["r1".into(), "r2".into()])),
            skip_sid: Some(OneOrMany::One("s1".into())),
            callback: Some(CallbackRef {
                sid: "r1".into(),
                namespace: "/chat".into(),
                id: 7,
            }),
        });
        let text = String::from_utf8(encode(&e)).unwrap();
        assert_eq!(
            text,
            r#"{"method":"emit","event":"msg","data":[{"a":1}],"binary":false,"namespace":"/chat","room":["r1","r2"],"skip_sid":"s1","callback":["r1","/chat",7],"host_id":"0123456789abcdef0123456789abcdef"}"#
        );
        assert_eq!(decode(text.as_bytes()).unwrap(), e);
    }

    #[test]
    fn zero_args_are_published_as_null_list_and_read_back_as_none() {
        let bytes = encode(&env(emit(PackedArgs::empty())));
        assert_eq!(json_of(&bytes)["data"], serde_json::json!([null]));
        assert_eq!(decode(&bytes).unwrap(), env(emit(PackedArgs::empty())));
    }

    #[test]
    fn python_data_packing_quirks() {
        let dec = |data: &str| {
            let m = format!(r#"{{"method":"emit","event":"e","data":{data},"host_id":"x"}}"#);
            match decode(m.as_bytes()).unwrap().operation {
                Operation::Emit { args, .. } => args.to_json_array(),
                _ => unreachable!(),
            }
        };
        assert_eq!(dec("[null]"), "[]");
        assert_eq!(dec("[]"), "[]");
        assert_eq!(dec("[1]"), "[1]");
        // Top-level spacing goes (as a Socket.IO packet writes its arguments), inner stays.
        assert_eq!(dec("[1, 2]"), "[1,2]");
        assert_eq!(dec("[ 1 ,\n2 ]"), "[1,2]");
        assert_eq!(dec("[[1, 2]]"), "[[1, 2]]");
        assert_eq!(dec("null"), "[]");
        assert_eq!(dec(r#""x""#), r#"["x"]"#);
        assert_eq!(dec(r#"{"a": 1}"#), r#"[{"a": 1}]"#);
    }

    #[test]
    fn binary_emit_round_trip_and_python_shape() {
        let args = PackedArgs::with_attachments(
            r#"[{"f":{"_placeholder":true,"num":0}},"t",{"_placeholder":true,"num":1}]"#,
            vec![Bytes::from_static(b"\x00\x01"), Bytes::from_static(b"hi")],
        );
        let e = env(emit(args));
        let bytes = encode(&e);
        let v = json_of(&bytes);
        assert_eq!(v["binary"], true);
        assert_eq!(v["data"][1], "AAE=");
        assert_eq!(v["data"][2], "aGk=");
        assert_eq!(v["data"][0][1], "t");
        assert_eq!(decode(&bytes).unwrap(), e);
    }

    #[test]
    fn binary_single_argument_is_wrapped_like_python() {
        // python: emit('e', b'\x01') -> data = [[{"_placeholder": true, "num": 0}], "AQ=="]
        let m = br#"{"method": "emit", "event": "e", "data": [[{"_placeholder": true, "num": 0}], "AQ=="], "binary": true, "namespace": "/", "room": null, "skip_sid": null, "callback": null, "host_id": "h"}"#;
        let Operation::Emit { args, .. } = decode(m).unwrap().operation else {
            panic!()
        };
        assert_eq!(args.elements(), r#"{"_placeholder": true, "num": 0}"#);
        assert_eq!(args.attachments(), [Bytes::from_static(b"\x01")]);
        let again = encode(&env(emit(args.clone())));
        assert_eq!(json_of(&again)["data"], json_of(&m[..])["data"]);
    }

    #[test]
    fn other_methods_round_trip_with_python_key_order() {
        let cases = [
            (
                Operation::Disconnect {
                    sid: "s".into(),
                    namespace: "/".into(),
                },
                r#"{"method":"disconnect","sid":"s","namespace":"/","host_id":"#,
            ),
            (
                Operation::EnterRoom {
                    sid: "s".into(),
                    namespace: "/a".into(),
                    room: "r".into(),
                },
                r#"{"method":"enter_room","sid":"s","room":"r","namespace":"/a","host_id":"#,
            ),
            (
                Operation::LeaveRoom {
                    sid: "s".into(),
                    namespace: "/a".into(),
                    room: "r".into(),
                },
                r#"{"method":"leave_room","sid":"s","room":"r","namespace":"/a","host_id":"#,
            ),
            (
                Operation::CloseRoom {
                    room: "r".into(),
                    namespace: "/".into(),
                },
                r#"{"method":"close_room","room":"r","namespace":"/","host_id":"#,
            ),
            (
                Operation::Callback {
                    sid: "s".into(),
                    namespace: "/".into(),
                    id: 3,
                    args: PackedArgs::json(r#"["ok",2]"#),
                },
                r#"{"method":"callback","host_id":"#,
            ),
        ];
        for (m, prefix) in cases {
            let e = env(m);
            let text = String::from_utf8(encode(&e)).unwrap();
            assert!(text.starts_with(prefix), "{text}");
            assert_eq!(decode(text.as_bytes()).unwrap(), e);
        }
    }

    #[test]
    fn callback_attachments_travel_in_extra_field() {
        let e = env(Operation::Callback {
            sid: "s".into(),
            namespace: "/".into(),
            id: 1,
            args: PackedArgs::with_attachments(
                r#"[{"_placeholder":true,"num":0}]"#,
                vec![Bytes::from_static(b"abc")],
            ),
        });
        let bytes = encode(&e);
        assert_eq!(json_of(&bytes)["attachments"], serde_json::json!(["YWJj"]));
        assert_eq!(decode(&bytes).unwrap(), e);
    }

    #[test]
    fn is_for_follows_python_routing() {
        let mine = env(Operation::CloseRoom {
            room: "r".into(),
            namespace: "/".into(),
        });
        assert!(!mine.is_for(H));
        assert!(mine.is_for("other"));
        let cb = env(Operation::Callback {
            sid: "s".into(),
            namespace: "/".into(),
            id: 1,
            args: PackedArgs::empty(),
        });
        assert!(cb.is_for(H));
        assert!(!cb.is_for("other"));
    }

    #[test]
    fn decode_for_applies_is_for_before_the_arguments() {
        let l = Limits::default();
        for m in [
            &br#"{"method":"emit","event":"e","data":[1],"host_id":"a"}"#[..],
            br#"{"method":"callback","sid":"s","id":1,"args":[2],"host_id":"a"}"#,
            br#"{"method":"disconnect","sid":"s","host_id":""}"#,
        ] {
            for local in ["a", "b", ""] {
                let full = decode_with(m, &l).unwrap();
                let want = full.is_for(local).then_some(full);
                assert_eq!(decode_for(m, &l, local).unwrap(), want);
            }
        }
        // Its own message is skipped before its (bad) arguments are read.
        let own = br#"{"method":"emit","event":"e","data":[[1],"@@"],"binary":true,"host_id":"a"}"#;
        assert_eq!(decode_for(own, &l, "a"), Ok(None));
        assert_eq!(decode_for(own, &l, "b"), Err(PubSubError::BadBase64));
    }

    #[test]
    fn defaults_and_extra_fields() {
        let m = br#"{"method":"disconnect","sid":"s","extra":{"x":[1]},"host_id":"h"}"#;
        assert_eq!(
            decode(m).unwrap(),
            Envelope {
                host_id: "h".into(),
                operation: Operation::Disconnect {
                    sid: "s".into(),
                    namespace: "/".into()
                }
            }
        );
        let m = br#"{"method":"close_room","room":"r","namespace":null}"#;
        assert_eq!(decode(m).unwrap().host_id, "");
        // python ignores a callback that is not a three-element list
        let m = br#"{"method":"emit","event":"e","data":[1],"callback":["a","/"]}"#;
        let Operation::Emit { callback, .. } = decode(m).unwrap().operation else {
            panic!()
        };
        assert_eq!(callback, None);
    }

    #[test]
    fn rejects_malformed_and_foreign_messages() {
        use PubSubError::*;
        let cases: &[(&[u8], PubSubError)] = &[
            (b"\x93\xa7emitter", NotJson),
            (b"not json", NotJson),
            (b"[1,2]", NotObject),
            (b"\"s\"", NotObject),
            (b"{\"method\":1}", WrongType("method")),
            (b"{}", MissingField("method")),
            (b"{\"method\":\"bogus\"}", UnknownMethod("bogus".into())),
            (b"{\"method\":\"emit\",\"data\":[1]}", MissingField("event")),
            (b"{\"method\":\"emit\",\"event\":\"e\"}", MissingField("data")),
            (b"{\"method\":\"emit\",\"event\":\"e\",\"data\":[1],\"room\":5}", WrongType("room")),
            (b"{\"method\":\"emit\",\"event\":\"e\",\"data\":[1],\"skip_sid\":[1]}", WrongType("skip_sid")),
            (b"{\"method\":\"emit\",\"event\":\"e\",\"data\":[1],\"binary\":\"yes\"}", WrongType("binary")),
            (b"{\"method\":\"emit\",\"event\":\"e\",\"data\":[1],\"callback\":[\"a\",\"/\",-1]}", WrongType("callback")),
            (b"{\"method\":\"emit\",\"event\":\"e\",\"data\":[],\"binary\":true}", WrongType("data")),
            (b"{\"method\":\"emit\",\"event\":\"e\",\"data\":[[1],\"@@\"],\"binary\":true}", BadBase64),
            (b"{\"method\":\"emit\",\"event\":\"e\",\"data\":[[1],7],\"binary\":true}", WrongType("data")),
            (b"{\"method\":\"emit\",\"event\":\"e\",\"data\":[[{\"_placeholder\":true,\"num\":1}],\"AA==\"],\"binary\":true}", BadPlaceholder),
            (b"{\"method\":\"emit\",\"event\":\"e\",\"data\":[[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":0}],\"AA==\"],\"binary\":true}", BadPlaceholder),
            (b"{\"method\":\"callback\",\"sid\":\"s\",\"id\":1,\"args\":[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":0}],\"attachments\":[\"AA==\"]}", BadPlaceholder),
            (b"{\"method\":\"disconnect\"}", MissingField("sid")),
            (b"{\"method\":\"enter_room\",\"sid\":\"s\"}", MissingField("room")),
            (b"{\"method\":\"callback\",\"sid\":\"s\",\"id\":\"1\",\"args\":[]}", WrongType("id")),
            (b"{\"method\":\"callback\",\"sid\":\"s\",\"id\":1,\"args\":{}}", WrongType("args")),
            (b"{\"method\":\"callback\",\"sid\":\"s\",\"id\":1}", MissingField("args")),
            (b"{\"method\":\"close_room\",\"room\":\"r\",\"host_id\":5}", WrongType("host_id")),
        ];
        for (input, want) in cases {
            assert_eq!(
                &decode(input).unwrap_err(),
                want,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn message_size_limit_at_limit_and_plus_one() {
        let m = br#"{"method":"close_room","room":"r"}"#;
        let limits = Limits {
            max_message_bytes: m.len(),
            ..Limits::default()
        };
        assert!(decode_with(m, &limits).is_ok());
        let limits = Limits {
            max_message_bytes: m.len() - 1,
            ..Limits::default()
        };
        assert_eq!(
            decode_with(m, &limits).unwrap_err(),
            PubSubError::TooLarge {
                size: m.len(),
                limit: m.len() - 1
            }
        );
    }

    #[test]
    fn attachment_limit_at_limit_and_plus_one() {
        let args = |n: usize| {
            PackedArgs::with_attachments(
                format!(
                    "[{}]",
                    (0..n)
                        .map(|i| format!(r#"{{"_placeholder":true,"num":{i}}}"#))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                (0..n).map(|_| Bytes::from_static(b"x")).collect(),
            )
        };
        let limits = Limits {
            max_attachments: 3,
            ..Limits::default()
        };
        assert!(decode_with(&encode(&env(emit(args(3)))), &limits).is_ok());
        assert_eq!(
            decode_with(&encode(&env(emit(args(4)))), &limits).unwrap_err(),
            PubSubError::TooManyAttachments { count: 4, limit: 3 }
        );
    }

    fn binary_emit(data: &str) -> Vec<u8> {
        format!(r#"{{"method":"emit","event":"e","namespace":"/","binary":true,"data":{data}}}"#)
            .into_bytes()
    }

    fn callback(args: &str, attachments: &str) -> Vec<u8> {
        format!(
            r#"{{"method":"callback","sid":"s","namespace":"/","id":1,"args":{args},"attachments":{attachments}}}"#
        )
        .into_bytes()
    }

    fn b64_list(n: usize) -> String {
        vec![r#""eA==""#; n].join(",")
    }

    #[test]
    fn callback_attachment_limit_at_limit_and_plus_one() {
        let limits = Limits {
            max_attachments: 3,
            ..Limits::default()
        };
        let ok = callback(
            r#"[{"_placeholder":true,"num":2}]"#,
            &format!("[{}]", b64_list(3)),
        );
        let Operation::Callback { args, .. } = decode_with(&ok, &limits).unwrap().operation else {
            panic!("not a callback")
        };
        assert_eq!(args.attachments.len(), 3);
        let over = callback("[1]", &format!("[{}]", b64_list(4)));
        assert_eq!(
            decode_with(&over, &limits).unwrap_err(),
            PubSubError::TooManyAttachments { count: 4, limit: 3 }
        );
        // `null` or no field: no attachments; anything but a list is refused.
        assert!(decode_with(&callback("[1]", "null"), &limits).is_ok());
        assert_eq!(
            decode_with(&callback("[1]", r#""YWJj""#), &limits).unwrap_err(),
            PubSubError::WrongType("attachments")
        );
    }

    /// A message of the maximum size made of a million attachments is refused after reading
    /// the limit + 1 of them, not after collecting them all.
    #[test]
    fn a_huge_attachment_list_stops_at_the_limit() {
        let many = b64_list(1_000_000);
        let limits = Limits::default();
        let m = binary_emit(&format!("[[1],{many}]"));
        assert!(m.len() <= limits.max_message_bytes);
        assert_eq!(
            decode_with(&m, &limits).unwrap_err(),
            PubSubError::TooManyAttachments {
                count: limits.max_attachments + 1,
                limit: limits.max_attachments
            }
        );
        let m = callback("[1]", &format!("[{many}]"));
        assert_eq!(
            decode_with(&m, &limits).unwrap_err(),
            PubSubError::TooManyAttachments {
                count: limits.max_attachments + 1,
                limit: limits.max_attachments
            }
        );
    }

    #[test]
    fn placeholders_must_name_an_attachment_of_the_message() {
        let at = binary_emit(&format!(
            r#"[[{{"_placeholder":true,"num":1}}],{}]"#,
            b64_list(2)
        ));
        assert!(decode(&at).is_ok(), "the last attachment");
        for bad in [
            r#"{"_placeholder":true,"num":2}"#,
            r#"{"_placeholder":true,"num":-1}"#,
            r#"{"_placeholder":true,"num":18446744073709551616}"#,
            r#"{"_placeholder":true,"num":"0"}"#,
        ] {
            let m = binary_emit(&format!("[[{bad}],{}]", b64_list(2)));
            assert_eq!(
                decode(&m).unwrap_err(),
                PubSubError::BadPlaceholder,
                "{bad}"
            );
            let m = callback(&format!("[{bad}]"), &format!("[{}]", b64_list(2)));
            assert_eq!(
                decode(&m).unwrap_err(),
                PubSubError::BadPlaceholder,
                "{bad}"
            );
        }
    }

    /// Decoding never multiplies attachments: what comes out is the list the message carries,
    /// however many placeholders point into it.
    #[test]
    fn decode_does_not_copy_attachments_per_placeholder() {
        let refs = [r#"{"_placeholder":true,"num":0}"#; 3].join(",");
        let m = binary_emit(&format!("[[{refs}],{}]", b64_list(1)));
        if let Ok(env) = decode(&m) {
            let Operation::Emit { args, .. } = env.operation else {
                panic!("not an emit")
            };
            assert_eq!(args.attachments.len(), 1);
        }
    }

    /// With the Socket.IO decoder's single-reference rule (`proto::binary::check_placeholders`),
    /// one attachment named by two placeholders is refused here too.
    #[test]
    fn a_placeholder_number_used_twice_is_refused() {
        let refs = [r#"{"_placeholder":true,"num":0}"#; 2].join(",");
        let m = binary_emit(&format!("[[{refs}],{}]", b64_list(2)));
        assert_eq!(decode(&m).unwrap_err(), PubSubError::BadPlaceholder);
        let m = callback(&format!("[{refs}]"), &format!("[{}]", b64_list(2)));
        assert_eq!(decode(&m).unwrap_err(), PubSubError::BadPlaceholder);
    }

    #[test]
    fn null_list_data_with_whitespace_is_no_argument() {
        for data in ["[null]", "[ null ]", " [\nnull\t] "] {
            let m = format!(r#"{{"method":"emit","event":"e","data":{data}}}"#);
            let Operation::Emit { args, .. } = decode(m.as_bytes()).unwrap().operation else {
                panic!("not an emit")
            };
            assert!(args.is_empty(), "{data}");
        }
        let m = br#"{"method":"emit","event":"e","data":[null,null]}"#;
        let Operation::Emit { args, .. } = decode(m).unwrap().operation else {
            panic!("not an emit")
        };
        assert_eq!(args.elements(), "null,null");
    }

    /// The arguments of a broadcast are the bytes of its Socket.IO packet, and the message
    /// they make is the one serializing the value again made before.
    #[test]
    fn a_packet_s_arguments_are_shared_and_publish_as_before() {
        let value = (
            "a",
            serde_json::json!({"k": [1, null]}),
            Bytes::from_static(b"\x07"),
        );
        let (enc, span) = sio::encode_event_with_args_span("/n", "ev", None, &value).unwrap();
        let shared = PackedArgs::shared_from_event(&enc, span);
        let text = enc.text.as_ptr() as usize..enc.text.as_ptr() as usize + enc.text.len();
        assert!(
            text.contains(&(shared.elements.as_ptr() as usize)),
            "not copied"
        );
        let again = PackedArgs::from_args(&Args::from_serialize(&value).unwrap());
        assert_eq!(
            encode(&env(emit(shared.clone()))),
            encode(&env(emit(again)))
        );
        // and the local packet rebuilt from them is the packet
        assert_eq!(shared.encode_event("/n", "ev", None).unwrap(), enc);
        let (enc, span) = sio::encode_event_with_args_span("/", "ev", None, &()).unwrap();
        assert!(PackedArgs::shared_from_event(&enc, span).is_empty());
    }

    /// A decoded emit becomes the packet the former path (parse into `Args`, serialize them)
    /// wrote, byte for byte, python's spacing included.
    #[test]
    fn a_decoded_emit_encodes_like_its_args() {
        for data in [
            r#"["a", {"k": [1, 2.5, null]}, "x, y"]"#,
            r#"[[1, 2]]"#,
            r#""one""#,
            r#"[null]"#,
            r#"[]"#,
            r#"[null, null]"#,
        ] {
            let m = format!(r#"{{"method":"emit","event":"e","data":{data}}}"#);
            let Operation::Emit { args, .. } = decode(m.as_bytes()).unwrap().operation else {
                panic!("not an emit")
            };
            let old = sio::encode_event("/", "e", None, &args.to_args().unwrap()).unwrap();
            assert_eq!(args.encode_event("/", "e", None).unwrap(), old, "{data}");
        }
    }

    /// The decoder's byte scan and the constructor's parse agree on what the elements are.
    #[test]
    fn decoded_elements_match_parsed_elements() {
        for array in [
            "[]",
            "[ ]",
            "[1]",
            "[1, 2]",
            "[ 1 ,\t2\n]",
            r#"["a, b", {"k": [1, 2]}, "q\"uo te\\", [ ]]"#,
            r#"[{"_placeholder": true, "num": 0}]"#,
            "[null]",
        ] {
            let scanned = elements_of(array, false, "data").unwrap();
            assert_eq!(
                scanned,
                PackedArgs::json(array).elements,
                "{array}: {:?}",
                std::str::from_utf8(&scanned)
            );
        }
        assert!(elements_of("[ null ]", true, "data").unwrap().is_empty());
    }

    #[test]
    fn unchecked_text_is_refused_when_encoding_a_packet() {
        assert!(
            PackedArgs::json("[1,")
                .encode_event("/", "e", None)
                .is_err()
        );
        let bad = PackedArgs::with_attachments(
            r#"[{"_placeholder":true,"num":3}]"#,
            vec![Bytes::from_static(b"x")],
        );
        assert!(bad.encode_event("/", "e", None).is_err());
        assert_eq!(PackedArgs::json("[1 , 2]"), PackedArgs::json("[1,2]"));
    }

    #[test]
    fn one_or_many_from_names() {
        assert_eq!(OneOrMany::from_names::<&str>(&[]), None);
        assert_eq!(
            OneOrMany::from_names(&["a", "b"]),
            Some(OneOrMany::Many(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn error_display_names_the_field() {
        assert_eq!(
            PubSubError::MissingField("sid").to_string(),
            "pub/sub message has no `sid` field"
        );
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            ".{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn decode_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn decode_never_panics_on_json_objects(
            method in prop_oneof![Just("emit"), Just("disconnect"), Just("enter_room"),
                Just("leave_room"), Just("close_room"), Just("callback"), Just("x")],
            fields in prop::collection::btree_map(
                prop_oneof![Just("event"), Just("data"), Just("binary"), Just("namespace"),
                    Just("room"), Just("skip_sid"), Just("callback"), Just("sid"), Just("id"),
                    Just("args"), Just("attachments"), Just("host_id")],
                arb_json(), 0..8),
        ) {
            let mut map = serde_json::Map::new();
            map.insert("method".into(), Value::from(method));
            for (k, v) in fields { map.insert(k.into(), v); }
            let bytes = serde_json::to_vec(&Value::Object(map)).unwrap();
            let _ = decode(&bytes);
        }

        #[test]
        fn emit_round_trips(
            args in prop::collection::vec(arb_json(), 0..4),
            ns in "/[a-z]{0,5}",
            room in prop::option::of(prop::collection::vec(".{0,6}", 0..3)),
            bins in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..8), 0..3),
        ) {
            let mut items: Vec<Value> = args;
            for n in 0..bins.len() {
                items.push(serde_json::json!({"_placeholder": true, "num": n}));
            }
            // python cannot carry a single `null` argument; skip that one case.
            prop_assume!(!(items.len() == 1 && items[0].is_null()));
            let e = env(Operation::Emit {
                event: "e".into(),
                args: PackedArgs::with_attachments(
                    serde_json::to_string(&items).unwrap(),
                    bins.into_iter().map(Bytes::from).collect(),
                ),
                namespace: ns,
                room: room.map(OneOrMany::Many),
                skip_sid: None,
                callback: None,
            });
            prop_assert_eq!(decode(&encode(&e)).unwrap(), e);
        }
    }
}
