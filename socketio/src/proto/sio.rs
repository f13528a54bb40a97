//! Socket.IO v5 packets: decoding (with binary attachment reassembly) and encoding.
//!
//! Wire form: `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`, carried in an Engine.IO
//! message. Encoded packets include the Engine.IO message type digit `4`, so the bytes can be
//! handed to a transport (and shared between recipients of a broadcast) unchanged.

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use smallvec::SmallVec;

use crate::proto::binary::{self, ArgWriter, Attachments, RawJson};
use crate::proto::value::Value;

/// Socket.IO packet type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketType {
    /// `0`: connect to a namespace (client: auth payload; server: `{"sid"}`).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2`: an event.
    Event,
    /// `3`: an acknowledgement.
    Ack,
    /// `4`: namespace connection refused.
    ConnectError,
    /// `5`: an event with binary attachments.
    BinaryEvent,
    /// `6`: an acknowledgement with binary attachments.
    BinaryAck,
}

/// Error returned when a packet (or one of its attachments) is invalid. Any decode error
/// closes the connection with reason "parse error", as the reference server does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The packet was empty.
    Empty,
    /// The first character is not a known packet type.
    UnknownType,
    /// The attachment count is not digits followed by `-`, or is zero on a binary packet.
    BadAttachments,
    /// More attachments than the configured limit.
    TooManyAttachments,
    /// The ack id is not a valid integer (or does not fit in `u64`).
    BadAckId,
    /// The JSON payload is not valid JSON or has the wrong shape for its packet type.
    BadPayload,
    /// A binary frame arrived while no binary packet was waiting for attachments.
    UnexpectedBinary,
    /// A text packet arrived while a binary packet was still waiting for attachments.
    MissingAttachments,
    /// A placeholder refers to an attachment that does not exist.
    BadPlaceholder,
    /// Two placeholders refer to the same attachment. Each attachment stands for one place
    /// in the arguments, so a packet cannot make the server copy the same bytes many times.
    ReusedAttachment,
    /// An attachment that no placeholder refers to (the reference parser would silently
    /// drop it; here it is refused so that it costs nothing after the packet is read).
    UnreferencedAttachment,
    /// A text message reached a decoder that reads binary messages only (msgpack).
    UnexpectedText,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Self::Empty => "empty packet",
            Self::UnknownType => "unknown packet type",
            Self::BadAttachments => "invalid attachment count",
            Self::TooManyAttachments => "too many attachments",
            Self::BadAckId => "invalid ack id",
            Self::BadPayload => "invalid payload",
            Self::UnexpectedBinary => "unexpected binary attachment",
            Self::MissingAttachments => "binary attachments missing",
            Self::BadPlaceholder => "placeholder without attachment",
            Self::ReusedAttachment => "attachment referenced by more than one placeholder",
            Self::UnreferencedAttachment => "attachment not referenced by any placeholder",
            Self::UnexpectedText => "text message where only binary messages are expected",
        };
        f.write_str(s)
    }
}

impl std::error::Error for DecodeError {}

/// The arguments of an event or ack as received: the raw JSON text of each argument plus the
/// binary attachments its placeholders refer to. Arguments are decoded lazily, one at a time,
/// into whatever type the handler asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Args {
    /// JSON text that contains the arguments (the array, or the event array).
    pub(crate) json: String,
    /// Byte range of each argument in `json`.
    pub(crate) spans: SmallVec<[(u32, u32); 4]>,
    /// Binary attachments, in placeholder order.
    pub(crate) attachments: Vec<Bytes>,
}

impl Args {
    /// Number of arguments.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The raw JSON text of argument `i` (placeholders left as they are).
    pub fn raw(&self, i: usize) -> Option<&str> {
        let (s, e) = *self.spans.get(i)?;
        self.json.get(s as usize..e as usize)
    }

    /// The binary attachments that placeholders in these arguments refer to.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// Deserialize argument `i`; placeholders become bytes (`serde_bytes`, `bytes::Bytes`,
    /// [`crate::proto::value::Value::Bytes`]). A missing argument deserializes as JSON
    /// `null`, so `Option<T>` gets `None`.
    ///
    /// ```
    /// use socketio::proto::sio::{Decoder, PacketKind};
    ///
    /// let mut d = Decoder::new(10);
    /// let p = d.feed_text(r#"2["add",1,2]"#).unwrap().unwrap();
    /// let PacketKind::Event { args, .. } = p.kind else { panic!() };
    /// assert_eq!(args.get::<u32>(1).unwrap(), 2);
    /// assert_eq!(args.get::<Option<u32>>(2).unwrap(), None);
    /// ```
    pub fn get<T: DeserializeOwned>(&self, i: usize) -> Result<T, serde_json::Error> {
        let Some(raw) = self.raw(i) else {
            return serde_json::from_str("null");
        };
        if self.attachments.is_empty() || !may_hold_placeholder(raw) {
            serde_json::from_str(raw)
        } else {
            binary::from_str_with_attachments(raw, &self.attachments)
        }
    }

    /// Arguments from index `from` on, as a new `Args` (for rest-of-arguments parameters).
    /// Attachments are kept as they are, so placeholders keep their meaning.
    pub fn rest(&self, from: usize) -> Args {
        Args {
            json: self.json.clone(),
            spans: self.spans.get(from..).unwrap_or_default().into(),
            attachments: self.attachments.clone(),
        }
    }

    /// Build arguments by serializing a value with the top-level rule of [`crate::proto::binary`]
    /// (a tuple is several arguments, `()` none, anything else one).
    ///
    /// ```
    /// use socketio::proto::sio::Args;
    ///
    /// let args = Args::from_serialize(&("a", vec![1, 2])).unwrap();
    /// assert_eq!(args.len(), 2);
    /// assert_eq!(args.raw(1), Some("[1,2]"));
    /// assert_eq!(args.to_json_array(), r#"["a",[1,2]]"#);
    /// ```
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Args, serde_json::Error> {
        let mut buf = Vec::with_capacity(64);
        buf.push(b'[');
        let att = Attachments::default();
        let mut w = ArgWriter::new(&mut buf, &att, false);
        w.write_args(value)?;
        let spans = w.into_spans();
        buf.push(b']');
        let json = String::from_utf8(buf).map_err(serde::ser::Error::custom)?;
        Ok(Args {
            json,
            spans,
            attachments: att.into_inner().into_vec(),
        })
    }

    /// Arguments from a JSON array text that may contain placeholders referring to
    /// `attachments` (validated like a received ACK payload: every placeholder names an
    /// attachment, and no two name the same one). Used by the cluster layer. Attachments no
    /// placeholder names are allowed here (arguments taken with [`Args::rest`] keep them).
    ///
    /// ```
    /// use socketio::proto::sio::Args;
    ///
    /// let args = Args::from_json_array(r#"[1,{"a":"b"}]"#.into(), vec![]).unwrap();
    /// assert_eq!(args.raw(1), Some(r#"{"a":"b"}"#));
    /// assert!(Args::from_json_array("{}".into(), vec![]).is_err());
    /// ```
    pub fn from_json_array(json: String, attachments: Vec<Bytes>) -> Result<Args, DecodeError> {
        let spans = super::json_array::split(&json).map_err(|_| DecodeError::BadPayload)?;
        if !attachments.is_empty() {
            binary::check_placeholders(&json, attachments.len()).map_err(placeholder_error)?;
        }
        Ok(Args {
            json,
            spans,
            attachments,
        })
    }

    /// The arguments as a JSON array text, placeholders as they are (pair it with
    /// [`Args::attachments`]).
    pub fn to_json_array(&self) -> String {
        let len = self
            .spans
            .iter()
            .map(|(s, e)| e.saturating_sub(*s) as usize + 1)
            .sum::<usize>();
        let mut out = String::with_capacity(len + 2);
        out.push('[');
        for i in 0..self.len() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(self.raw(i).unwrap_or("null"));
        }
        out.push(']');
        out
    }
}

/// Cheap pre-filter: an argument without this text (or any `\u` escape, which could spell
/// it) cannot contain a placeholder object.
fn may_hold_placeholder(raw: &str) -> bool {
    raw.contains(binary::PLACEHOLDER_KEY) || raw.contains("\\u")
}

/// [`Args`] serializes as a tuple of its arguments, so `encode_ack(nsp, id, &args)` re-emits
/// what was received: text-only arguments are copied verbatim (no re-parse), arguments with
/// placeholders are re-read with their attachments and written again (placeholders are
/// renumbered in document order).
impl Serialize for Args {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeTuple};
        let mut t = s.serialize_tuple(self.len())?;
        for i in 0..self.len() {
            let raw = self
                .raw(i)
                .ok_or_else(|| S::Error::custom("argument span out of range"))?;
            if self.attachments.is_empty() || !may_hold_placeholder(raw) {
                t.serialize_element(&RawJson(raw))?;
            } else {
                let v: Value = binary::from_str_with_attachments(raw, &self.attachments)
                    .map_err(S::Error::custom)?;
                t.serialize_element(&v)?;
            }
        }
        t.end()
    }
}

/// A decoded Socket.IO packet.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// Namespace; `/` when the packet names none.
    pub nsp: String,
    /// What the packet carries.
    pub kind: PacketKind,
}

/// The body of a decoded packet, by type.
#[derive(Debug, Clone, PartialEq)]
pub enum PacketKind {
    /// CONNECT with the raw JSON text of its auth object, if any.
    Connect {
        /// Raw JSON object text, `None` when the client sent no payload.
        auth: Option<String>,
    },
    /// DISCONNECT.
    Disconnect,
    /// EVENT or BINARY_EVENT.
    Event {
        /// Event name (a numeric first element is kept as its decimal text).
        name: String,
        /// Arguments after the name.
        args: Args,
        /// Ack id, when the sender asks for an acknowledgement.
        id: Option<u64>,
    },
    /// ACK or BINARY_ACK.
    Ack {
        /// Ack id being answered.
        id: u64,
        /// Ack arguments.
        args: Args,
    },
    /// CONNECT_ERROR (only servers send it; decoded for completeness and tests).
    ConnectError {
        /// Raw JSON text of the payload.
        data: String,
    },
}

/// Incremental decoder for one connection: text packets go in through [`Decoder::feed_text`],
/// binary frames through [`Decoder::feed_binary`]; a packet comes out once all of its
/// attachments have arrived.
#[derive(Debug)]
pub struct Decoder {
    max_attachments: usize,
    /// A binary packet waiting for its attachments, and how many it needs in total.
    pending: Option<Box<(Packet, usize)>>,
}

impl Decoder {
    /// A decoder that accepts at most `max_attachments` attachments per packet.
    pub fn new(max_attachments: usize) -> Self {
        Self {
            max_attachments,
            pending: None,
        }
    }

    /// The configured attachment limit.
    pub fn max_attachments(&self) -> usize {
        self.max_attachments
    }

    /// Feed one text Engine.IO message (without the leading `4`).
    ///
    /// ```
    /// use socketio::proto::sio::{Decoder, PacketKind};
    ///
    /// let mut d = Decoder::new(10);
    /// let p = d.feed_text("0/custom,").unwrap().unwrap();
    /// assert_eq!(p.nsp, "/custom");
    /// assert_eq!(p.kind, PacketKind::Connect { auth: None });
    /// ```
    pub fn feed_text(&mut self, text: &str) -> Result<Option<Packet>, DecodeError> {
        if self.pending.take().is_some() {
            return Err(DecodeError::MissingAttachments);
        }
        let (packet, n) = parse_packet(text, self.max_attachments)?;
        if n == 0 {
            Ok(Some(packet))
        } else {
            self.pending = Some(Box::new((packet, n)));
            Ok(None)
        }
    }

    /// Feed one binary Engine.IO message.
    pub fn feed_binary(&mut self, data: Bytes) -> Result<Option<Packet>, DecodeError> {
        let Some(mut pending) = self.pending.take() else {
            return Err(DecodeError::UnexpectedBinary);
        };
        let (packet, n) = &mut *pending;
        let n = *n;
        let args = match &mut packet.kind {
            PacketKind::Event { args, .. } | PacketKind::Ack { args, .. } => args,
            _ => return Err(DecodeError::UnexpectedBinary),
        };
        args.attachments.push(data);
        if args.attachments.len() < n {
            self.pending = Some(pending);
            return Ok(None);
        }
        // One placeholder per attachment, each attachment referenced exactly once: what the
        // packet costs once decoded (and re-encoded) is what the peer sent.
        let referenced = binary::check_placeholders(&args.json, n).map_err(placeholder_error)?;
        if referenced != n {
            return Err(DecodeError::UnreferencedAttachment);
        }
        Ok(Some(pending.0))
    }
}

fn placeholder_error(e: binary::PlaceholderError) -> DecodeError {
    match e {
        binary::PlaceholderError::Missing => DecodeError::BadPlaceholder,
        binary::PlaceholderError::Reused => DecodeError::ReusedAttachment,
    }
}

/// Event names a client may not use (they are reserved for the library's own events):
/// `connect`, `connect_error`, `disconnect`, `disconnecting`, `newListener`, `removeListener`.
///
/// The list is defined once, in `socketio-macros` (which rejects these names in `#[on("..")]`
/// and `#[event("..")]`), and reaches this crate through a hidden macro.
pub const RESERVED_EVENTS: [&str; 6] = socketio_macros::__reserved_events!();

pub use super::json_array::MAX_JSON_DEPTH;

/// Parse one text packet; the second value is the number of attachments still to come.
fn parse_packet(text: &str, max_attachments: usize) -> Result<(Packet, usize), DecodeError> {
    let bytes = text.as_bytes();
    let ty = match bytes.first() {
        None => return Err(DecodeError::Empty),
        Some(b'0') => PacketType::Connect,
        Some(b'1') => PacketType::Disconnect,
        Some(b'2') => PacketType::Event,
        Some(b'3') => PacketType::Ack,
        Some(b'4') => PacketType::ConnectError,
        Some(b'5') => PacketType::BinaryEvent,
        Some(b'6') => PacketType::BinaryAck,
        Some(_) => return Err(DecodeError::UnknownType),
    };
    let mut pos = 1;

    let mut attachments = 0;
    if matches!(ty, PacketType::BinaryEvent | PacketType::BinaryAck) {
        let digits = count_digits(bytes, pos);
        if digits == 0 || bytes.get(pos + digits) != Some(&b'-') {
            return Err(DecodeError::BadAttachments);
        }
        let n = text
            .get(pos..pos + digits)
            .ok_or(DecodeError::BadAttachments)?
            .parse::<usize>()
            .map_err(|_| DecodeError::TooManyAttachments)?;
        if n == 0 {
            return Err(DecodeError::BadAttachments);
        }
        if n > max_attachments {
            return Err(DecodeError::TooManyAttachments);
        }
        attachments = n;
        pos += digits + 1;
    }

    let nsp = if bytes.get(pos) == Some(&b'/') {
        let len = bytes
            .get(pos..)
            .unwrap_or_default()
            .iter()
            .position(|&b| b == b',');
        let end = len.map_or(bytes.len(), |l| pos + l);
        let nsp = text.get(pos..end).ok_or(DecodeError::BadPayload)?;
        pos = len.map_or(end, |_| end + 1);
        nsp.to_owned()
    } else {
        "/".to_owned()
    };

    let mut id = None;
    if matches!(
        ty,
        PacketType::Event | PacketType::Ack | PacketType::BinaryEvent | PacketType::BinaryAck
    ) {
        let digits = count_digits(bytes, pos);
        if digits > 0 {
            let v = text.get(pos..pos + digits).ok_or(DecodeError::BadAckId)?;
            id = Some(v.parse::<u64>().map_err(|_| DecodeError::BadAckId)?);
            pos += digits;
        }
    }

    let payload = text.get(pos..).unwrap_or_default();
    let kind = match ty {
        PacketType::Connect => PacketKind::Connect {
            auth: if payload.is_empty() {
                None
            } else {
                Some(parse_object(payload)?.to_owned())
            },
        },
        PacketType::Disconnect => {
            if !payload.is_empty() {
                return Err(DecodeError::BadPayload);
            }
            PacketKind::Disconnect
        }
        PacketType::ConnectError => {
            let raw = parse_json::<&RawValue>(payload)?.get();
            if !(raw.starts_with('{') || raw.starts_with('"')) {
                return Err(DecodeError::BadPayload);
            }
            PacketKind::ConnectError {
                data: raw.to_owned(),
            }
        }
        PacketType::Event | PacketType::BinaryEvent => {
            let mut spans =
                super::json_array::split(payload).map_err(|_| DecodeError::BadPayload)?;
            let Some(&(start, end)) = spans.first() else {
                return Err(DecodeError::BadPayload);
            };
            let first = payload
                .get(start as usize..end as usize)
                .ok_or(DecodeError::BadPayload)?;
            let name = match first.as_bytes().first() {
                Some(b'"') => {
                    // Already validated by the array's parse: without a backslash the
                    // string's text is its value, and needs no second parse.
                    let name: String = match first.get(1..first.len().saturating_sub(1)) {
                        Some(plain) if first.len() >= 2 && !plain.contains('\\') => {
                            plain.to_owned()
                        }
                        _ => serde_json::from_str(first).map_err(|_| DecodeError::BadPayload)?,
                    };
                    if RESERVED_EVENTS.contains(&name.as_str()) {
                        return Err(DecodeError::BadPayload);
                    }
                    name
                }
                Some(b'-' | b'0'..=b'9') => first.to_owned(),
                _ => return Err(DecodeError::BadPayload),
            };
            spans.remove(0);
            let args = Args {
                spans,
                json: payload.to_owned(),
                attachments: Vec::with_capacity(attachments),
            };
            PacketKind::Event { name, args, id }
        }
        PacketType::Ack | PacketType::BinaryAck => {
            let id = id.ok_or(DecodeError::BadAckId)?;
            let args = Args {
                spans: super::json_array::split(payload).map_err(|_| DecodeError::BadPayload)?,
                json: payload.to_owned(),
                attachments: Vec::with_capacity(attachments),
            };
            PacketKind::Ack { id, args }
        }
    };
    Ok((Packet { nsp, kind }, attachments))
}

/// Number of ASCII digits in `bytes` from `pos`.
fn count_digits(bytes: &[u8], pos: usize) -> usize {
    bytes
        .get(pos..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// Parse `json` (borrowing raw values from it) and check nesting depth and surrogates.
fn parse_json<'a, T: serde::Deserialize<'a>>(json: &'a str) -> Result<T, DecodeError> {
    let v = serde_json::from_str(json).map_err(|_| DecodeError::BadPayload)?;
    scan_json(json)?;
    Ok(v)
}

/// The raw text of a JSON object payload.
fn parse_object(json: &str) -> Result<&str, DecodeError> {
    let raw = parse_json::<&RawValue>(json)?.get();
    if raw.starts_with('{') {
        Ok(raw)
    } else {
        Err(DecodeError::BadPayload)
    }
}

/// What the one-pass splitter of EVENT and ACK arrays must agree with: serde_json's raw
/// values, then [`scan_json`]. For the differential fuzz target and the tests.
#[doc(hidden)]
pub fn reference_split(json: &str) -> Option<Vec<(u32, u32)>> {
    let items: Vec<&RawValue> = serde_json::from_str(json).ok()?;
    scan_json(json).ok()?;
    let base = json.as_ptr() as usize;
    items
        .iter()
        .map(|raw| {
            let start = (raw.get().as_ptr() as usize).checked_sub(base)?;
            Some((
                u32::try_from(start).ok()?,
                u32::try_from(start + raw.get().len()).ok()?,
            ))
        })
        .collect()
}

/// Checks what serde_json's raw-value scan does not: nesting depth (at most
/// [`MAX_JSON_DEPTH`]) and that every `\u` surrogate escape is part of a valid pair (a Rust
/// string cannot hold a lone surrogate). `json` has already been parsed successfully.
fn scan_json(json: &str) -> Result<(), DecodeError> {
    let bytes = json.as_bytes();
    let mut depth = 0usize;
    let mut pos = 0usize;
    while let Some(&b) = bytes.get(pos) {
        pos += 1;
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(DecodeError::BadPayload);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'"' => pos = scan_string(bytes, pos)?,
            _ => {}
        }
    }
    Ok(())
}

/// Scan the rest of a JSON string starting at `pos` (after its opening quote); returns the
/// position after its closing quote. Runs of plain characters are skipped with `memchr`.
fn scan_string(bytes: &[u8], mut pos: usize) -> Result<usize, DecodeError> {
    const BAD: DecodeError = DecodeError::BadPayload;
    let mut high_surrogate = false;
    loop {
        let rest = bytes.get(pos..).ok_or(BAD)?;
        let skip = memchr::memchr2(b'"', b'\\', rest).ok_or(BAD)?;
        // A high surrogate escape must be followed directly by a low one.
        if high_surrogate && skip > 0 {
            return Err(BAD);
        }
        pos += skip;
        if bytes.get(pos) == Some(&b'"') {
            return if high_surrogate {
                Err(BAD)
            } else {
                Ok(pos + 1)
            };
        }
        // A backslash: look at the escaped character.
        if bytes.get(pos + 1) != Some(&b'u') {
            if high_surrogate || pos + 1 >= bytes.len() {
                return Err(BAD);
            }
            pos += 2;
            continue;
        }
        let hex = bytes.get(pos + 2..pos + 6).ok_or(BAD)?;
        let mut cp: u32 = 0;
        for &h in hex {
            cp = cp * 16 + char::from(h).to_digit(16).ok_or(BAD)?;
        }
        pos += 6;
        match (high_surrogate, cp) {
            (false, 0xD800..=0xDBFF) => high_surrogate = true,
            (true, 0xDC00..=0xDFFF) => high_surrogate = false,
            (false, 0xDC00..=0xDFFF) | (true, _) => return Err(BAD),
            (false, _) => {}
        }
    }
}

/// Error returned when a value cannot be serialized into packet arguments.
pub type EncodeError = serde_json::Error;

/// An encoded packet: one Engine.IO text message (with its leading `4`, e.g. `42["a",1]`)
/// followed by its binary attachments, each one Engine.IO binary message. A packet of a
/// binary encoding (msgpack, [`Encoded::binary`]) has no text message: `text` is empty and
/// the packet is its one binary message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The text frame, UTF-8, including the Engine.IO `4` prefix; empty when there is none.
    pub text: Bytes,
    /// Binary attachments, in placeholder order (the binary messages to send after `text`).
    pub attachments: SmallVec<[Bytes; 1]>,
}

impl Encoded {
    /// A packet that is one binary message and no text message.
    ///
    /// ```
    /// use socketio::proto::sio::Encoded;
    /// let e = Encoded::binary(bytes::Bytes::from_static(b"\x80"));
    /// assert!(e.text.is_empty() && e.attachments.len() == 1);
    /// ```
    pub fn binary(frame: Bytes) -> Encoded {
        let mut attachments = SmallVec::new();
        attachments.push(frame);
        Encoded {
            text: Bytes::new(),
            attachments,
        }
    }
}

/// `40[/nsp,]{"sid":"…"}`.
///
/// ```
/// use socketio::proto::sio::encode_connect;
/// assert_eq!(&encode_connect("/custom", "x").text[..], br#"40/custom,{"sid":"x"}"#);
/// ```
pub fn encode_connect(nsp: &str, sid: &str) -> Encoded {
    let mut buf = Vec::with_capacity(16 + nsp.len() + sid.len());
    buf.extend_from_slice(b"40");
    push_nsp(&mut buf, nsp);
    buf.extend_from_slice(br#"{"sid":"#);
    push_json_str(&mut buf, sid);
    buf.push(b'}');
    text_only(buf)
}

/// `44[/nsp,]{"message":…[,"data":…]}`; `data` is raw JSON text.
///
/// ```
/// use socketio::proto::sio::encode_connect_error;
/// let e = encode_connect_error("/random", "Invalid namespace", None);
/// assert_eq!(&e.text[..], br#"44/random,{"message":"Invalid namespace"}"#);
/// ```
pub fn encode_connect_error(nsp: &str, message: &str, data: Option<&str>) -> Encoded {
    let data_len = data.map_or(0, |d| d.len() + 8);
    let mut buf = Vec::with_capacity(16 + nsp.len() + message.len() + data_len);
    buf.extend_from_slice(b"44");
    push_nsp(&mut buf, nsp);
    buf.extend_from_slice(br#"{"message":"#);
    push_json_str(&mut buf, message);
    if let Some(data) = data {
        buf.extend_from_slice(br#","data":"#);
        buf.extend_from_slice(data.as_bytes());
    }
    buf.push(b'}');
    text_only(buf)
}

/// `41[/nsp,]`.
///
/// ```
/// use socketio::proto::sio::encode_disconnect;
/// assert_eq!(&encode_disconnect("/custom").text[..], b"41/custom,");
/// assert_eq!(&encode_disconnect("/").text[..], b"41");
/// ```
pub fn encode_disconnect(nsp: &str) -> Encoded {
    let mut buf = Vec::with_capacity(3 + nsp.len());
    buf.extend_from_slice(b"41");
    push_nsp(&mut buf, nsp);
    text_only(buf)
}

/// EVENT or BINARY_EVENT `event` with `args` (top-level rule: tuple = several arguments,
/// `()` = none, anything else = one; [`Args`] re-encodes what was received).
///
/// The value is serialized once, straight into the output buffer (no intermediate
/// `serde_json::Value`); bytes anywhere in it become attachments.
///
/// ```
/// use socketio::proto::sio::encode_event;
/// let e = encode_event("/", "ev", None, &("a", 1)).unwrap();
/// assert_eq!(&e.text[..], br#"42["ev","a",1]"#);
/// let e = encode_event("/admin", "tellme", Some(1), &()).unwrap();
/// assert_eq!(&e.text[..], br#"42/admin,1["tellme"]"#);
/// ```
pub fn encode_event<T: Serialize + ?Sized>(
    nsp: &str,
    event: &str,
    id: Option<u64>,
    args: &T,
) -> Result<Encoded, EncodeError> {
    encode_event_with_args_span(nsp, event, id, args).map(|(enc, _)| enc)
}

/// [`encode_event`], also telling where the arguments are in `text`: the byte range of their
/// JSON text, comma-separated, without the surrounding brackets (empty for no argument, and
/// placeholders numbered into `attachments`). A cluster emit shares this slice of the packet
/// with the broker message instead of serializing the value a second time.
///
/// ```
/// use socketio::proto::sio::encode_event_with_args_span;
/// let (e, span) = encode_event_with_args_span("/chat", "ev", None, &("a", 1)).unwrap();
/// assert_eq!(&e.text[..], br#"42/chat,["ev","a",1]"#);
/// assert_eq!(&e.text[span], br#""a",1"#);
/// let (e, span) = encode_event_with_args_span("/", "ev", None, &()).unwrap();
/// assert!(span.is_empty() && span.start == e.text.len() - 1);
/// ```
pub fn encode_event_with_args_span<T: Serialize + ?Sized>(
    nsp: &str,
    event: &str,
    id: Option<u64>,
    args: &T,
) -> Result<(Encoded, std::ops::Range<usize>), EncodeError> {
    let mut buf = Vec::with_capacity(64 + nsp.len() + event.len());
    buf.extend_from_slice(b"42");
    push_nsp(&mut buf, nsp);
    if let Some(id) = id {
        push_u64(&mut buf, id);
    }
    buf.push(b'[');
    push_json_str(&mut buf, event);
    let after_event = buf.len();
    let att = Attachments::default();
    ArgWriter::new(&mut buf, &att, true).write_args(args)?;
    // Arguments are written as `,a,b`: skip the first comma.
    let args_len = buf.len().saturating_sub(after_event).saturating_sub(1);
    buf.push(b']');
    let enc = finish(buf, b'5', att.into_inner());
    // `finish` may grow the header, never the tail: locate the span from the end.
    let end = enc.text.len().saturating_sub(1);
    Ok((enc, end.saturating_sub(args_len)..end))
}

/// EVENT or BINARY_EVENT `event` whose arguments are JSON text already: `args` is their text,
/// comma-separated, without brackets (empty for none), placeholders numbered into
/// `attachments`. The text is copied as it is, so it must be what a decoder validated (a
/// cluster message, [`crate::proto::pubsub::PackedArgs`]) or what
/// [`encode_event_with_args_span`] wrote.
pub(crate) fn encode_event_json(
    nsp: &str,
    event: &str,
    id: Option<u64>,
    args: &[u8],
    attachments: &[Bytes],
) -> Encoded {
    let mut buf = Vec::with_capacity(8 + nsp.len() + event.len() + args.len());
    buf.extend_from_slice(b"42");
    push_nsp(&mut buf, nsp);
    if let Some(id) = id {
        push_u64(&mut buf, id);
    }
    buf.push(b'[');
    push_json_str(&mut buf, event);
    if !args.is_empty() {
        buf.push(b',');
        buf.extend_from_slice(args);
    }
    buf.push(b']');
    finish(buf, b'5', attachments.iter().cloned().collect())
}

/// ACK or BINARY_ACK for `id` with `args` (same top-level rule as [`encode_event`]).
///
/// ```
/// use socketio::proto::sio::encode_ack;
/// let e = encode_ack("/", 456, &(1, "2")).unwrap();
/// assert_eq!(&e.text[..], br#"43456[1,"2"]"#);
/// ```
pub fn encode_ack<T: Serialize + ?Sized>(
    nsp: &str,
    id: u64,
    args: &T,
) -> Result<Encoded, EncodeError> {
    let mut buf = Vec::with_capacity(64 + nsp.len());
    buf.extend_from_slice(b"43");
    push_nsp(&mut buf, nsp);
    push_u64(&mut buf, id);
    buf.push(b'[');
    let att = Attachments::default();
    ArgWriter::new(&mut buf, &att, false).write_args(args)?;
    buf.push(b']');
    Ok(finish(buf, b'6', att.into_inner()))
}

fn text_only(buf: Vec<u8>) -> Encoded {
    Encoded {
        text: Bytes::from(buf),
        attachments: SmallVec::new(),
    }
}

/// Turn `4<type>…` into `4<binary_type><n>-…` when there are attachments.
fn finish(mut buf: Vec<u8>, binary_type: u8, attachments: SmallVec<[Bytes; 1]>) -> Encoded {
    if !attachments.is_empty() && buf.len() >= 2 {
        let mut header = Vec::with_capacity(8);
        header.push(binary_type);
        push_u64(&mut header, attachments.len() as u64);
        header.push(b'-');
        buf.splice(1..2, header);
    }
    Encoded {
        text: Bytes::from(buf),
        attachments,
    }
}

/// The namespace and its comma, unless it is the main namespace.
fn push_nsp(buf: &mut Vec<u8>, nsp: &str) {
    if !nsp.is_empty() && nsp != "/" {
        buf.extend_from_slice(nsp.as_bytes());
        buf.push(b',');
    }
}

/// Decimal digits of `n`.
pub(crate) fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let start = buf.len();
    loop {
        buf.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if let Some(digits) = buf.get_mut(start..) {
        digits.reverse();
    }
}

/// `s` as a JSON string literal, escaped like `JSON.stringify` (and serde_json).
pub(crate) fn push_json_str(buf: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0x08 => buf.extend_from_slice(b"\\b"),
            0x0c => buf.extend_from_slice(b"\\f"),
            0..=0x1f => {
                let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
                let lo = HEX.get(usize::from(b & 0xf)).copied().unwrap_or(b'0');
                buf.extend_from_slice(&[b'\\', b'u', b'0', b'0', hi, lo]);
            }
            _ => buf.push(b),
        }
    }
    buf.push(b'"');
}

#[cfg(test)]
#[path = "sio_tests.rs"]
mod tests;
