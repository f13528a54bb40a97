//! The serde bridge between user types and packet arguments: a serializer that turns bytes
//! anywhere in a value into `{"_placeholder":true,"num":n}` plus an attachment, and a
//! deserializer that does the reverse. Top-level rule for arguments: a tuple is several
//! arguments, `()` is none, anything else is one.
//!
//! Serialization is one serde pass writing compact JSON into one buffer: `PlaceholderSer`
//! wraps any serializer (in practice `serde_json`'s) and delegates every call to it, except
//! `serialize_bytes`, which becomes a placeholder object while the bytes are collected as an
//! attachment. Compound serializers wrap their elements, so bytes are found at any depth, in
//! document order (the order the JS encoder numbers them in). Struct names are passed through
//! unchanged, so a `serde_json::value::RawValue` is still written verbatim.
//!
//! Deserialization of an argument that contains placeholders goes through
//! [`crate::proto::value::Value`]: the JSON is parsed into a `Value`, placeholder objects are
//! replaced with [`crate::proto::value::Value::Bytes`], and the target type is deserialized
//! from that `Value` (bytes are offered via `visit_byte_buf`). Arguments without placeholders
//! never take this path.

use std::cell::RefCell;
use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, Visitor};
use serde::ser::{self, Serialize, Serializer};
use smallvec::SmallVec;

use crate::proto::value::Value;

/// Key of the placeholder marker in a placeholder object.
pub const PLACEHOLDER_KEY: &str = "_placeholder";
/// Key of the attachment index in a placeholder object.
pub const PLACEHOLDER_NUM: &str = "num";

/// serde_json's private marker for `RawValue` (a struct with this name and one field of this
/// name holding the raw JSON text is written verbatim). It is what
/// `serde_json::value::RawValue`'s own `Serialize` impl emits; the round-trip tests in
/// `sio_tests.rs` fail if serde_json ever changes it.
pub(crate) const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Attachments collected while serializing, in placeholder order.
pub(crate) type Attachments = RefCell<SmallVec<[Bytes; 1]>>;

/// Writes `raw` (which must be valid JSON) verbatim when serialized with `serde_json`.
pub(crate) struct RawJson<'a>(pub(crate) &'a str);

impl Serialize for RawJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use ser::SerializeStruct;
        let mut st = s.serialize_struct(RAW_VALUE_TOKEN, 1)?;
        st.serialize_field(RAW_VALUE_TOKEN, self.0)?;
        st.end()
    }
}

// ---------------------------------------------------------------------------------------------
// Placeholder serializer
// ---------------------------------------------------------------------------------------------

/// A serializer that delegates to `inner` but writes every byte string as a placeholder
/// object and stores the bytes in `attachments`.
pub(crate) struct PlaceholderSer<'a, S> {
    inner: S,
    attachments: &'a Attachments,
}

/// A value serialized through [`PlaceholderSer`] (used for the elements of compounds).
struct Wrap<'a, T: ?Sized> {
    value: &'a T,
    attachments: &'a Attachments,
}

impl<T: Serialize + ?Sized> Serialize for Wrap<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(PlaceholderSer {
            inner: s,
            attachments: self.attachments,
        })
    }
}

/// Compound serializer of [`PlaceholderSer`]: wraps each element.
pub(crate) struct PlaceholderCompound<'a, C> {
    inner: C,
    attachments: &'a Attachments,
}

impl<'a, S: Serializer> Serializer for PlaceholderSer<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = PlaceholderCompound<'a, S::SerializeSeq>;
    type SerializeTuple = PlaceholderCompound<'a, S::SerializeTuple>;
    type SerializeTupleStruct = PlaceholderCompound<'a, S::SerializeTupleStruct>;
    type SerializeTupleVariant = PlaceholderCompound<'a, S::SerializeTupleVariant>;
    type SerializeMap = PlaceholderCompound<'a, S::SerializeMap>;
    type SerializeStruct = PlaceholderCompound<'a, S::SerializeStruct>;
    type SerializeStructVariant = PlaceholderCompound<'a, S::SerializeStructVariant>;

    fn serialize_bool(self, v: bool) -> Result<S::Ok, S::Error> {
        self.inner.serialize_bool(v)
    }
    fn serialize_i8(self, v: i8) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i8(v)
    }
    fn serialize_i16(self, v: i16) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i16(v)
    }
    fn serialize_i32(self, v: i32) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i32(v)
    }
    fn serialize_i64(self, v: i64) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i64(v)
    }
    fn serialize_i128(self, v: i128) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i128(v)
    }
    fn serialize_u8(self, v: u8) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u8(v)
    }
    fn serialize_u16(self, v: u16) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u16(v)
    }
    fn serialize_u32(self, v: u32) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u32(v)
    }
    fn serialize_u64(self, v: u64) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u64(v)
    }
    fn serialize_u128(self, v: u128) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u128(v)
    }
    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        self.inner.serialize_f32(v)
    }
    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        self.inner.serialize_f64(v)
    }
    fn serialize_char(self, v: char) -> Result<S::Ok, S::Error> {
        self.inner.serialize_char(v)
    }
    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        self.inner.serialize_str(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<S::Ok, S::Error> {
        use ser::SerializeStruct;
        let num = {
            let mut att = self.attachments.borrow_mut();
            att.push(Bytes::copy_from_slice(v));
            att.len() - 1
        };
        let mut st = self.inner.serialize_struct(PLACEHOLDER_KEY, 2)?;
        st.serialize_field(PLACEHOLDER_KEY, &true)?;
        st.serialize_field(PLACEHOLDER_NUM, &num)?;
        st.end()
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_none()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(&Wrap {
            value,
            attachments: self.attachments,
        })
    }
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit()
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_struct(name)
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_variant(name, index, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_newtype_struct(
            name,
            &Wrap {
                value,
                attachments: self.attachments,
            },
        )
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_newtype_variant(
            name,
            index,
            variant,
            &Wrap {
                value,
                attachments: self.attachments,
            },
        )
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        let inner = self.inner.serialize_seq(len)?;
        Ok(PlaceholderCompound {
            inner,
            attachments: self.attachments,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        let inner = self.inner.serialize_tuple(len)?;
        Ok(PlaceholderCompound {
            inner,
            attachments: self.attachments,
        })
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        let inner = self.inner.serialize_tuple_struct(name, len)?;
        Ok(PlaceholderCompound {
            inner,
            attachments: self.attachments,
        })
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        let inner = self
            .inner
            .serialize_tuple_variant(name, index, variant, len)?;
        Ok(PlaceholderCompound {
            inner,
            attachments: self.attachments,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        let inner = self.inner.serialize_map(len)?;
        Ok(PlaceholderCompound {
            inner,
            attachments: self.attachments,
        })
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let inner = self.inner.serialize_struct(name, len)?;
        Ok(PlaceholderCompound {
            inner,
            attachments: self.attachments,
        })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let inner = self
            .inner
            .serialize_struct_variant(name, index, variant, len)?;
        Ok(PlaceholderCompound {
            inner,
            attachments: self.attachments,
        })
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.collect_str(value)
    }
    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! compound {
    ($trait:ident, $method:ident) => {
        impl<C: ser::$trait> ser::$trait for PlaceholderCompound<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
                self.inner.$method(&Wrap {
                    value,
                    attachments: self.attachments,
                })
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    };
}
compound!(SerializeSeq, serialize_element);
compound!(SerializeTuple, serialize_element);
compound!(SerializeTupleStruct, serialize_field);
compound!(SerializeTupleVariant, serialize_field);

macro_rules! compound_fields {
    ($trait:ident) => {
        impl<C: ser::$trait> ser::$trait for PlaceholderCompound<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), C::Error> {
                self.inner.serialize_field(
                    key,
                    &Wrap {
                        value,
                        attachments: self.attachments,
                    },
                )
            }
            fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
                self.inner.skip_field(key)
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    };
}
compound_fields!(SerializeStruct);
compound_fields!(SerializeStructVariant);

impl<C: ser::SerializeMap> ser::SerializeMap for PlaceholderCompound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        // Keys are strings in JSON: nothing to replace.
        self.inner.serialize_key(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner.serialize_value(&Wrap {
            value,
            attachments: self.attachments,
        })
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

// ---------------------------------------------------------------------------------------------
// Top-level argument rule
// ---------------------------------------------------------------------------------------------

/// Writes arguments, comma separated, into a JSON buffer and records where each one is.
pub(crate) struct ArgWriter<'a> {
    buf: &'a mut Vec<u8>,
    attachments: &'a Attachments,
    spans: SmallVec<[(u32, u32); 4]>,
    need_comma: bool,
}

impl<'a> ArgWriter<'a> {
    /// `need_comma`: whether something (an event name) precedes the first argument.
    pub(crate) fn new(
        buf: &'a mut Vec<u8>,
        attachments: &'a Attachments,
        need_comma: bool,
    ) -> Self {
        Self {
            buf,
            attachments,
            spans: SmallVec::new(),
            need_comma,
        }
    }

    /// Byte spans of the written arguments in the buffer.
    pub(crate) fn into_spans(self) -> SmallVec<[(u32, u32); 4]> {
        self.spans
    }

    /// Write one argument.
    pub(crate) fn push<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        if self.need_comma {
            self.buf.push(b',');
        }
        self.need_comma = true;
        let start = self.buf.len();
        let mut json = serde_json::Serializer::new(&mut *self.buf);
        value.serialize(PlaceholderSer {
            inner: &mut json,
            attachments: self.attachments,
        })?;
        let end = self.buf.len();
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(s), Ok(e)) => {
                self.spans.push((s, e));
                Ok(())
            }
            _ => Err(ser::Error::custom("arguments larger than 4 GiB")),
        }
    }

    /// Write `value` with the top-level rule: a tuple is several arguments, `()` none,
    /// anything else one.
    pub(crate) fn write_args<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        write_args(self, value)
    }
}

impl ArgSink for ArgWriter<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), serde_json::Error> {
        ArgWriter::push(self, value)
    }
}

/// Where the top-level rule puts arguments: the JSON [`ArgWriter`], or the msgpack encoder
/// (`proto::msgpack`), which must write the argument count before the arguments.
pub(crate) trait ArgSink {
    /// Called once, before the first argument, with the number of arguments to come.
    fn begin(&mut self, count: usize) -> Result<(), serde_json::Error> {
        let _ = count;
        Ok(())
    }
    /// Write one argument.
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), serde_json::Error>;
}

/// Write `value` into `sink` with the top-level rule: a tuple is several arguments, `()`
/// none, anything else one.
pub(crate) fn write_args<W: ArgSink, T: Serialize + ?Sized>(
    sink: &mut W,
    value: &T,
) -> Result<(), serde_json::Error> {
    match value.serialize(TopLevel { writer: sink }) {
        Ok(()) => Ok(()),
        Err(TopError::NotTuple) => {
            sink.begin(1)?;
            sink.push(value)
        }
        Err(TopError::Json(e)) => Err(e),
    }
}

/// Error of [`TopLevel`]: either "this is a single argument" or a real error.
#[derive(Debug)]
enum TopError {
    NotTuple,
    Json(serde_json::Error),
}

impl fmt::Display for TopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopError::NotTuple => f.write_str("not a tuple"),
            TopError::Json(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TopError {}

impl ser::Error for TopError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TopError::Json(serde_json::Error::custom(msg))
    }
}

/// Looks at the first serializer call only: `serialize_tuple` splits the tuple into
/// arguments, `serialize_unit` means none; any other call answers
/// [`TopError::NotTuple`] at once and the caller writes the whole value as one argument.
struct TopLevel<'w, W> {
    writer: &'w mut W,
}

struct TopTuple<'w, W> {
    writer: &'w mut W,
}

impl<W: ArgSink> ser::SerializeTuple for TopTuple<'_, W> {
    type Ok = ();
    type Error = TopError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), TopError> {
        self.writer.push(value).map_err(TopError::Json)
    }
    fn end(self) -> Result<(), TopError> {
        Ok(())
    }
}

macro_rules! not_tuple {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        fn $method(self, $($arg: $ty),*) -> Result<$ret, TopError> {
            $(let _ = $arg;)*
            Err(TopError::NotTuple)
        }
    )*};
}

impl<'w, W: ArgSink> Serializer for TopLevel<'w, W> {
    type Ok = ();
    type Error = TopError;
    type SerializeSeq = ser::Impossible<(), TopError>;
    type SerializeTuple = TopTuple<'w, W>;
    type SerializeTupleStruct = ser::Impossible<(), TopError>;
    type SerializeTupleVariant = ser::Impossible<(), TopError>;
    type SerializeMap = ser::Impossible<(), TopError>;
    type SerializeStruct = ser::Impossible<(), TopError>;
    type SerializeStructVariant = ser::Impossible<(), TopError>;

    fn serialize_unit(self) -> Result<(), TopError> {
        self.writer.begin(0).map_err(TopError::Json)
    }

    fn serialize_tuple(self, len: usize) -> Result<TopTuple<'w, W>, TopError> {
        self.writer.begin(len).map_err(TopError::Json)?;
        Ok(TopTuple {
            writer: self.writer,
        })
    }

    not_tuple! {
        serialize_bool(v: bool) -> ();
        serialize_i8(v: i8) -> ();
        serialize_i16(v: i16) -> ();
        serialize_i32(v: i32) -> ();
        serialize_i64(v: i64) -> ();
        serialize_i128(v: i128) -> ();
        serialize_u8(v: u8) -> ();
        serialize_u16(v: u16) -> ();
        serialize_u32(v: u32) -> ();
        serialize_u64(v: u64) -> ();
        serialize_u128(v: u128) -> ();
        serialize_f32(v: f32) -> ();
        serialize_f64(v: f64) -> ();
        serialize_char(v: char) -> ();
        serialize_str(v: &str) -> ();
        serialize_bytes(v: &[u8]) -> ();
        serialize_none() -> ();
        serialize_unit_struct(n: &'static str) -> ();
        serialize_unit_variant(n: &'static str, i: u32, v: &'static str) -> ();
        serialize_seq(l: Option<usize>) -> Self::SerializeSeq;
        serialize_tuple_struct(n: &'static str, l: usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(n: &'static str, i: u32, v: &'static str, l: usize) -> Self::SerializeTupleVariant;
        serialize_map(l: Option<usize>) -> Self::SerializeMap;
        serialize_struct(n: &'static str, l: usize) -> Self::SerializeStruct;
        serialize_struct_variant(n: &'static str, i: u32, v: &'static str, l: usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), TopError> {
        Err(TopError::NotTuple)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _value: &T,
    ) -> Result<(), TopError> {
        Err(TopError::NotTuple)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), TopError> {
        Err(TopError::NotTuple)
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, _value: &T) -> Result<(), TopError> {
        Err(TopError::NotTuple)
    }
}

// ---------------------------------------------------------------------------------------------
// Placeholders on the way in
// ---------------------------------------------------------------------------------------------

/// The attachment index of a placeholder object, or `None` when `map` is not a placeholder
/// (`_placeholder` is not `true`). `Some(Err(()))` when it is one with an invalid `num`.
fn placeholder_num(map: &crate::proto::value::Map) -> Option<Result<u64, ()>> {
    if map.get(PLACEHOLDER_KEY) != Some(&Value::Bool(true)) {
        return None;
    }
    Some(match map.get(PLACEHOLDER_NUM) {
        Some(Value::Number(n)) => number_index(n).ok_or(()),
        _ => Err(()),
    })
}

/// A JSON number usable as an attachment index (a non-negative integer, `1.0` included).
fn number_index(n: &serde_json::Number) -> Option<u64> {
    if let Some(u) = n.as_u64() {
        return Some(u);
    }
    let f = n.as_f64()?;
    if f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64 {
        Some(f as u64)
    } else {
        None
    }
}

/// Replace every placeholder object in `value` with the attachment it names. A placeholder
/// number used twice is an error: one attachment stands for one place in the value, so a
/// peer cannot make the server copy (and later re-send) the same bytes many times.
pub(crate) fn resolve_placeholders(
    value: &mut Value,
    attachments: &[Bytes],
) -> Result<(), BadPlaceholder> {
    let mut used = vec![false; attachments.len()];
    resolve_in(value, attachments, &mut used)
}

fn resolve_in(
    value: &mut Value,
    attachments: &[Bytes],
    used: &mut [bool],
) -> Result<(), BadPlaceholder> {
    match value {
        Value::Array(a) => a
            .iter_mut()
            .try_for_each(|v| resolve_in(v, attachments, used)),
        Value::Object(m) => match placeholder_num(m) {
            Some(Ok(k)) => {
                let k = usize::try_from(k).map_err(|_| BadPlaceholder)?;
                let b = attachments.get(k).ok_or(BadPlaceholder)?;
                let seen = used.get_mut(k).ok_or(BadPlaceholder)?;
                if std::mem::replace(seen, true) {
                    return Err(BadPlaceholder);
                }
                *value = Value::Bytes(b.clone());
                Ok(())
            }
            Some(Err(())) => Err(BadPlaceholder),
            None => m
                .values_mut()
                .try_for_each(|v| resolve_in(v, attachments, used)),
        },
        _ => Ok(()),
    }
}

/// A placeholder refers to an attachment that does not exist (or to one that another
/// placeholder of the same value already refers to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPlaceholder;

impl fmt::Display for BadPlaceholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("placeholder without attachment")
    }
}

impl std::error::Error for BadPlaceholder {}

/// Deserialize `T` from one argument's JSON text, turning placeholders into bytes.
pub(crate) fn from_str_with_attachments<T: de::DeserializeOwned>(
    json: &str,
    attachments: &[Bytes],
) -> Result<T, serde_json::Error> {
    let mut value: Value = serde_json::from_str(json)?;
    resolve_placeholders(&mut value, attachments).map_err(de::Error::custom)?;
    T::deserialize(value)
}

/// Why the placeholders of a JSON text do not fit its attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlaceholderError {
    /// A placeholder names no attachment (bad `num`, out of range), or the text is not JSON.
    Missing,
    /// Two placeholders name the same attachment.
    Reused,
}

/// Check, allocating only one flag per attachment, that every placeholder in `json` names
/// one of `n` attachments and that no two placeholders name the same one. Returns how many
/// attachments are referenced (`n` when every one is).
///
/// Placeholders are counted the way [`resolve_placeholders`] replaces them: a placeholder
/// object is replaced whole, so placeholders nested inside one do not count.
pub(crate) fn check_placeholders(json: &str, n: usize) -> Result<usize, PlaceholderError> {
    let refs = RefCell::new(Refs {
        used: vec![false; n],
        log: Vec::new(),
        error: None,
    });
    let mut de = serde_json::Deserializer::from_str(json);
    let result = Check { refs: &refs }
        .deserialize(&mut de)
        .and_then(|_| de.end());
    let refs = refs.into_inner();
    match result {
        Ok(()) => Ok(refs.log.len()),
        Err(_) => Err(refs.error.unwrap_or(PlaceholderError::Missing)),
    }
}

/// The attachments referenced so far while checking.
struct Refs {
    /// `used[k]`: attachment `k` is referenced.
    used: Vec<bool>,
    /// Referenced attachments, in the order they were seen (to undo the references made
    /// inside an object that turns out to be a placeholder itself).
    log: Vec<usize>,
    /// What went wrong, when the check failed on placeholders rather than on JSON.
    error: Option<PlaceholderError>,
}

impl Refs {
    fn fail<E: de::Error>(&mut self, e: PlaceholderError) -> E {
        self.error = Some(e);
        E::custom(BadPlaceholder)
    }
}

/// What a checked value was, as far as placeholder objects care.
enum Seen {
    True,
    Index(u64),
    Other,
}

#[derive(Clone, Copy)]
struct Check<'a> {
    refs: &'a RefCell<Refs>,
}

impl<'de> DeserializeSeed<'de> for Check<'_> {
    type Value = Seen;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Seen, D::Error> {
        d.deserialize_any(self)
    }
}

enum Key {
    Placeholder,
    Num,
    Other,
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(match v {
            PLACEHOLDER_KEY => Key::Placeholder,
            PLACEHOLDER_NUM => Key::Num,
            _ => Key::Other,
        })
    }
}

impl<'de> Visitor<'de> for Check<'_> {
    type Value = Seen;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Seen, E> {
        Ok(if v { Seen::True } else { Seen::Other })
    }
    fn visit_u64<E>(self, v: u64) -> Result<Seen, E> {
        Ok(Seen::Index(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Seen, E> {
        Ok(u64::try_from(v).map_or(Seen::Other, Seen::Index))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Seen, E> {
        Ok(serde_json::Number::from_f64(v)
            .and_then(|n| number_index(&n))
            .map_or(Seen::Other, Seen::Index))
    }
    fn visit_str<E>(self, _v: &str) -> Result<Seen, E> {
        Ok(Seen::Other)
    }
    fn visit_unit<E>(self) -> Result<Seen, E> {
        Ok(Seen::Other)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Seen, A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(Seen::Other)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Seen, A::Error> {
        let mark = self.refs.borrow().log.len();
        let mut is_placeholder = false;
        let mut num = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value_seed(self)?;
            match key {
                Key::Placeholder => is_placeholder = matches!(value, Seen::True),
                Key::Num => num = Some(value),
                Key::Other => {}
            }
        }
        if is_placeholder {
            let mut refs = self.refs.borrow_mut();
            let refs = &mut *refs;
            let k = match num {
                Some(Seen::Index(k)) => usize::try_from(k).ok(),
                _ => None,
            };
            let Some(k) = k.filter(|&k| k < refs.used.len()) else {
                return Err(refs.fail(PlaceholderError::Missing));
            };
            // The object is replaced whole: what its members referenced does not count.
            for i in refs.log.drain(mark..) {
                if let Some(u) = refs.used.get_mut(i) {
                    *u = false;
                }
            }
            match refs.used.get_mut(k) {
                Some(u) if !*u => *u = true,
                _ => return Err(refs.fail(PlaceholderError::Reused)),
            }
            refs.log.push(k);
        }
        Ok(Seen::Other)
    }
}
