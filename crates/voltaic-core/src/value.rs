//! Values as they cross IPC: everything the HTML structured clone algorithm (which
//! Electron's IPC uses) can copy, on the Rust side.
//!
//! A [`Value`] holds what JSON cannot: `undefined`, `NaN`, `±Infinity` and `-0`,
//! `BigInt`, `Date`, `RegExp`, `ArrayBuffer`, typed arrays and `DataView` (as
//! [`Bytes`], never as numbers), `Map`, `Set`, `Error`, sparse arrays, and objects
//! seen more than once (cycles included, as [`Value::Ref`]).
//!
//! Handlers rarely name it: their arguments are deserialized from it into any serde
//! type, and what they return is serialized into it. Name it (or [`Bytes`]) as an
//! argument or return type to get the value exactly as the renderer sent it.
//!
//! ```
//! use voltaic_core::Value;
//!
//! let value = Value::from_serialize(&("hello", 42, vec![true])).unwrap();
//! assert_eq!(value, Value::Array(vec![
//!     Value::String("hello".into()),
//!     Value::Number(42.0),
//!     Value::Array(vec![Value::Bool(true)]),
//! ]));
//! let back: (String, u8, Vec<bool>) = value.deserialize_into().unwrap();
//! assert_eq!(back, ("hello".to_owned(), 42, vec![true]));
//! ```

use std::fmt;

use bytes::Bytes;
use ciborium::value::Value as Cbor;
use serde::de::value::{Error as DeError, MapAccessDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::DeserializeOwned;
use serde::de::{IntoDeserializer, Visitor};
use serde::Serialize;

use crate::IpcError;

/// A value that crossed (or will cross) IPC: what structured clone can copy.
///
/// Containers (`Array`, `SparseArray`, `Object`, `Map`, `Set`) are numbered from 0 in
/// the order their first occurrence is met, depth first; a later occurrence of the same
/// container is a [`Value::Ref`] to that number, which is how cycles and shared
/// objects survive the trip.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `undefined`.
    #[default]
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, `NaN`, `±Infinity` and `-0` included.
    Number(f64),
    /// A `BigInt`, as decimal digits with an optional leading `-`.
    BigInt(String),
    /// A string.
    String(String),
    /// A `Date`: milliseconds since the epoch, `NaN` for an invalid date.
    Date(f64),
    /// A `RegExp`.
    RegExp {
        /// The pattern (`re.source`).
        source: String,
        /// The flags (`re.flags`).
        flags: String,
    },
    /// An `ArrayBuffer`.
    ArrayBuffer(Bytes),
    /// A typed array or `DataView`: the bytes it views.
    TypedArray {
        /// Which view it was.
        kind: TypedArrayKind,
        /// The viewed bytes, in the platform's (little-endian) order.
        bytes: Bytes,
    },
    /// An array without holes.
    Array(Vec<Value>),
    /// An array with holes: its length and the indices that hold a value.
    SparseArray {
        /// `array.length`.
        length: u32,
        /// The elements present, by index, in increasing order.
        items: Vec<(u32, Value)>,
    },
    /// A plain object's own enumerable properties, in order.
    Object(Vec<(String, Value)>),
    /// A `Map`'s entries, in order.
    Map(Vec<(Value, Value)>),
    /// A `Set`'s members, in order.
    Set(Vec<Value>),
    /// An `Error`: its name (`Error`, `TypeError`, ...) and message.
    Error {
        /// `error.name`: one of the standard error names, otherwise `Error`.
        name: String,
        /// `error.message`.
        message: String,
    },
    /// The container numbered `n` again (see the type's documentation).
    Ref(u32),
}

/// Which typed array (or `DataView`) a [`Value::TypedArray`] was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the names are the JavaScript constructors'
pub enum TypedArrayKind {
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
    DataView,
}

impl TypedArrayKind {
    const ALL: [TypedArrayKind; 12] = [
        Self::Int8Array,
        Self::Uint8Array,
        Self::Uint8ClampedArray,
        Self::Int16Array,
        Self::Uint16Array,
        Self::Int32Array,
        Self::Uint32Array,
        Self::Float32Array,
        Self::Float64Array,
        Self::BigInt64Array,
        Self::BigUint64Array,
        Self::DataView,
    ];

    /// The JavaScript constructor's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Int8Array => "Int8Array",
            Self::Uint8Array => "Uint8Array",
            Self::Uint8ClampedArray => "Uint8ClampedArray",
            Self::Int16Array => "Int16Array",
            Self::Uint16Array => "Uint16Array",
            Self::Int32Array => "Int32Array",
            Self::Uint32Array => "Uint32Array",
            Self::Float32Array => "Float32Array",
            Self::Float64Array => "Float64Array",
            Self::BigInt64Array => "BigInt64Array",
            Self::BigUint64Array => "BigUint64Array",
            Self::DataView => "DataView",
        }
    }

    /// The kind named `name`, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Bytes per element (1 for `DataView`).
    pub fn element_size(self) -> usize {
        match self {
            Self::Int8Array | Self::Uint8Array | Self::Uint8ClampedArray | Self::DataView => 1,
            Self::Int16Array | Self::Uint16Array => 2,
            Self::Int32Array | Self::Uint32Array | Self::Float32Array => 4,
            Self::Float64Array | Self::BigInt64Array | Self::BigUint64Array => 8,
        }
    }
}

impl fmt::Display for TypedArrayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error names structured clone keeps; any other becomes `Error`.
pub(crate) const ERROR_NAMES: [&str; 7] = [
    "Error",
    "EvalError",
    "RangeError",
    "ReferenceError",
    "SyntaxError",
    "TypeError",
    "URIError",
];

/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

impl Value {
    /// Serializes any serde value: integers become numbers (or `BigInt`s beyond
    /// 2^53), byte buffers (`bytes::Bytes`, `serde_bytes`) become `ArrayBuffer`s,
    /// maps with string keys become objects and other maps `Map`s, `None` and `()`
    /// become `null`.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, IpcError> {
        let cbor = Cbor::serialized(value).map_err(|e| IpcError::Serialize(e.to_string()))?;
        Ok(Self::from_cbor(cbor))
    }

    /// Deserializes into any serde type. `undefined` reads as `null` (so `Option`s
    /// are `None`), numbers with an integral value as integers, `BigInt`s as integers
    /// when they fit, `Date`s as milliseconds, `RegExp`s as `/source/flags`, bytes as
    /// bytes (`bytes::Bytes`, `serde_bytes::ByteBuf`), `Set`s as sequences, `Error`s as
    /// `{ name, message }`. A [`Value::Ref`] cannot be represented and is an error.
    pub fn deserialize_into<T: DeserializeOwned>(self) -> Result<T, String> {
        T::deserialize(self).map_err(|e| e.to_string())
    }

    /// The value of property `key`, if this is an object that has one.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The bytes of an `ArrayBuffer`, typed array or `DataView`.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            Value::ArrayBuffer(bytes) | Value::TypedArray { bytes, .. } => Some(bytes),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(number) => Some(*number),
            _ => None,
        }
    }

    /// What JavaScript's `typeof`-like name for this value's kind is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Undefined => "undefined",
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::BigInt(_) => "bigint",
            Value::String(_) => "string",
            Value::Date(_) => "Date",
            Value::RegExp { .. } => "RegExp",
            Value::ArrayBuffer(_) => "ArrayBuffer",
            Value::TypedArray { kind, .. } => kind.name(),
            Value::Array(_) | Value::SparseArray { .. } => "Array",
            Value::Object(_) => "object",
            Value::Map(_) => "Map",
            Value::Set(_) => "Set",
            Value::Error { .. } => "Error",
            Value::Ref(_) => "reference",
        }
    }

    /// A number when JavaScript holds it exactly, a `BigInt` beyond 2^53.
    fn from_integer(wide: i128) -> Self {
        if (wide as f64).abs() <= MAX_SAFE_INTEGER {
            Value::Number(wide as f64)
        } else {
            Value::BigInt(wide.to_string())
        }
    }

    fn from_cbor(cbor: Cbor) -> Self {
        match cbor {
            Cbor::Null => Value::Null,
            Cbor::Bool(b) => Value::Bool(b),
            Cbor::Integer(i) => Self::from_integer(i128::from(i)),
            Cbor::Float(f) => Value::Number(f),
            Cbor::Text(text) => Value::String(text),
            Cbor::Bytes(bytes) => Value::ArrayBuffer(Bytes::from(bytes)),
            Cbor::Array(items) => Value::Array(items.into_iter().map(Self::from_cbor).collect()),
            Cbor::Map(entries) => {
                if entries.iter().all(|(k, _)| matches!(k, Cbor::Text(_))) {
                    Value::Object(
                        entries
                            .into_iter()
                            .map(|(k, v)| match k {
                                Cbor::Text(key) => (key, Self::from_cbor(v)),
                                _ => unreachable!("checked above: every key is text"),
                            })
                            .collect(),
                    )
                } else {
                    Value::Map(
                        entries
                            .into_iter()
                            .map(|(k, v)| (Self::from_cbor(k), Self::from_cbor(v)))
                            .collect(),
                    )
                }
            }
            Cbor::Tag(_, inner) => Self::from_cbor(*inner),
            _ => Value::Null,
        }
    }
}

/// Converts what a handler returns or a sender passes: a [`Value`] or [`Bytes`] as it
/// is, a `serde_json::Value` directly, anything else through serde.
pub(crate) fn into_value<T: Serialize + 'static>(value: T) -> Result<Value, IpcError> {
    let mut slot = Some(value);
    let any: &mut dyn std::any::Any = &mut slot;
    // A handler that returns nothing answers `undefined`, as an Electron handler does.
    if any.is::<Option<()>>() {
        return Ok(Value::Undefined);
    }
    if let Some(value) = any.downcast_mut::<Option<Value>>() {
        return Ok(value.take().unwrap_or_default());
    }
    if let Some(bytes) = any.downcast_mut::<Option<Bytes>>() {
        return Ok(bytes.take().map(Value::ArrayBuffer).unwrap_or_default());
    }
    if let Some(binary) = any.downcast_mut::<Option<crate::Binary>>() {
        return Ok(binary
            .take()
            .map(|b| Value::ArrayBuffer(b.0))
            .unwrap_or_default());
    }
    if let Some(json) = any.downcast_mut::<Option<serde_json::Value>>() {
        return Ok(json.take().map(Value::from).unwrap_or_default());
    }
    match slot {
        Some(value) => Value::from_serialize(&value),
        None => Ok(Value::Undefined),
    }
}

/// Reads an argument: a [`Value`] or [`Bytes`] parameter takes it as it is (bytes
/// without a copy), anything else through serde.
pub(crate) fn from_value<T: DeserializeOwned + 'static>(value: Value) -> Result<T, String> {
    let mut out: Option<T> = None;
    let any: &mut dyn std::any::Any = &mut out;
    if let Some(slot) = any.downcast_mut::<Option<Value>>() {
        *slot = Some(value);
        return out.ok_or_else(String::new);
    }
    if let Some(slot) = any.downcast_mut::<Option<Bytes>>() {
        match value {
            Value::ArrayBuffer(bytes) | Value::TypedArray { bytes, .. } => {
                *slot = Some(bytes);
                return out.ok_or_else(String::new);
            }
            other => return Err(format!("invalid type: {}, expected bytes", other.kind())),
        }
    }
    if let Some(slot) = any.downcast_mut::<Option<crate::Binary>>() {
        match value {
            Value::ArrayBuffer(bytes) | Value::TypedArray { bytes, .. } => {
                *slot = Some(crate::Binary(bytes));
                return out.ok_or_else(String::new);
            }
            other => return Err(format!("invalid type: {}, expected bytes", other.kind())),
        }
    }
    value.deserialize_into()
}

/// The integer a number holds exactly, if it is one (not `-0`).
fn exact_integer(n: f64) -> Option<i64> {
    (n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER && !(n == 0.0 && n.is_sign_negative()))
        .then_some(n as i64)
}

fn visit_number<'de, V: Visitor<'de>>(n: f64, visitor: V) -> Result<V::Value, DeError> {
    match exact_integer(n) {
        Some(i) if i >= 0 => visitor.visit_u64(i as u64),
        Some(i) => visitor.visit_i64(i),
        None => visitor.visit_f64(n),
    }
}

fn ref_error() -> DeError {
    serde::de::Error::custom(
        "the value refers to itself (a cycle or shared object), which Rust types cannot \
         hold; take it as voltaic::Value",
    )
}

/// Reads a [`Value`] into serde types, leniently as JavaScript values need: numbers
/// with an integral value read as integers (and any number as a float), `undefined`
/// as `null`, and so on (see [`Value::deserialize_into`]).
impl<'de> serde::Deserializer<'de> for Value {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self {
            Value::Undefined | Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) | Value::Date(n) => visit_number(n, visitor),
            Value::BigInt(digits) => match digits.parse::<i128>() {
                Ok(i) => match u64::try_from(i) {
                    Ok(u) => visitor.visit_u64(u),
                    Err(_) => match i64::try_from(i) {
                        Ok(i) => visitor.visit_i64(i),
                        Err(_) => visitor.visit_i128(i),
                    },
                },
                Err(_) => visitor.visit_string(digits),
            },
            Value::String(text) => visitor.visit_string(text),
            Value::RegExp { source, flags } => visitor.visit_string(format!("/{source}/{flags}")),
            Value::ArrayBuffer(bytes) | Value::TypedArray { bytes, .. } => {
                visitor.visit_byte_buf(Vec::from(bytes))
            }
            Value::Array(items) | Value::Set(items) => {
                visitor.visit_seq(SeqDeserializer::new(items.into_iter()))
            }
            Value::SparseArray { length, items } => {
                let mut dense = vec![Value::Undefined; length as usize];
                for (index, item) in items {
                    if let Some(slot) = dense.get_mut(index as usize) {
                        *slot = item;
                    }
                }
                visitor.visit_seq(SeqDeserializer::new(dense.into_iter()))
            }
            Value::Object(entries) => visitor.visit_map(MapDeserializer::new(entries.into_iter())),
            Value::Map(entries) => visitor.visit_map(MapDeserializer::new(entries.into_iter())),
            Value::Error { name, message } => visitor.visit_map(MapDeserializer::new(
                [("name", name), ("message", message)].into_iter(),
            )),
            Value::Ref(_) => Err(ref_error()),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self {
            Value::Undefined | Value::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self {
            Value::String(variant) => visitor.visit_enum(variant.into_deserializer()),
            Value::Object(entries) if entries.len() == 1 => visitor.visit_enum(
                MapAccessDeserializer::new(MapDeserializer::new(entries.into_iter())),
            ),
            other => Err(serde::de::Error::custom(format!(
                "invalid type: {}, expected an enum (a string or an object with one key)",
                other.kind()
            ))),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

/// Reads a [`Value`] from any self-describing serde format (JSON, CBOR, ...): what
/// that format can say (numbers, strings, bytes, sequences, maps), nothing
/// JavaScript-only. Handler arguments do not go through this: they receive the value
/// exactly as sent.
impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;

        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::from_integer(i128::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(Value::from_integer(i128::from(v)))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
                Ok(Value::from_integer(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Number(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::String(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::String(v))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
                Ok(Value::ArrayBuffer(Bytes::copy_from_slice(v)))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
                Ok(Value::ArrayBuffer(Bytes::from(v)))
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                serde::Deserialize::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Value::Array(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Value, A::Error> {
                let mut entries: Vec<(Value, Value)> = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                if entries.iter().all(|(k, _)| matches!(k, Value::String(_))) {
                    Ok(Value::Object(
                        entries
                            .into_iter()
                            .map(|(k, v)| match k {
                                Value::String(key) => (key, v),
                                other => (format!("{other:?}"), v),
                            })
                            .collect(),
                    ))
                } else {
                    Ok(Value::Map(entries))
                }
            }
        }

        deserializer.deserialize_any(ValueVisitor)
    }
}

impl IntoDeserializer<'_, DeError> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

/// A lossy view for serde serializers (logging, `serde_json::to_string`): what JSON
/// cannot hold becomes its nearest JSON value (`undefined` is `null`, bytes are byte
/// strings, a `Map` with non-string keys a list of pairs). Across IPC, values travel
/// exactly; this is only for leaving Voltaic.
impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Undefined | Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) | Value::Date(n) => match exact_integer(*n) {
                Some(i) => serializer.serialize_i64(i),
                None => serializer.serialize_f64(*n),
            },
            Value::BigInt(digits) => serializer.serialize_str(digits),
            Value::String(text) => serializer.serialize_str(text),
            Value::RegExp { source, flags } => {
                serializer.serialize_str(&format!("/{source}/{flags}"))
            }
            Value::ArrayBuffer(bytes) | Value::TypedArray { bytes, .. } => {
                serializer.serialize_bytes(bytes)
            }
            Value::Array(items) | Value::Set(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::SparseArray { length, items } => {
                let mut seq = serializer.serialize_seq(Some(*length as usize))?;
                let mut next = items.iter().peekable();
                for index in 0..*length {
                    match next.peek() {
                        Some((at, item)) if *at == index => {
                            seq.serialize_element(item)?;
                            next.next();
                        }
                        _ => seq.serialize_element(&())?,
                    }
                }
                seq.end()
            }
            Value::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Value::Map(entries) => {
                let mut seq = serializer.serialize_seq(Some(entries.len()))?;
                for entry in entries {
                    seq.serialize_element(&(&entry.0, &entry.1))?;
                }
                seq.end()
            }
            Value::Error { name, message } => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("name", name)?;
                map.serialize_entry("message", message)?;
                map.end()
            }
            Value::Ref(n) => serializer.serialize_str(&format!("<ref {n}>")),
        }
    }
}

impl From<serde_json::Value> for Value {
    fn from(json: serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(f) if f.abs() <= MAX_SAFE_INTEGER || n.is_f64() => Value::Number(f),
                _ => Value::BigInt(n.to_string()),
            },
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(items) => {
                Value::Array(items.into_iter().map(Value::from).collect())
            }
            serde_json::Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
            }
        }
    }
}

impl From<Bytes> for Value {
    fn from(bytes: Bytes) -> Self {
        Value::ArrayBuffer(bytes)
    }
}

impl From<Vec<u8>> for Value {
    /// The bytes as an `ArrayBuffer` (not an array of numbers, as serde would make).
    fn from(bytes: Vec<u8>) -> Self {
        Value::ArrayBuffer(Bytes::from(bytes))
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::String(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::String(text)
    }
}

impl From<f64> for Value {
    fn from(number: f64) -> Self {
        Value::Number(number)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn serde_types_convert_both_ways() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Data {
            name: String,
            count: u64,
            ratio: f64,
            tags: Vec<String>,
            missing: Option<u8>,
            blob: Bytes,
        }
        let data = Data {
            name: "x".into(),
            count: 3,
            ratio: 0.5,
            tags: vec!["a".into()],
            missing: None,
            blob: Bytes::from_static(b"\x00\xff"),
        };
        let value = Value::from_serialize(&data).unwrap();
        assert_eq!(
            value.get("blob"),
            Some(&Value::ArrayBuffer(Bytes::from_static(b"\x00\xff")))
        );
        assert_eq!(value.get("count"), Some(&Value::Number(3.0)));
        assert_eq!(value.clone().deserialize_into::<Data>().unwrap(), data);
        // What the renderer sends for it: undefined for the missing field.
        let mut sent = value;
        if let Value::Object(entries) = &mut sent {
            entries.retain(|(k, _)| k != "missing");
        }
        assert_eq!(sent.deserialize_into::<Data>().unwrap(), data);
    }

    #[test]
    fn javascript_only_values_read_as_their_nearest_rust_type() {
        assert_eq!(
            Value::Undefined.deserialize_into::<Option<u8>>().unwrap(),
            None
        );
        assert_eq!(
            Value::BigInt("-9223372036854775813".into())
                .deserialize_into::<i128>()
                .unwrap(),
            -9_223_372_036_854_775_813
        );
        assert_eq!(Value::Date(5.0).deserialize_into::<f64>().unwrap(), 5.0);
        assert!(Value::Number(f64::NAN)
            .deserialize_into::<f64>()
            .unwrap()
            .is_nan());
        assert_eq!(
            Value::Map(vec![(Value::Number(1.0), Value::from("one"))])
                .deserialize_into::<std::collections::BTreeMap<u8, String>>()
                .unwrap()[&1],
            "one"
        );
        let error = Value::Array(vec![Value::Ref(0)])
            .deserialize_into::<Vec<Vec<u8>>>()
            .unwrap_err();
        assert!(error.contains("cycle"), "{error}");
        assert!(Value::from("x").deserialize_into::<u8>().is_err());
    }

    #[test]
    fn large_integers_become_bigints() {
        assert_eq!(
            Value::from_serialize(&u64::MAX).unwrap(),
            Value::BigInt(u64::MAX.to_string())
        );
        assert_eq!(
            Value::from_serialize(&(1u64 << 53)).unwrap(),
            Value::BigInt((1u64 << 53).to_string())
        );
        assert_eq!(
            Value::from_serialize(&((1u64 << 53) - 1)).unwrap(),
            Value::Number(((1u64 << 53) - 1) as f64)
        );
    }
}
