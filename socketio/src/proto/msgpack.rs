//! The msgpack packet encoding: one binary Engine.IO message per Socket.IO packet, a msgpack
//! map `{type, data, nsp, id}`, byte-compatible with `socket.io-msgpack-parser` 3.x (which
//! encodes with notepack.io) and with python-socketio's `serializer='msgpack'`
//! (`MsgPackPacket`, msgpack-python).
//!
//! * Packet types are `0` CONNECT, `1` DISCONNECT, `2` EVENT, `3` ACK and `4` CONNECT_ERROR;
//!   there are no binary packet types and no attachments: binary values are msgpack `bin`
//!   wherever they are in the arguments.
//! * The encoder writes the keys in the order `type`, `data`, `nsp`, `id` (python's), leaves
//!   `id` out when there is none and `data` out of DISCONNECT (the JS decoder refuses a `nil`
//!   there); integers take their smallest form (unsigned forms for non-negative values) and
//!   every other number is a float 64, as both reference encoders do.
//! * The decoder takes the keys in any order and ignores the others (socket.io-client adds
//!   `options`). A namespace is `/` followed by anything but a comma, as the JSON encoding
//!   can carry it. A `nil` (python) or notepack's `undefined` (`fixext 1`, type 0) `data` or `id`
//!   is the same as none.
//!
//! # Arguments
//!
//! Received arguments become the server's usual [`Args`] (JSON text, binary values as
//! placeholders with attachments), so handlers, typed arguments and acks work as with the
//! JSON parser. A msgpack value reads as the JSON that a JS client's default parser would have
//! sent for the same JS value: `bin` (a Node `Buffer`, a browser `ArrayBuffer`) and notepack's
//! `ext` type 0 (a Node `ArrayBuffer`/typed array) are bytes; notepack's `undefined` is `null`
//! in an array and leaves its key out of a map; notepack's `Date` (`fixext 8`, type 0) is its
//! ISO 8601 text; NaN and infinities are `null`; a float 32 is read as the float 64 it
//! equals; integer map keys are their decimal text. Other extension types, other map keys and
//! strings that are not UTF-8 are refused.
//!
//! Values sent are serialized straight into msgpack (no JSON in between), with the argument
//! rule of [`crate::proto::binary`] (a tuple is several arguments, `()` none); bytes are `bin`.
//! Types serialize as with `serde_json` (structs and maps are maps, enums externally tagged,
//! `is_human_readable()` is true so that, say, a UUID is its text), and arguments kept as JSON
//! text ([`Args`], `serde_json::value::RawValue`) are transcoded.
//!
//! # Limits
//!
//! Decoding never panics and is bounded like the JSON decoder: nesting at most
//! [`MAX_JSON_DEPTH`], at most the decoder's attachment limit of binary values per packet,
//! container lengths checked against the bytes left before anything is read. The frame itself
//! is bounded by the Engine.IO `max_payload`.
//!
//! # Why hand-written
//!
//! The format is a table of thirty-odd markers. The packet layer needs control that the
//! `rmp` family does not give: the exact form of each value (the reference encoders' choice
//! of integer and float forms), reading `bin` as zero-copy slices of the frame, notepack's
//! extension types, transcoding to and from the JSON text of [`Args`] with spans, and a
//! reader that cannot panic or pre-allocate from a length on the wire. (`rmp` is also marked
//! "looking for maintainer".)
//!
//! ```
//! use socketio::proto::msgpack::{Decoder, encode_event};
//! use socketio::proto::sio::PacketKind;
//!
//! let frame = encode_event("/", "add", Some(1), &(2, 3)).unwrap();
//! let packet = Decoder::new(10).feed_binary(frame).unwrap().unwrap();
//! let PacketKind::Event { name, args, id } = packet.kind else { panic!() };
//! assert_eq!((name.as_str(), id), ("add", Some(1)));
//! assert_eq!(args.get::<u32>(1).unwrap(), 3);
//! ```

use std::fmt;
use std::io::Write as _;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, Visitor};
use serde::ser::{self, Serialize, Serializer};
use smallvec::SmallVec;

use crate::proto::binary::{self, ArgSink, PLACEHOLDER_KEY, RAW_VALUE_TOKEN};
use crate::proto::sio::{
    Args, DecodeError, EncodeError, MAX_JSON_DEPTH, Packet, PacketKind, RESERVED_EVENTS,
    push_json_str, push_u64,
};

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/// Decoder for one connection: every binary Engine.IO message is one packet.
///
/// ```
/// use socketio::proto::msgpack::Decoder;
/// use socketio::proto::sio::{DecodeError, PacketKind};
///
/// let mut d = Decoder::new(10);
/// // {"type": 0, "nsp": "/"}: a CONNECT without auth.
/// let p = d.feed_binary(bytes::Bytes::from_static(b"\x82\xa4type\x00\xa3nsp\xa1/")).unwrap();
/// assert_eq!(p.unwrap().kind, PacketKind::Connect { auth: None });
/// assert_eq!(d.feed_text("0"), Err(DecodeError::UnexpectedText));
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    max_attachments: usize,
}

impl Decoder {
    /// A decoder that accepts at most `max_attachments` binary values per packet (the limit
    /// the JSON decoder applies to attachments).
    pub fn new(max_attachments: usize) -> Self {
        Self { max_attachments }
    }

    /// The configured limit of binary values per packet.
    pub fn max_attachments(&self) -> usize {
        self.max_attachments
    }

    /// A text Engine.IO message: always an error, this encoding has binary messages only.
    pub fn feed_text(&mut self, _text: &str) -> Result<Option<Packet>, DecodeError> {
        Err(DecodeError::UnexpectedText)
    }

    /// One binary Engine.IO message: a whole packet (never `Ok(None)`; the `Option` keeps
    /// the shape of [`crate::proto::sio::Decoder::feed_binary`]). Binary values in the
    /// arguments are slices of `data`, not copies.
    pub fn feed_binary(&mut self, data: Bytes) -> Result<Option<Packet>, DecodeError> {
        decode(&data, self.max_attachments).map(Some)
    }
}

/// One msgpack value as read from the wire (strings and binary data not yet converted).
#[derive(Debug, Clone, Copy)]
enum Token<'a> {
    Nil,
    /// notepack's `undefined` (`fixext 1`, type 0).
    Undefined,
    Bool(bool),
    Uint(u64),
    /// A negative integer (non-negative ones are `Uint`, whatever their form).
    Int(i64),
    Float(f64),
    Str(&'a [u8]),
    /// Binary data: its byte range in the frame.
    Bin(usize, usize),
    Array(usize),
    Map(usize),
    /// notepack's `Date` (`fixext 8`, type 0): milliseconds since the epoch.
    Date(i64),
}

/// A bounds-checked cursor over a frame.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

const BAD: DecodeError = DecodeError::BadPayload;

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(BAD)?;
        let s = self.data.get(self.pos..end).ok_or(BAD)?;
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self.data.get(self.pos).ok_or(BAD)?;
        self.pos += 1;
        Ok(b)
    }

    /// An `n`-byte big-endian unsigned integer (`n` <= 8).
    fn be(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn len(&mut self, n: usize) -> Result<usize, DecodeError> {
        usize::try_from(self.be(n)?).map_err(|_| BAD)
    }

    fn str(&mut self, len: usize) -> Result<Token<'a>, DecodeError> {
        self.take(len).map(Token::Str)
    }

    fn bin(&mut self, len: usize) -> Result<Token<'a>, DecodeError> {
        let start = self.pos;
        self.take(len)?;
        Ok(Token::Bin(start, self.pos))
    }

    /// `n` elements of at least `min` bytes each must fit in what is left.
    fn container(&self, n: usize, min: usize, t: fn(usize) -> Token<'a>) -> TokenResult<'a> {
        if n.checked_mul(min).is_some_and(|b| b <= self.remaining()) {
            Ok(t(n))
        } else {
            Err(BAD)
        }
    }

    /// An `ext` value: type 0 of any length is binary data (a Node `ArrayBuffer`).
    fn ext(&mut self, len: usize) -> TokenResult<'a> {
        let ty = self.byte()?;
        if ty == 0 { self.bin(len) } else { Err(BAD) }
    }

    fn token(&mut self) -> TokenResult<'a> {
        let m = self.byte()?;
        Ok(match m {
            0x00..=0x7f => Token::Uint(u64::from(m)),
            0x80..=0x8f => return self.container(usize::from(m & 0x0f), 2, Token::Map),
            0x90..=0x9f => return self.container(usize::from(m & 0x0f), 1, Token::Array),
            0xa0..=0xbf => return self.str(usize::from(m & 0x1f)),
            0xc0 => Token::Nil,
            0xc2 => Token::Bool(false),
            0xc3 => Token::Bool(true),
            0xc4 => return self.len(1).and_then(|n| self.bin(n)),
            0xc5 => return self.len(2).and_then(|n| self.bin(n)),
            0xc6 => return self.len(4).and_then(|n| self.bin(n)),
            0xc7 => return self.len(1).and_then(|n| self.ext(n)),
            0xc8 => return self.len(2).and_then(|n| self.ext(n)),
            0xc9 => return self.len(4).and_then(|n| self.ext(n)),
            0xca => Token::Float(f64::from(f32::from_bits(self.be(4)? as u32))),
            0xcb => Token::Float(f64::from_bits(self.be(8)?)),
            0xcc => Token::Uint(self.be(1)?),
            0xcd => Token::Uint(self.be(2)?),
            0xce => Token::Uint(self.be(4)?),
            0xcf => Token::Uint(self.be(8)?),
            0xd0 => int(i64::from(self.be(1)? as u8 as i8)),
            0xd1 => int(i64::from(self.be(2)? as u16 as i16)),
            0xd2 => int(i64::from(self.be(4)? as u32 as i32)),
            0xd3 => int(self.be(8)? as i64),
            0xd4 => {
                let ty = self.byte()?;
                self.byte()?;
                if ty != 0 {
                    return Err(BAD);
                }
                Token::Undefined
            }
            0xd7 => {
                let ty = self.byte()?;
                // notepack writes the high 32 bits signed and the low 32 bits unsigned.
                let ms = self.be(8)? as i64;
                if ty != 0 {
                    return Err(BAD);
                }
                Token::Date(ms)
            }
            0xd9 => return self.len(1).and_then(|n| self.str(n)),
            0xda => return self.len(2).and_then(|n| self.str(n)),
            0xdb => return self.len(4).and_then(|n| self.str(n)),
            0xdc => return self.len(2).and_then(|n| self.container(n, 1, Token::Array)),
            0xdd => return self.len(4).and_then(|n| self.container(n, 1, Token::Array)),
            0xde => return self.len(2).and_then(|n| self.container(n, 2, Token::Map)),
            0xdf => return self.len(4).and_then(|n| self.container(n, 2, Token::Map)),
            0xe0..=0xff => Token::Int(i64::from(m as i8)),
            // 0xc1 is never used; fixext 2/4/16 carry no type that clients send.
            0xc1 | 0xd5 | 0xd6 | 0xd8 => return Err(BAD),
        })
    }

    /// Skip one value and everything in it.
    fn skip(&mut self, depth: usize) -> Result<(), DecodeError> {
        let n = match self.token()? {
            Token::Array(n) => n,
            Token::Map(n) => n.checked_mul(2).ok_or(BAD)?,
            _ => return Ok(()),
        };
        if depth >= MAX_JSON_DEPTH {
            return Err(BAD);
        }
        (0..n).try_for_each(|_| self.skip(depth + 1))
    }
}

type TokenResult<'a> = Result<Token<'a>, DecodeError>;

/// A signed integer read from an `int` form: non-negative values are `Uint`.
fn int(v: i64) -> Token<'static> {
    u64::try_from(v).map_or(Token::Int(v), Token::Uint)
}

/// Writes msgpack values as JSON text, binary values as placeholders.
struct ToJson<'a> {
    frame: &'a Bytes,
    r: Reader<'a>,
    out: Vec<u8>,
    attachments: Vec<Bytes>,
    max_attachments: usize,
    /// Binary values are allowed (not in CONNECT and CONNECT_ERROR payloads, which are text
    /// only in the JSON parser too).
    allow_bin: bool,
    /// A map with a `_placeholder` key was seen: with binary values in the same packet, it
    /// could be taken for one of their placeholders, so the packet is refused.
    placeholder_key: bool,
}

impl<'a> ToJson<'a> {
    fn new(frame: &'a Bytes, pos: usize, max_attachments: usize, allow_bin: bool) -> Self {
        Self {
            frame,
            r: Reader {
                data: frame.as_ref(),
                pos,
            },
            out: Vec::with_capacity(frame.len().saturating_sub(pos).saturating_add(16)),
            attachments: Vec::new(),
            max_attachments,
            allow_bin,
            placeholder_key: false,
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), DecodeError> {
        let t = self.r.token()?;
        self.write(t, depth)
    }

    /// Write `t` (already read) and, for containers, what it holds. `depth` is the nesting
    /// of `t`'s parent.
    fn write(&mut self, t: Token<'a>, depth: usize) -> Result<(), DecodeError> {
        match t {
            Token::Nil | Token::Undefined => self.out.extend_from_slice(b"null"),
            Token::Bool(b) => self
                .out
                .extend_from_slice(if b { b"true" } else { b"false" }),
            Token::Uint(v) => push_u64(&mut self.out, v),
            Token::Int(v) => push_i64(&mut self.out, v),
            Token::Float(f) => push_f64(&mut self.out, f),
            Token::Str(s) => push_json_str(&mut self.out, std::str::from_utf8(s).map_err(|_| BAD)?),
            Token::Date(ms) => push_date(&mut self.out, ms),
            Token::Bin(start, end) => {
                if !self.allow_bin {
                    return Err(BAD);
                }
                if self.attachments.len() >= self.max_attachments {
                    return Err(DecodeError::TooManyAttachments);
                }
                self.out
                    .extend_from_slice(br#"{"_placeholder":true,"num":"#);
                push_u64(&mut self.out, self.attachments.len() as u64);
                self.out.push(b'}');
                self.attachments.push(self.frame.slice(start..end));
            }
            Token::Array(n) => {
                if depth >= MAX_JSON_DEPTH {
                    return Err(BAD);
                }
                self.out.push(b'[');
                for i in 0..n {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.value(depth + 1)?;
                }
                self.out.push(b']');
            }
            Token::Map(n) => {
                if depth >= MAX_JSON_DEPTH {
                    return Err(BAD);
                }
                self.out.push(b'{');
                let mut first = true;
                for _ in 0..n {
                    let mark = self.out.len();
                    if !first {
                        self.out.push(b',');
                    }
                    self.key()?;
                    self.out.push(b':');
                    match self.r.token()? {
                        // `JSON.stringify` leaves out a key whose value is `undefined`.
                        Token::Undefined => self.out.truncate(mark),
                        t => {
                            self.write(t, depth + 1)?;
                            first = false;
                        }
                    }
                }
                self.out.push(b'}');
            }
        }
        Ok(())
    }

    /// A map key: a string, or an integer written as its decimal text (as JS does).
    fn key(&mut self) -> Result<(), DecodeError> {
        match self.r.token()? {
            Token::Str(s) => {
                let s = std::str::from_utf8(s).map_err(|_| BAD)?;
                if s == PLACEHOLDER_KEY {
                    self.placeholder_key = true;
                }
                push_json_str(&mut self.out, s);
            }
            Token::Uint(v) => {
                self.out.push(b'"');
                push_u64(&mut self.out, v);
                self.out.push(b'"');
            }
            Token::Int(v) => {
                self.out.push(b'"');
                push_i64(&mut self.out, v);
                self.out.push(b'"');
            }
            _ => return Err(BAD),
        }
        Ok(())
    }

    /// The JSON text written, checked for a stray `_placeholder` key.
    fn finish(self) -> Result<(String, Vec<Bytes>, usize), DecodeError> {
        if self.placeholder_key && !self.attachments.is_empty() {
            return Err(BAD);
        }
        let end = self.r.pos;
        let json = String::from_utf8(self.out).map_err(|_| BAD)?;
        Ok((json, self.attachments, end))
    }
}

/// A decoded `data` value, by packet type.
enum Body {
    /// No value (absent, `nil`, `undefined`).
    None,
    /// An object or string (CONNECT, CONNECT_ERROR): its JSON text.
    Json(String),
    /// An array (EVENT, ACK): the event name when the array starts with one, the arguments.
    Array(Option<String>, Args),
}

/// What a packet type accepts as `data`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// CONNECT: none or an object.
    NoneOrObject,
    /// DISCONNECT: none.
    None,
    /// EVENT: an array that starts with the event name.
    Event,
    /// ACK: an array.
    Array,
    /// CONNECT_ERROR: an object or a string.
    ObjectOrString,
}

/// Decode the `data` value at `pos`; returns it and the position after it.
fn decode_data(
    frame: &Bytes,
    pos: usize,
    expect: Expect,
    max_attachments: usize,
) -> Result<(Body, usize), DecodeError> {
    let allow_bin = matches!(expect, Expect::Event | Expect::Array);
    let mut j = ToJson::new(frame, pos, max_attachments, allow_bin);
    let t = j.r.token()?;
    match (expect, t) {
        (Expect::NoneOrObject | Expect::None, Token::Nil | Token::Undefined) => {
            return Ok((Body::None, j.r.pos));
        }
        (Expect::NoneOrObject | Expect::ObjectOrString, Token::Map(_))
        | (Expect::ObjectOrString, Token::Str(_)) => {
            j.write(t, 0)?;
            let (json, _, end) = j.finish()?;
            return Ok((Body::Json(json), end));
        }
        (Expect::Event | Expect::Array, Token::Array(n)) => {
            if expect == Expect::Event && n == 0 {
                return Err(BAD);
            }
            j.out.push(b'[');
            let mut spans = SmallVec::new();
            let mut name = None;
            for i in 0..n {
                if i > 0 {
                    j.out.push(b',');
                }
                let start = j.out.len();
                let t = j.r.token()?;
                if expect == Expect::Event && i == 0 {
                    name = Some(event_name(&mut j, t)?);
                    continue;
                }
                j.write(t, 1)?;
                let span = (u32::try_from(start), u32::try_from(j.out.len()));
                let (Ok(s), Ok(e)) = span else {
                    return Err(BAD);
                };
                spans.push((s, e));
            }
            j.out.push(b']');
            let (json, attachments, end) = j.finish()?;
            let args = Args {
                json,
                spans,
                attachments,
            };
            return Ok((Body::Array(name, args), end));
        }
        _ => {}
    }
    Err(BAD)
}

/// The first element of an EVENT's array: a string (not a reserved name), or a number kept
/// as its JSON text, as the JSON decoder does.
fn event_name<'a>(j: &mut ToJson<'a>, t: Token<'a>) -> Result<String, DecodeError> {
    let start = j.out.len();
    match t {
        Token::Str(s) => {
            let name = std::str::from_utf8(s).map_err(|_| BAD)?;
            if RESERVED_EVENTS.contains(&name) {
                return Err(BAD);
            }
            push_json_str(&mut j.out, name);
            Ok(name.to_owned())
        }
        Token::Uint(_) | Token::Int(_) | Token::Float(_) => {
            j.write(t, 1)?;
            let text = j.out.get(start..).ok_or(BAD)?;
            // A NaN or infinity is written `null`: not a number any more.
            if text == b"null" {
                return Err(BAD);
            }
            String::from_utf8(text.to_vec()).map_err(|_| BAD)
        }
        _ => Err(BAD),
    }
}

/// Decode one packet frame.
fn decode(frame: &Bytes, max_attachments: usize) -> Result<Packet, DecodeError> {
    if frame.is_empty() {
        return Err(DecodeError::Empty);
    }
    let mut r = Reader {
        data: frame.as_ref(),
        pos: 0,
    };
    let Token::Map(n) = r.token()? else {
        return Err(BAD);
    };
    let mut ty: Option<Expect> = None;
    let mut nsp: Option<String> = None;
    let mut id: Option<Option<u64>> = None;
    // The decoded `data`, or where it starts when it came before `type`.
    let mut body: Option<Body> = None;
    let mut data_at: Option<usize> = None;
    for _ in 0..n {
        let key = match r.token()? {
            Token::Str(k) => k,
            _ => {
                r.skip(0)?;
                continue;
            }
        };
        match key {
            b"type" => {
                if ty.is_some() {
                    return Err(BAD);
                }
                ty = Some(match r.token()? {
                    Token::Uint(0) => Expect::NoneOrObject,
                    Token::Uint(1) => Expect::None,
                    Token::Uint(2) => Expect::Event,
                    Token::Uint(3) => Expect::Array,
                    Token::Uint(4) => Expect::ObjectOrString,
                    _ => return Err(DecodeError::UnknownType),
                });
            }
            b"nsp" => {
                let Token::Str(s) = r.token()? else {
                    return Err(BAD);
                };
                let s = std::str::from_utf8(s).map_err(|_| BAD)?;
                // As in the JSON encoding: `/` then anything but a comma.
                if !s.starts_with('/') || s.contains(',') || nsp.replace(s.to_owned()).is_some() {
                    return Err(BAD);
                }
            }
            b"id" => {
                let v = match r.token()? {
                    Token::Nil | Token::Undefined => None,
                    Token::Uint(v) => Some(v),
                    _ => return Err(DecodeError::BadAckId),
                };
                if id.replace(v).is_some() {
                    return Err(BAD);
                }
            }
            b"data" => {
                if body.is_some() || data_at.is_some() {
                    return Err(BAD);
                }
                match ty {
                    Some(expect) => {
                        let (b, end) = decode_data(frame, r.pos, expect, max_attachments)?;
                        body = Some(b);
                        r.pos = end;
                    }
                    None => {
                        data_at = Some(r.pos);
                        r.skip(0)?;
                    }
                }
            }
            _ => r.skip(0)?,
        }
    }
    if r.remaining() != 0 {
        return Err(BAD);
    }
    let expect = ty.ok_or(DecodeError::UnknownType)?;
    let nsp = nsp.ok_or(BAD)?;
    let id = id.flatten();
    let body = match (body, data_at) {
        (Some(b), _) => b,
        (None, Some(at)) => decode_data(frame, at, expect, max_attachments)?.0,
        (None, None) => Body::None,
    };
    let kind = match (expect, body) {
        (Expect::NoneOrObject, Body::None) => PacketKind::Connect { auth: None },
        (Expect::NoneOrObject, Body::Json(auth)) => PacketKind::Connect { auth: Some(auth) },
        (Expect::None, Body::None) => PacketKind::Disconnect,
        (Expect::Event, Body::Array(Some(name), args)) => PacketKind::Event { name, args, id },
        (Expect::Array, Body::Array(_, args)) => PacketKind::Ack {
            id: id.ok_or(DecodeError::BadAckId)?,
            args,
        },
        (Expect::ObjectOrString, Body::Json(data)) => PacketKind::ConnectError { data },
        _ => return Err(BAD),
    };
    Ok(Packet { nsp, kind })
}

fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// A float as JSON (`null` when it is not finite, as `JSON.stringify`), in the shortest form
/// that reads back as the same float; an integral float keeps a `.0`, so it is sent back as
/// a float.
fn push_f64(out: &mut Vec<u8>, f: f64) {
    match serde_json::Number::from_f64(f) {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// A JS `Date` (milliseconds since the epoch) as `JSON.stringify` writes it:
/// `"2023-11-14T22:13:20.123Z"`, a six-digit signed year outside 0..=9999, `null` when out
/// of the range of a JS date.
fn push_date(out: &mut Vec<u8>, ms: i64) {
    const MAX_MS: i64 = 8_640_000_000_000_000;
    if !(-MAX_MS..=MAX_MS).contains(&ms) {
        out.extend_from_slice(b"null");
        return;
    }
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // Days to civil date (proleptic Gregorian), after H. Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let _ = if (0..=9999).contains(&year) {
        write!(out, "\"{year:04}")
    } else {
        write!(
            out,
            "\"{}{:06}",
            if year < 0 { '-' } else { '+' },
            year.abs()
        )
    };
    let _ = write!(
        out,
        "-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z\"",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    );
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/// `{"type": 0, "data": {"sid": sid}, "nsp": nsp}`.
///
/// ```
/// use socketio::proto::msgpack::encode_connect;
/// assert_eq!(&encode_connect("/", "x")[..], b"\x83\xa4type\x00\xa4data\x81\xa3sid\xa1x\xa3nsp\xa1/");
/// ```
pub fn encode_connect(nsp: &str, sid: &str) -> Bytes {
    let mut w = Writer::with_capacity(32 + nsp.len() + sid.len());
    w.head(3, 0);
    w.buf.push(0x81);
    w.str_infallible("sid");
    w.str_infallible(sid);
    w.nsp(nsp);
    w.finish_infallible()
}

/// `{"type": 0, "data": {"sid": sid, "pid": pid}, "nsp": nsp}`: the CONNECT answer with
/// connection state recovery on.
///
/// ```
/// use socketio::proto::msgpack::encode_connect_with_pid;
/// let e = encode_connect_with_pid("/", "s", "p");
/// assert_eq!(&e[..], b"\x83\xa4type\x00\xa4data\x82\xa3sid\xa1s\xa3pid\xa1p\xa3nsp\xa1/");
/// ```
pub fn encode_connect_with_pid(nsp: &str, sid: &str, pid: &str) -> Bytes {
    let mut w = Writer::with_capacity(40 + nsp.len() + sid.len() + pid.len());
    w.head(3, 0);
    w.buf.push(0x82);
    w.str_infallible("sid");
    w.str_infallible(sid);
    w.str_infallible("pid");
    w.str_infallible(pid);
    w.nsp(nsp);
    w.finish_infallible()
}

/// `{"type": 4, "data": {"message": message[, "data": data]}, "nsp": nsp}`; `data` is JSON
/// text, transcoded (an error when it is not JSON).
///
/// ```
/// use socketio::proto::msgpack::encode_connect_error;
/// let e = encode_connect_error("/", "no", Some("1")).unwrap();
/// assert_eq!(&e[..], b"\x83\xa4type\x04\xa4data\x82\xa7message\xa2no\xa4data\x01\xa3nsp\xa1/");
/// ```
pub fn encode_connect_error(
    nsp: &str,
    message: &str,
    data: Option<&str>,
) -> Result<Bytes, EncodeError> {
    let mut w = Writer::with_capacity(48 + nsp.len() + message.len() + data.map_or(0, str::len));
    w.head(3, 4);
    w.map_len(1 + usize::from(data.is_some()))?;
    w.str("message")?;
    w.str(message)?;
    if let Some(data) = data {
        w.str("data")?;
        transcode_json(&mut w, data)?;
    }
    w.nsp(nsp);
    w.finish()
}

/// `{"type": 1, "nsp": nsp}` (no `data`: the JS decoder refuses one on DISCONNECT).
///
/// ```
/// use socketio::proto::msgpack::encode_disconnect;
/// assert_eq!(&encode_disconnect("/")[..], b"\x82\xa4type\x01\xa3nsp\xa1/");
/// ```
pub fn encode_disconnect(nsp: &str) -> Bytes {
    let mut w = Writer::with_capacity(16 + nsp.len());
    w.buf.push(0x82);
    w.buf.extend_from_slice(KEY_TYPE);
    w.buf.push(1);
    w.nsp(nsp);
    w.finish_infallible()
}

/// EVENT `event` with `args` (argument rule: a tuple is several arguments, `()` none,
/// anything else one; [`Args`] re-encodes what was received) and the ack id, if any.
///
/// ```
/// use socketio::proto::msgpack::encode_event;
/// let e = encode_event("/", "ev", None, &("a", 1)).unwrap();
/// assert_eq!(&e[..], b"\x83\xa4type\x02\xa4data\x93\xa2ev\xa1a\x01\xa3nsp\xa1/");
/// ```
pub fn encode_event<T: Serialize + ?Sized>(
    nsp: &str,
    event: &str,
    id: Option<u64>,
    args: &T,
) -> Result<Bytes, EncodeError> {
    let mut w = Writer::with_capacity(64 + nsp.len() + event.len());
    w.head(3 + usize::from(id.is_some()), 2);
    write_data(&mut w, Some(event), args)?;
    w.nsp(nsp);
    if let Some(id) = id {
        w.id(id);
    }
    w.finish()
}

/// ACK for `id` with `args` (same argument rule as [`encode_event`]).
///
/// ```
/// use socketio::proto::msgpack::encode_ack;
/// let e = encode_ack("/", 5, &(1, "2")).unwrap();
/// assert_eq!(&e[..], b"\x84\xa4type\x03\xa4data\x92\x01\xa12\xa3nsp\xa1/\xa2id\x05");
/// ```
pub fn encode_ack<T: Serialize + ?Sized>(
    nsp: &str,
    id: u64,
    args: &T,
) -> Result<Bytes, EncodeError> {
    let mut w = Writer::with_capacity(64 + nsp.len());
    w.head(4, 3);
    write_data(&mut w, None, args)?;
    w.nsp(nsp);
    w.id(id);
    w.finish()
}

const KEY_TYPE: &[u8] = b"\xa4type";
const KEY_DATA: &[u8] = b"\xa4data";
const KEY_NSP: &[u8] = b"\xa3nsp";
const KEY_ID: &[u8] = b"\xa2id";

/// The `data` array: the event name, if any, then the arguments.
fn write_data<T: Serialize + ?Sized>(
    w: &mut Writer,
    event: Option<&str>,
    args: &T,
) -> Result<(), EncodeError> {
    let mut sink = DataArgs {
        w,
        event,
        left: None,
    };
    binary::write_args(&mut sink, args)?;
    match sink.left {
        Some(0) => Ok(()),
        _ => Err(ser::Error::custom(
            "argument count does not match the tuple length",
        )),
    }
}

/// The msgpack side of the argument rule: the array header (which needs the count) is
/// written when the rule knows how many arguments there are.
struct DataArgs<'a, 'e> {
    w: &'a mut Writer,
    event: Option<&'e str>,
    /// Arguments announced and not written yet; `None` before [`ArgSink::begin`].
    left: Option<usize>,
}

impl ArgSink for DataArgs<'_, '_> {
    fn begin(&mut self, count: usize) -> Result<(), EncodeError> {
        if self.left.is_some() {
            return Err(ser::Error::custom("arguments started twice"));
        }
        self.w
            .array_len(count + usize::from(self.event.is_some()))?;
        if let Some(event) = self.event {
            self.w.str(event)?;
        }
        self.left = Some(count);
        Ok(())
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        match self.left {
            Some(n) if n > 0 => self.left = Some(n - 1),
            _ => return Err(ser::Error::custom("more arguments than announced")),
        }
        value.serialize(Ser { w: self.w })
    }
}

/// A container whose length was not known when its header was written: a 5-byte header
/// stands in for it and is replaced with the smallest form in [`Writer::finish`].
struct Fixup {
    pos: usize,
    len: u32,
    map: bool,
}

/// A msgpack output buffer.
pub(crate) struct Writer {
    buf: Vec<u8>,
    /// In increasing `pos` order (headers are only ever appended).
    fixups: Vec<Fixup>,
}

fn too_long() -> EncodeError {
    ser::Error::custom("value longer than msgpack allows (4 GiB)")
}

impl Writer {
    fn with_capacity(n: usize) -> Self {
        Self {
            buf: Vec::with_capacity(n),
            fixups: Vec::new(),
        }
    }

    /// Packet map header with `entries`, then `type` and the `data` key.
    fn head(&mut self, entries: usize, ty: u8) {
        self.buf.push(0x80 | (entries as u8 & 0x0f));
        self.buf.extend_from_slice(KEY_TYPE);
        self.buf.push(ty & 0x7f);
        self.buf.extend_from_slice(KEY_DATA);
    }

    fn nsp(&mut self, nsp: &str) {
        self.buf.extend_from_slice(KEY_NSP);
        self.str_infallible(nsp);
    }

    fn id(&mut self, id: u64) {
        self.buf.extend_from_slice(KEY_ID);
        self.uint(id);
    }

    fn finish(self) -> Result<Bytes, EncodeError> {
        if self.fixups.is_empty() {
            return Ok(Bytes::from(self.buf));
        }
        let mut out = Vec::with_capacity(self.buf.len());
        let mut from = 0;
        for f in &self.fixups {
            out.extend_from_slice(self.buf.get(from..f.pos).ok_or_else(too_long)?);
            let n = f.len as usize;
            if f.map {
                push_map_len(&mut out, n);
            } else {
                push_array_len(&mut out, n);
            }
            from = f.pos + 5;
        }
        out.extend_from_slice(self.buf.get(from..).ok_or_else(too_long)?);
        Ok(Bytes::from(out))
    }

    /// For packets whose strings cannot exceed the limits (names, ids).
    fn finish_infallible(self) -> Bytes {
        Bytes::from(self.buf)
    }

    fn nil(&mut self) {
        self.buf.push(0xc0);
    }

    fn bool(&mut self, v: bool) {
        self.buf.push(if v { 0xc3 } else { 0xc2 });
    }

    fn uint(&mut self, v: u64) {
        let b = &mut self.buf;
        if v < 0x80 {
            b.push(v as u8);
        } else if v <= 0xff {
            b.extend_from_slice(&[0xcc, v as u8]);
        } else if v <= 0xffff {
            b.push(0xcd);
            b.extend_from_slice(&(v as u16).to_be_bytes());
        } else if v <= 0xffff_ffff {
            b.push(0xce);
            b.extend_from_slice(&(v as u32).to_be_bytes());
        } else {
            b.push(0xcf);
            b.extend_from_slice(&v.to_be_bytes());
        }
    }

    fn int(&mut self, v: i64) {
        if v >= 0 {
            return self.uint(v as u64);
        }
        let b = &mut self.buf;
        if v >= -32 {
            b.push(v as u8);
        } else if v >= -0x80 {
            b.extend_from_slice(&[0xd0, v as u8]);
        } else if v >= -0x8000 {
            b.push(0xd1);
            b.extend_from_slice(&(v as i16).to_be_bytes());
        } else if v >= -0x8000_0000 {
            b.push(0xd2);
            b.extend_from_slice(&(v as i32).to_be_bytes());
        } else {
            b.push(0xd3);
            b.extend_from_slice(&v.to_be_bytes());
        }
    }

    /// Float 64; NaN and infinities are `nil` (as `serde_json` writes them `null`).
    fn f64(&mut self, v: f64) {
        if v.is_finite() {
            self.buf.push(0xcb);
            self.buf.extend_from_slice(&v.to_bits().to_be_bytes());
        } else {
            self.nil();
        }
    }

    fn str(&mut self, s: &str) -> Result<(), EncodeError> {
        let n = s.len();
        let b = &mut self.buf;
        if n < 32 {
            b.push(0xa0 | n as u8);
        } else if n <= 0xff {
            b.extend_from_slice(&[0xd9, n as u8]);
        } else if n <= 0xffff {
            b.push(0xda);
            b.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            b.push(0xdb);
            b.extend_from_slice(&u32::try_from(n).map_err(|_| too_long())?.to_be_bytes());
        }
        b.extend_from_slice(s.as_bytes());
        Ok(())
    }

    /// A string known to be shorter than 4 GiB (a namespace, a sid): nothing to check.
    fn str_infallible(&mut self, s: &str) {
        if self.str(s).is_err() {
            self.nil();
        }
    }

    fn bin(&mut self, v: &[u8]) -> Result<(), EncodeError> {
        let n = v.len();
        let b = &mut self.buf;
        if n <= 0xff {
            b.extend_from_slice(&[0xc4, n as u8]);
        } else if n <= 0xffff {
            b.push(0xc5);
            b.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            b.push(0xc6);
            b.extend_from_slice(&u32::try_from(n).map_err(|_| too_long())?.to_be_bytes());
        }
        b.extend_from_slice(v);
        Ok(())
    }

    fn array_len(&mut self, n: usize) -> Result<(), EncodeError> {
        u32::try_from(n).map_err(|_| too_long())?;
        push_array_len(&mut self.buf, n);
        Ok(())
    }

    fn map_len(&mut self, n: usize) -> Result<(), EncodeError> {
        u32::try_from(n).map_err(|_| too_long())?;
        push_map_len(&mut self.buf, n);
        Ok(())
    }

    /// Header of a container of `len` elements (known) or of a length found at the end.
    fn open(&mut self, len: Option<usize>, map: bool) -> Result<Open, EncodeError> {
        match len {
            Some(n) => {
                if map {
                    self.map_len(n)?;
                } else {
                    self.array_len(n)?;
                }
                Ok(Open::Known(n))
            }
            None => {
                self.fixups.push(Fixup {
                    pos: self.buf.len(),
                    len: 0,
                    map,
                });
                self.buf
                    .extend_from_slice(&[if map { 0xdf } else { 0xdd }, 0, 0, 0, 0]);
                Ok(Open::Fixup(self.fixups.len() - 1))
            }
        }
    }

    /// Close a container opened with [`Writer::open`] after `count` elements.
    fn close(&mut self, open: Open, count: usize) -> Result<(), EncodeError> {
        match open {
            Open::Known(n) if n == count => Ok(()),
            Open::Known(_) => Err(ser::Error::custom(
                "a sequence or map serialized more elements than its length said",
            )),
            Open::Fixup(i) => {
                let len = u32::try_from(count).map_err(|_| too_long())?;
                if let Some(f) = self.fixups.get_mut(i) {
                    f.len = len;
                }
                Ok(())
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Open {
    Known(usize),
    Fixup(usize),
}

fn push_array_len(b: &mut Vec<u8>, n: usize) {
    if n < 16 {
        b.push(0x90 | n as u8);
    } else if n <= 0xffff {
        b.push(0xdc);
        b.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        b.push(0xdd);
        b.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn push_map_len(b: &mut Vec<u8>, n: usize) {
    if n < 16 {
        b.push(0x80 | n as u8);
    } else if n <= 0xffff {
        b.push(0xde);
        b.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        b.push(0xdf);
        b.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

// ----- JSON text to msgpack -------------------------------------------------------------------

/// EVENT `event` whose arguments are `elements`, the JSON text of the arguments
/// comma-separated without brackets (as a cluster message carries them), with the ack id, if
/// any: the text is transcoded straight to msgpack, parsed once, without building [`Args`].
/// Placeholders are not looked at (the caller takes arguments with attachments through
/// [`Args`]). Invalid JSON is refused.
pub(crate) fn encode_event_from_json(
    nsp: &str,
    event: &str,
    id: Option<u64>,
    elements: &str,
) -> Result<Bytes, EncodeError> {
    let mut w = Writer::with_capacity(32 + nsp.len() + event.len() + elements.len());
    w.head(3 + usize::from(id.is_some()), 2);
    let mut array = String::with_capacity(elements.len() + 2);
    array.push('[');
    array.push_str(elements);
    array.push(']');
    let mut de = serde_json::Deserializer::from_str(&array);
    DataSeed { w: &mut w, event }.deserialize(&mut de)?;
    de.end()?;
    w.nsp(nsp);
    if let Some(id) = id {
        w.id(id);
    }
    w.finish()
}

/// The `data` array of [`encode_event_from_json`]: the event name, then the elements of the
/// JSON array.
struct DataSeed<'a> {
    w: &'a mut Writer,
    event: &'a str,
}

impl<'de> DeserializeSeed<'de> for DataSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for DataSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of arguments")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let open = self.w.open(None, false).map_err(de::Error::custom)?;
        self.w.str(self.event).map_err(de::Error::custom)?;
        let mut n = 1;
        while seq
            .next_element_seed(JsonSeed { w: &mut *self.w })?
            .is_some()
        {
            n += 1;
        }
        self.w.close(open, n).map_err(de::Error::custom)
    }
}

/// Write the JSON text `json` as msgpack (placeholders are not looked at: [`Args`] resolves
/// them before it hands text over).
fn transcode_json(w: &mut Writer, json: &str) -> Result<(), EncodeError> {
    let mut de = serde_json::Deserializer::from_str(json);
    JsonSeed { w }.deserialize(&mut de)?;
    de.end()
}

struct JsonSeed<'a> {
    w: &'a mut Writer,
}

impl<'de> DeserializeSeed<'de> for JsonSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.w.bool(v);
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.w.int(v);
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.w.uint(v);
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.w.f64(v);
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.w.str(v).map_err(E::custom)
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.w.nil();
        Ok(())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let open = self.w.open(None, false).map_err(de::Error::custom)?;
        let mut n = 0;
        while seq
            .next_element_seed(JsonSeed { w: &mut *self.w })?
            .is_some()
        {
            n += 1;
        }
        self.w.close(open, n).map_err(de::Error::custom)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let open = self.w.open(None, true).map_err(de::Error::custom)?;
        let mut n = 0;
        while map.next_key_seed(JsonSeed { w: &mut *self.w })?.is_some() {
            map.next_value_seed(JsonSeed { w: &mut *self.w })?;
            n += 1;
        }
        self.w.close(open, n).map_err(de::Error::custom)
    }
}

// ----- serde to msgpack -----------------------------------------------------------------------

/// Serializes one value into a [`Writer`], with `serde_json`'s data model.
struct Ser<'a> {
    w: &'a mut Writer,
}

/// Sequences, tuples and maps: count what is written against the header.
struct Compound<'a> {
    w: &'a mut Writer,
    open: Open,
    count: usize,
}

impl Compound<'_> {
    fn end(self) -> Result<(), EncodeError> {
        self.w.close(self.open, self.count)
    }
}

/// A struct, or serde_json's `RawValue` (its one field is JSON text to transcode).
enum StructSer<'a> {
    Fields(Compound<'a>),
    Raw(&'a mut Writer),
}

macro_rules! refuse {
    ($what:literal: $($method:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        fn $method(self, $($arg: $ty),*) -> Result<$ret, EncodeError> {
            $(let _ = $arg;)*
            Err(ser::Error::custom($what))
        }
    )*};
}

impl<'a> Serializer for Ser<'a> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = StructSer<'a>;
    type SerializeStructVariant = StructSer<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), EncodeError> {
        self.w.bool(v);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), EncodeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), EncodeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), EncodeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), EncodeError> {
        self.w.int(v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), EncodeError> {
        if let Ok(v) = i64::try_from(v) {
            self.w.int(v);
        } else {
            self.w
                .uint(u64::try_from(v).map_err(|_| ser::Error::custom("integer out of range"))?);
        }
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), EncodeError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), EncodeError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), EncodeError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), EncodeError> {
        self.w.uint(v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), EncodeError> {
        self.w
            .uint(u64::try_from(v).map_err(|_| ser::Error::custom("integer out of range"))?);
        Ok(())
    }
    /// The float 64 of the shortest decimal text of `v` (what JSON would carry: `0.1f32` is
    /// sent as `0.1`, not as `0.10000000149011612`).
    fn serialize_f32(self, v: f32) -> Result<(), EncodeError> {
        let f = if v.is_finite() {
            v.to_string().parse::<f64>().unwrap_or(f64::from(v))
        } else {
            f64::NAN
        };
        self.w.f64(f);
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), EncodeError> {
        self.w.f64(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), EncodeError> {
        self.w.str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        self.w.str(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), EncodeError> {
        self.w.bin(v)
    }
    fn serialize_none(self) -> Result<(), EncodeError> {
        self.w.nil();
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), EncodeError> {
        self.w.nil();
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), EncodeError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), EncodeError> {
        self.w.str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.w.map_len(1)?;
        self.w.str(variant)?;
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a>, EncodeError> {
        let open = self.w.open(len, false)?;
        Ok(Compound {
            w: self.w,
            open,
            count: 0,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, EncodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, EncodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, EncodeError> {
        self.w.map_len(1)?;
        self.w.str(variant)?;
        self.serialize_seq(Some(len))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a>, EncodeError> {
        let open = self.w.open(len, true)?;
        Ok(Compound {
            w: self.w,
            open,
            count: 0,
        })
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<StructSer<'a>, EncodeError> {
        if name == RAW_VALUE_TOKEN {
            return Ok(StructSer::Raw(self.w));
        }
        self.serialize_map(Some(len)).map(StructSer::Fields)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<StructSer<'a>, EncodeError> {
        self.w.map_len(1)?;
        self.w.str(variant)?;
        self.serialize_map(Some(len)).map(StructSer::Fields)
    }
    /// Kept true, as for `serde_json`: a type serializes the same whatever the parser.
    fn is_human_readable(&self) -> bool {
        true
    }
}

macro_rules! seq_like {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = EncodeError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
                self.count += 1;
                value.serialize(Ser { w: &mut *self.w })
            }
            fn end(self) -> Result<(), EncodeError> {
                Compound::end(self)
            }
        }
    };
}
seq_like!(SerializeSeq, serialize_element);
seq_like!(SerializeTuple, serialize_element);
seq_like!(SerializeTupleStruct, serialize_field);
seq_like!(SerializeTupleVariant, serialize_field);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), EncodeError> {
        key.serialize(KeySer { w: &mut *self.w })
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.count += 1;
        value.serialize(Ser { w: &mut *self.w })
    }
    fn end(self) -> Result<(), EncodeError> {
        Compound::end(self)
    }
}

macro_rules! struct_like {
    ($trait:ident) => {
        impl ser::$trait for StructSer<'_> {
            type Ok = ();
            type Error = EncodeError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), EncodeError> {
                match self {
                    StructSer::Fields(c) => {
                        c.count += 1;
                        c.w.str(key)?;
                        value.serialize(Ser { w: &mut *c.w })
                    }
                    StructSer::Raw(w) => value.serialize(RawSer { w: &mut **w }),
                }
            }
            fn end(self) -> Result<(), EncodeError> {
                match self {
                    StructSer::Fields(c) => c.end(),
                    StructSer::Raw(_) => Ok(()),
                }
            }
        }
    };
}
struct_like!(SerializeStruct);
struct_like!(SerializeStructVariant);

/// Map keys: strings, and what `serde_json` turns into strings (integers, `char`, `bool`).
struct KeySer<'a> {
    w: &'a mut Writer,
}

impl KeySer<'_> {
    fn text(self, v: impl fmt::Display) -> Result<(), EncodeError> {
        self.w.str(&v.to_string())
    }
}

impl Serializer for KeySer<'_> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = ser::Impossible<(), EncodeError>;
    type SerializeTuple = ser::Impossible<(), EncodeError>;
    type SerializeTupleStruct = ser::Impossible<(), EncodeError>;
    type SerializeTupleVariant = ser::Impossible<(), EncodeError>;
    type SerializeMap = ser::Impossible<(), EncodeError>;
    type SerializeStruct = ser::Impossible<(), EncodeError>;
    type SerializeStructVariant = ser::Impossible<(), EncodeError>;

    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        self.w.str(v)
    }
    fn serialize_char(self, v: char) -> Result<(), EncodeError> {
        self.w.str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_bool(self, v: bool) -> Result<(), EncodeError> {
        self.text(v)
    }
    fn serialize_i8(self, v: i8) -> Result<(), EncodeError> {
        self.text(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), EncodeError> {
        self.text(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), EncodeError> {
        self.text(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), EncodeError> {
        self.text(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), EncodeError> {
        self.text(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), EncodeError> {
        self.text(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), EncodeError> {
        self.text(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), EncodeError> {
        self.text(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), EncodeError> {
        self.text(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), EncodeError> {
        self.text(v)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), EncodeError> {
        self.w.str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    refuse! { "a map key must be a string":
        serialize_f32(v: f32) -> ();
        serialize_f64(v: f64) -> ();
        serialize_bytes(v: &[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(n: &'static str) -> ();
        serialize_seq(l: Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(l: usize) -> Self::SerializeTuple;
        serialize_tuple_struct(n: &'static str, l: usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(n: &'static str, i: u32, v: &'static str, l: usize) -> Self::SerializeTupleVariant;
        serialize_map(l: Option<usize>) -> Self::SerializeMap;
        serialize_struct(n: &'static str, l: usize) -> Self::SerializeStruct;
        serialize_struct_variant(n: &'static str, i: u32, v: &'static str, l: usize) -> Self::SerializeStructVariant;
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), EncodeError> {
        Err(ser::Error::custom("a map key must be a string"))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), EncodeError> {
        Err(ser::Error::custom("a map key must be a string"))
    }
}

/// The field of a `RawValue`: its JSON text, transcoded.
struct RawSer<'a> {
    w: &'a mut Writer,
}

impl Serializer for RawSer<'_> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = ser::Impossible<(), EncodeError>;
    type SerializeTuple = ser::Impossible<(), EncodeError>;
    type SerializeTupleStruct = ser::Impossible<(), EncodeError>;
    type SerializeTupleVariant = ser::Impossible<(), EncodeError>;
    type SerializeMap = ser::Impossible<(), EncodeError>;
    type SerializeStruct = ser::Impossible<(), EncodeError>;
    type SerializeStructVariant = ser::Impossible<(), EncodeError>;

    fn serialize_str(self, json: &str) -> Result<(), EncodeError> {
        transcode_json(self.w, json)
    }
    refuse! { "a raw JSON value must be text":
        serialize_bool(v: bool) -> ();
        serialize_i8(v: i8) -> ();
        serialize_i16(v: i16) -> ();
        serialize_i32(v: i32) -> ();
        serialize_i64(v: i64) -> ();
        serialize_u8(v: u8) -> ();
        serialize_u16(v: u16) -> ();
        serialize_u32(v: u32) -> ();
        serialize_u64(v: u64) -> ();
        serialize_f32(v: f32) -> ();
        serialize_f64(v: f64) -> ();
        serialize_char(v: char) -> ();
        serialize_bytes(v: &[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(n: &'static str) -> ();
        serialize_unit_variant(n: &'static str, i: u32, v: &'static str) -> ();
        serialize_seq(l: Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(l: usize) -> Self::SerializeTuple;
        serialize_tuple_struct(n: &'static str, l: usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(n: &'static str, i: u32, v: &'static str, l: usize) -> Self::SerializeTupleVariant;
        serialize_map(l: Option<usize>) -> Self::SerializeMap;
        serialize_struct(n: &'static str, l: usize) -> Self::SerializeStruct;
        serialize_struct_variant(n: &'static str, i: u32, v: &'static str, l: usize) -> Self::SerializeStructVariant;
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), EncodeError> {
        Err(ser::Error::custom("a raw JSON value must be text"))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _value: &T,
    ) -> Result<(), EncodeError> {
        Err(ser::Error::custom("a raw JSON value must be text"))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), EncodeError> {
        Err(ser::Error::custom("a raw JSON value must be text"))
    }
}

#[cfg(test)]
#[path = "msgpack_tests.rs"]
mod tests;
