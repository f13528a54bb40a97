//! The parser seam: which packet encoding a server speaks.
//!
//! [`Parser`] is chosen once per server and used by every connection of that server: the
//! JSON text encoding of the reference `socket.io-parser` ([`Parser::json`], the default),
//! the msgpack encoding of `socket.io-msgpack-parser` and python-socketio's
//! `serializer='msgpack'` ([`Parser::msgpack`]), or your own ([`Parser::custom`] with a
//! [`PacketParser`]). The two built-in encodings are dispatched statically (a value is
//! serialized straight into its wire form); a custom parser gets the packet with its
//! arguments already serialized into [`Args`].
//!
//! Whatever the encoding, packets are decoded into the same [`Packet`] (arguments as
//! [`Args`]: JSON text plus binary attachments), so handlers, typed arguments and acks do not
//! depend on it.
//!
//! ```
//! use socketio::proto::parser::Parser;
//! use socketio::proto::sio::PacketKind;
//!
//! let parser = Parser::msgpack();
//! let e = parser.encode_event("/", "hi", None, &("a", 1)).unwrap();
//! assert!(e.text.is_empty() && e.attachments.len() == 1); // one binary message
//! let mut d = parser.decoder(10);
//! let p = d.feed_binary(e.attachments[0].clone()).unwrap().unwrap();
//! assert!(matches!(p.kind, PacketKind::Event { ref name, .. } if name == "hi"));
//! ```

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;

use crate::proto::msgpack;
use crate::proto::sio::{self, Args, DecodeError, EncodeError, Encoded, Packet, PacketKind};

/// A packet encoding for [`Parser::custom`]: makes one decoder per connection and encodes
/// the packets the server sends.
///
/// Packets to encode are what the server sends: CONNECT with `auth` holding the JSON text
/// `{"sid":"…"}`, CONNECT_ERROR with the JSON text `{"message":…[,"data":…]}`, DISCONNECT,
/// EVENT and ACK with their arguments as [`Args`] (read them with [`Args::get`], for example
/// as [`crate::proto::value::Value`], which keeps binary data).
///
/// ```
/// use socketio::proto::parser::{PacketDecoder, PacketParser, Parser};
/// use socketio::proto::sio::{self, DecodeError, EncodeError, Encoded, Packet, PacketKind};
///
/// /// The JSON encoding, written as a custom parser.
/// struct Json;
///
/// impl PacketParser for Json {
///     fn decoder(&self, max_attachments: usize) -> Box<dyn PacketDecoder> {
///         Box::new(sio::Decoder::new(max_attachments))
///     }
///     fn encode(&self, p: &Packet) -> Result<Encoded, EncodeError> {
///         match &p.kind {
///             PacketKind::Event { name, args, id } => sio::encode_event(&p.nsp, name, *id, args),
///             PacketKind::Ack { id, args } => sio::encode_ack(&p.nsp, *id, args),
///             _ => Parser::json().encode_packet(p),
///         }
///     }
/// }
///
/// let parser = Parser::custom(Json);
/// let e = parser.encode_event("/", "ev", Some(2), &vec![1, 2]).unwrap();
/// assert_eq!(&e.text[..], br#"422["ev",[1,2]]"#);
/// ```
pub trait PacketParser: Send + Sync + 'static {
    /// A fresh decoder for one connection; `max_attachments` is the server's limit of
    /// binary attachments per packet
    /// ([`ServerConfig::max_attachments`](crate::ServerConfig::max_attachments)).
    fn decoder(&self, max_attachments: usize) -> Box<dyn PacketDecoder>;

    /// Encode a packet the server sends. It is encoded once and its messages are shared by
    /// every recipient of a broadcast.
    fn encode(&self, packet: &Packet) -> Result<Encoded, EncodeError>;
}

/// The decoding side of a [`PacketParser`], for one connection: Engine.IO messages go in,
/// Socket.IO packets come out once complete. An error closes the connection ("parse error").
pub trait PacketDecoder: Send + 'static {
    /// One text Engine.IO message (without the Engine.IO `4`).
    fn feed_text(&mut self, text: &str) -> Result<Option<Packet>, DecodeError>;
    /// One binary Engine.IO message.
    fn feed_binary(&mut self, data: Bytes) -> Result<Option<Packet>, DecodeError>;
}

impl PacketDecoder for sio::Decoder {
    fn feed_text(&mut self, text: &str) -> Result<Option<Packet>, DecodeError> {
        sio::Decoder::feed_text(self, text)
    }
    fn feed_binary(&mut self, data: Bytes) -> Result<Option<Packet>, DecodeError> {
        sio::Decoder::feed_binary(self, data)
    }
}

impl PacketDecoder for msgpack::Decoder {
    fn feed_text(&mut self, text: &str) -> Result<Option<Packet>, DecodeError> {
        msgpack::Decoder::feed_text(self, text)
    }
    fn feed_binary(&mut self, data: Bytes) -> Result<Option<Packet>, DecodeError> {
        msgpack::Decoder::feed_binary(self, data)
    }
}

/// The packet encoding of a server (see the [module docs](self)). Cheap to clone.
#[derive(Clone, Default)]
pub struct Parser(Kind);

#[derive(Clone, Default)]
enum Kind {
    #[default]
    Json,
    Msgpack,
    Custom(Arc<dyn PacketParser>),
}

impl fmt::Debug for Parser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Kind::Json => "Parser::json()",
            Kind::Msgpack => "Parser::msgpack()",
            Kind::Custom(_) => "Parser::custom(..)",
        })
    }
}

impl Parser {
    /// The JSON text encoding of the reference `socket.io-parser` (the default): text
    /// messages, binary values as attachments.
    pub fn json() -> Self {
        Self(Kind::Json)
    }

    /// The msgpack encoding of `socket.io-msgpack-parser` 3.x and python-socketio's
    /// `serializer='msgpack'`: one binary message per packet (see [`crate::proto::msgpack`]).
    pub fn msgpack() -> Self {
        Self(Kind::Msgpack)
    }

    /// Your own encoding.
    pub fn custom(parser: impl PacketParser) -> Self {
        Self(Kind::Custom(Arc::new(parser)))
    }

    /// True for the JSON text encoding (the default).
    pub fn is_json(&self) -> bool {
        matches!(self.0, Kind::Json)
    }

    /// True for the msgpack encoding.
    pub fn is_msgpack(&self) -> bool {
        matches!(self.0, Kind::Msgpack)
    }

    /// A decoder for one connection, accepting at most `max_attachments` binary attachments
    /// (binary values, for msgpack) per packet.
    pub fn decoder(&self, max_attachments: usize) -> Decoder {
        Decoder(match &self.0 {
            Kind::Json => DecoderKind::Json(sio::Decoder::new(max_attachments)),
            Kind::Msgpack => DecoderKind::Msgpack(msgpack::Decoder::new(max_attachments)),
            Kind::Custom(p) => DecoderKind::Custom(p.decoder(max_attachments)),
        })
    }

    /// CONNECT answer with the socket's `sid`.
    #[inline]
    pub fn encode_connect(&self, nsp: &str, sid: &str) -> Encoded {
        match &self.0 {
            Kind::Json => sio::encode_connect(nsp, sid),
            Kind::Msgpack => binary_only(msgpack::encode_connect(nsp, sid)),
            Kind::Custom(p) => {
                let mut auth = Vec::with_capacity(10 + sid.len());
                auth.extend_from_slice(br#"{"sid":"#);
                sio::push_json_str(&mut auth, sid);
                auth.push(b'}');
                let auth = String::from_utf8(auth).unwrap_or_default();
                custom(p, nsp, PacketKind::Connect { auth: Some(auth) })
                    .unwrap_or_else(|_| sio::encode_connect(nsp, sid))
            }
        }
    }

    /// CONNECT answer with the socket's `sid` and, with connection state recovery on, its
    /// private session id `pid` (`{"sid":"…","pid":"…"}`, as Node).
    ///
    /// ```
    /// use socketio::proto::parser::Parser;
    /// let e = Parser::json().encode_connect_with_pid("/", "s", Some("p"));
    /// assert_eq!(&e.text[..], br#"40{"sid":"s","pid":"p"}"#);
    /// ```
    pub fn encode_connect_with_pid(&self, nsp: &str, sid: &str, pid: Option<&str>) -> Encoded {
        let Some(pid) = pid else {
            return self.encode_connect(nsp, sid);
        };
        let mut auth = Vec::with_capacity(20 + sid.len() + pid.len());
        auth.extend_from_slice(br#"{"sid":"#);
        sio::push_json_str(&mut auth, sid);
        auth.extend_from_slice(br#","pid":"#);
        sio::push_json_str(&mut auth, pid);
        auth.push(b'}');
        match &self.0 {
            Kind::Json => {
                let mut buf = Vec::with_capacity(auth.len() + nsp.len() + 4);
                buf.extend_from_slice(b"40");
                if !nsp.is_empty() && nsp != "/" {
                    buf.extend_from_slice(nsp.as_bytes());
                    buf.push(b',');
                }
                buf.extend_from_slice(&auth);
                Encoded {
                    text: Bytes::from(buf),
                    attachments: Default::default(),
                }
            }
            Kind::Msgpack => binary_only(msgpack::encode_connect_with_pid(nsp, sid, pid)),
            Kind::Custom(p) => {
                let auth = String::from_utf8(auth).unwrap_or_default();
                custom(p, nsp, PacketKind::Connect { auth: Some(auth) })
                    .unwrap_or_else(|_| sio::encode_connect(nsp, sid))
            }
        }
    }

    /// CONNECT_ERROR with `message` and, when given, `data` (JSON text).
    #[inline]
    pub fn encode_connect_error(&self, nsp: &str, message: &str, data: Option<&str>) -> Encoded {
        match &self.0 {
            Kind::Json => sio::encode_connect_error(nsp, message, data),
            Kind::Msgpack => match msgpack::encode_connect_error(nsp, message, data) {
                Ok(b) => binary_only(b),
                // `data` that is not JSON is left out.
                Err(_) => binary_only(
                    msgpack::encode_connect_error(nsp, message, None).unwrap_or_default(),
                ),
            },
            Kind::Custom(p) => {
                let text = sio::encode_connect_error("/", message, data).text;
                // `44{…}`: the payload after the Engine.IO and Socket.IO type digits.
                let json = text.get(2..).unwrap_or_default();
                let data = String::from_utf8_lossy(json).into_owned();
                custom(p, nsp, PacketKind::ConnectError { data })
                    .unwrap_or_else(|_| sio::encode_connect_error(nsp, message, None))
            }
        }
    }

    /// DISCONNECT.
    #[inline]
    pub fn encode_disconnect(&self, nsp: &str) -> Encoded {
        match &self.0 {
            Kind::Json => sio::encode_disconnect(nsp),
            Kind::Msgpack => binary_only(msgpack::encode_disconnect(nsp)),
            Kind::Custom(p) => custom(p, nsp, PacketKind::Disconnect)
                .unwrap_or_else(|_| sio::encode_disconnect(nsp)),
        }
    }

    /// EVENT `event` with `args` (a tuple is several arguments, `()` none, anything else
    /// one) and an ack id when an acknowledgement is asked for.
    #[inline]
    pub fn encode_event<T: Serialize + ?Sized>(
        &self,
        nsp: &str,
        event: &str,
        id: Option<u64>,
        args: &T,
    ) -> Result<Encoded, EncodeError> {
        match &self.0 {
            Kind::Json => sio::encode_event(nsp, event, id, args),
            Kind::Msgpack => msgpack::encode_event(nsp, event, id, args).map(binary_only),
            Kind::Custom(p) => {
                let args = Args::from_serialize(args)?;
                let name = event.to_owned();
                custom(p, nsp, PacketKind::Event { name, args, id })
            }
        }
    }

    /// ACK for `id` with `args` (same argument rule as [`Parser::encode_event`]).
    #[inline]
    pub fn encode_ack<T: Serialize + ?Sized>(
        &self,
        nsp: &str,
        id: u64,
        args: &T,
    ) -> Result<Encoded, EncodeError> {
        match &self.0 {
            Kind::Json => sio::encode_ack(nsp, id, args),
            Kind::Msgpack => msgpack::encode_ack(nsp, id, args).map(binary_only),
            Kind::Custom(p) => {
                let args = Args::from_serialize(args)?;
                custom(p, nsp, PacketKind::Ack { id, args })
            }
        }
    }

    /// Encode a whole [`Packet`] (as a [`PacketParser`] is asked to). CONNECT needs its
    /// `auth` to be `{"sid":"…"}` JSON text, CONNECT_ERROR its data to be
    /// `{"message":…[,"data":…]}` JSON text.
    pub fn encode_packet(&self, packet: &Packet) -> Result<Encoded, EncodeError> {
        let nsp = packet.nsp.as_str();
        match &packet.kind {
            PacketKind::Event { name, args, id } => self.encode_event(nsp, name, *id, args),
            PacketKind::Ack { id, args } => self.encode_ack(nsp, *id, args),
            PacketKind::Disconnect => Ok(self.encode_disconnect(nsp)),
            PacketKind::Connect { auth } => {
                #[derive(serde::Deserialize)]
                struct Sid {
                    sid: String,
                }
                let sid: Sid = serde_json::from_str(auth.as_deref().unwrap_or("null"))?;
                Ok(self.encode_connect(nsp, &sid.sid))
            }
            PacketKind::ConnectError { data } => {
                #[derive(serde::Deserialize)]
                struct Refusal<'a> {
                    message: String,
                    #[serde(borrow)]
                    data: Option<&'a serde_json::value::RawValue>,
                }
                let r: Refusal<'_> = serde_json::from_str(data)?;
                let data = r.data.map(serde_json::value::RawValue::get);
                Ok(self.encode_connect_error(nsp, &r.message, data))
            }
        }
    }
}

fn custom(p: &Arc<dyn PacketParser>, nsp: &str, kind: PacketKind) -> Result<Encoded, EncodeError> {
    p.encode(&Packet {
        nsp: nsp.to_owned(),
        kind,
    })
}

/// A packet that is one binary message (msgpack).
fn binary_only(frame: Bytes) -> Encoded {
    Encoded::binary(frame)
}

/// The decoder of one connection, for its server's [`Parser`].
pub struct Decoder(DecoderKind);

enum DecoderKind {
    Json(sio::Decoder),
    Msgpack(msgpack::Decoder),
    Custom(Box<dyn PacketDecoder>),
}

impl fmt::Debug for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            DecoderKind::Json(d) => d.fmt(f),
            DecoderKind::Msgpack(d) => d.fmt(f),
            DecoderKind::Custom(_) => f.write_str("Decoder(custom)"),
        }
    }
}

impl Decoder {
    /// One text Engine.IO message (without the Engine.IO `4`).
    #[inline]
    pub fn feed_text(&mut self, text: &str) -> Result<Option<Packet>, DecodeError> {
        match &mut self.0 {
            DecoderKind::Json(d) => d.feed_text(text),
            DecoderKind::Msgpack(d) => d.feed_text(text),
            DecoderKind::Custom(d) => d.feed_text(text),
        }
    }

    /// One binary Engine.IO message.
    #[inline]
    pub fn feed_binary(&mut self, data: Bytes) -> Result<Option<Packet>, DecodeError> {
        match &mut self.0 {
            DecoderKind::Json(d) => d.feed_binary(data),
            DecoderKind::Msgpack(d) => d.feed_binary(data),
            DecoderKind::Custom(d) => d.feed_binary(data),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::proto::value::Value;

    /// Forwards to the msgpack parser through the custom path (so `Args` round trips).
    struct ViaArgs;

    impl PacketParser for ViaArgs {
        fn decoder(&self, max: usize) -> Box<dyn PacketDecoder> {
            Box::new(msgpack::Decoder::new(max))
        }
        fn encode(&self, p: &Packet) -> Result<Encoded, EncodeError> {
            Parser::msgpack().encode_packet(p)
        }
    }

    #[test]
    fn custom_parser_sees_every_packet_kind_and_matches_the_builtin() {
        let builtin = Parser::msgpack();
        let custom = Parser::custom(ViaArgs);
        let args = ("a", Value::Bytes(Bytes::from_static(b"\x01")), 2.5);
        assert_eq!(
            custom.encode_event("/x", "e", Some(3), &args).unwrap(),
            builtin.encode_event("/x", "e", Some(3), &args).unwrap()
        );
        assert_eq!(
            custom.encode_ack("/", 3, &args).unwrap(),
            builtin.encode_ack("/", 3, &args).unwrap()
        );
        assert_eq!(
            custom.encode_connect("/", "s\"id"),
            builtin.encode_connect("/", "s\"id")
        );
        assert_eq!(
            custom.encode_connect_error("/c", "no", Some(r#"{"r":1}"#)),
            builtin.encode_connect_error("/c", "no", Some(r#"{"r":1}"#))
        );
        assert_eq!(
            custom.encode_disconnect("/"),
            builtin.encode_disconnect("/")
        );
        let frame = builtin.encode_ack("/", 3, &args).unwrap().attachments[0].clone();
        let p = custom.decoder(1).feed_binary(frame).unwrap().unwrap();
        let PacketKind::Ack { args, .. } = p.kind else {
            panic!()
        };
        assert_eq!(args.get::<Bytes>(1).unwrap(), &b"\x01"[..]);
    }

    #[test]
    fn json_is_the_default_and_text() {
        let p = Parser::default();
        assert!(!p.is_msgpack());
        let e = p.encode_event("/", "e", None, &1).unwrap();
        assert_eq!(&e.text[..], br#"42["e",1]"#);
        assert!(p.decoder(1).feed_binary(Bytes::new()).is_err());
        let e = Parser::msgpack().encode_disconnect("/");
        assert!(e.text.is_empty());
        assert_eq!(e.attachments.len(), 1);
        assert_eq!(
            Parser::msgpack().decoder(1).feed_text("1").unwrap_err(),
            DecodeError::UnexpectedText
        );
    }
}
