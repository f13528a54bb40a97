//! [`Value`]: a dynamically typed argument, JSON plus binary.
//!
//! Handlers that accept "any value, binary included" take a [`Value`]. It serializes binary
//! data with `serialize_bytes` (so packet encoding turns it into an attachment) and
//! deserializes it from `visit_bytes`/`visit_byte_buf` (so a received placeholder becomes
//! [`Value::Bytes`]). Objects keep their keys in insertion order, like `JSON.parse`.
//!
//! ```
//! use socketio::proto::value::Value;
//!
//! let v = Value::from_json(serde_json::json!({"name": "ada", "tags": [1, 2]}));
//! assert_eq!(v.get("name").and_then(Value::as_str), Some("ada"));
//! assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"name":"ada","tags":[1,2]}"#);
//! ```

use std::fmt;

use bytes::Bytes;
use serde::de::{self, IntoDeserializer, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ordered JSON object: keys keep their first insertion position (a repeated key replaces
/// the value in place, as `JSON.parse` does).
pub type Map = indexmap::IndexMap<String, Value>;

/// Any Socket.IO argument: a JSON value or binary data, at any depth.
///
/// ```
/// use socketio::proto::value::Value;
///
/// let v = Value::Array(vec![Value::from("a"), Value::from(bytes::Bytes::from_static(b"\x01"))]);
/// assert_eq!(v.as_array().map(Vec::len), Some(2));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// JSON `null`.
    #[default]
    Null,
    /// JSON `true` / `false`.
    Bool(bool),
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON string.
    String(String),
    /// Binary data (sent as an attachment).
    Bytes(Bytes),
    /// A JSON array.
    Array(Vec<Value>),
    /// A JSON object, in insertion order.
    Object(Map),
}

impl Value {
    /// Convert a `serde_json::Value` (no binary) into a [`Value`].
    ///
    /// ```
    /// use socketio::proto::value::Value;
    /// assert_eq!(Value::from_json(serde_json::json!(true)), Value::Bool(true));
    /// ```
    pub fn from_json(json: serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(a) => {
                Value::Array(a.into_iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(o) => Value::Object(
                o.into_iter()
                    .map(|(k, v)| (k, Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The value of `key` when this is an object that has it.
    ///
    /// ```
    /// use socketio::proto::value::Value;
    /// let v = Value::from_json(serde_json::json!({"a": 1}));
    /// assert_eq!(v.get("a").and_then(Value::as_u64), Some(1));
    /// assert!(v.get("b").is_none());
    /// ```
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.get(key),
            _ => None,
        }
    }

    /// Element `index` when this is an array.
    pub fn get_index(&self, index: usize) -> Option<&Value> {
        match self {
            Value::Array(a) => a.get(index),
            _ => None,
        }
    }

    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The boolean, when this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The string, when this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The binary data, when this is binary.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The number as `u64`, when it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The number as `i64`, when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The number as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// The elements, when this is an array.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The entries, when this is an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::Number(v.into())
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl From<f64> for Value {
    /// A finite float becomes a number; NaN and infinities become `null` (as in JSON).
    fn from(v: f64) -> Self {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}

impl From<Bytes> for Value {
    fn from(v: Bytes) -> Self {
        Value::Bytes(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(Bytes::copy_from_slice(v))
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

impl From<Map> for Value {
    fn from(v: Map) -> Self {
        Value::Object(v)
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Value::from_json(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // `serialize_none`, not `serialize_unit`: as a top-level argument `()` means "no
            // argument" while a null value is one argument.
            Value::Null => s.serialize_none(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => n.serialize(s),
            Value::String(v) => s.serialize_str(v),
            Value::Bytes(b) => s.serialize_bytes(b),
            Value::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value or binary data")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Bytes(Bytes::copy_from_slice(v)))
    }

    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Bytes(Bytes::from(v)))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

/// A [`Value`] is itself a deserializer, so a received argument can be turned into any
/// `T: Deserialize` (binary data is offered through `visit_byte_buf`).
impl<'de> Deserializer<'de> for Value {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => n.deserialize_any(visitor),
            Value::String(s) => visitor.visit_string(s),
            Value::Bytes(b) => visitor.visit_byte_buf(Vec::from(b)),
            Value::Array(a) => {
                let mut seq = de::value::SeqDeserializer::new(a.into_iter());
                let v = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(v)
            }
            Value::Object(m) => {
                let mut map = de::value::MapDeserializer::new(m.into_iter());
                let v = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(v)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            // `Vec<u8>` and friends ask for a sequence: offer the bytes one by one.
            Value::Bytes(b) => {
                let mut seq = de::value::SeqDeserializer::new(b.into_iter());
                let v = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(v)
            }
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            Value::Object(m) if m.len() == 1 => {
                let mut it = m.into_iter();
                match it.next() {
                    Some((variant, value)) => visitor.visit_enum(EnumAccess { variant, value }),
                    None => Err(de::Error::custom("expected an enum")),
                }
            }
            _ => Err(de::Error::invalid_type(
                de::Unexpected::Other("non-enum value"),
                &"enum",
            )),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_any(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit_struct tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, serde_json::Error> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

struct EnumAccess {
    variant: String,
    value: Value,
}

impl<'de> de::EnumAccess<'de> for EnumAccess {
    type Error = serde_json::Error;
    type Variant = Value;

    fn variant_seed<V: de::DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Value), serde_json::Error> {
        let variant = seed.deserialize(self.variant.into_deserializer())?;
        Ok((variant, self.value))
    }
}

impl<'de> de::VariantAccess<'de> for Value {
    type Error = serde_json::Error;

    fn unit_variant(self) -> Result<(), serde_json::Error> {
        Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, serde_json::Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, serde_json::Error> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, serde_json::Error> {
        self.deserialize_any(visitor)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn object_keeps_insertion_order_and_last_duplicate_wins_in_place() {
        let v: Value = serde_json::from_str(r#"{"b":1,"a":2,"b":3}"#).unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"b":3,"a":2}"#);
    }

    #[test]
    fn deserializes_typed_values_from_value() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct P {
            x: u8,
            y: Option<String>,
            e: E,
            t: (bool, i32),
        }
        #[derive(Deserialize, Debug, PartialEq)]
        enum E {
            A,
            B(u32),
        }
        let v: Value =
            serde_json::from_str(r#"{"x":7,"y":null,"e":{"B":5},"t":[true,-1]}"#).unwrap();
        let p = P::deserialize(v).unwrap();
        assert_eq!(
            p,
            P {
                x: 7,
                y: None,
                e: E::B(5),
                t: (true, -1)
            }
        );
        assert_eq!(E::deserialize(Value::from("A")).unwrap(), E::A);
        assert!(u8::deserialize(Value::from(300)).is_err());
    }

    #[test]
    fn bytes_value_deserializes_as_bytes_or_seq() {
        let v = Value::Bytes(Bytes::from_static(&[1, 2, 3]));
        let b: Bytes = Bytes::deserialize(v.clone()).unwrap();
        assert_eq!(&b[..], &[1, 2, 3]);
        let vec: Vec<u8> = Vec::deserialize(v.clone()).unwrap();
        assert_eq!(vec, vec![1, 2, 3]);
        let back = Value::deserialize(v.clone()).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn null_serializes_as_none_and_conveniences_work() {
        assert_eq!(serde_json::to_string(&Value::Null).unwrap(), "null");
        let v = Value::from(vec![
            Value::from(1u8),
            Value::from(Some("x")),
            Value::from(None::<i32>),
        ]);
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"[1,"x",null]"#);
        assert_eq!(v.get_index(1).and_then(Value::as_str), Some("x"));
        assert!(v.get_index(2).is_some_and(Value::is_null));
        assert_eq!(Value::from(f64::NAN), Value::Null);
        assert_eq!(Value::from(1.5).as_f64(), Some(1.5));
        assert_eq!(Value::from(-3i64).as_i64(), Some(-3));
    }
}
