//! How a [`Value`] travels: JSON text (which both ends parse natively, fast) plus
//! the message's byte buffers, side by side and never inside the text.
//!
//! JSON values stand for themselves. Everything else is an object whose `"$"` key
//! names what it is:
//!
//! | value | wire form |
//! |---|---|
//! | `undefined` | `{"$":"undefined"}` |
//! | `NaN`, `±Infinity`, `-0` | `{"$":"number","v":"NaN"}` (`"Infinity"`, `"-Infinity"`, `"-0"`) |
//! | `BigInt` | `{"$":"bigint","v":"<digits>"}` |
//! | `Date` | `{"$":"date","v":<ms or null>}` |
//! | `RegExp` | `{"$":"regexp","source":"..","flags":".."}` |
//! | `ArrayBuffer` | `{"$":"bytes","i":<buffer index>}` |
//! | typed array, `DataView` | `{"$":"typed","kind":"Uint8Array","i":<buffer index>}` |
//! | array with holes | `{"$":"sparse","length":n,"v":[[index,value],..]}` |
//! | object with a `"$"` key | `{"$":"object","v":[[key,value],..]}` |
//! | `Map` | `{"$":"map","v":[[key,value],..]}` |
//! | `Set` | `{"$":"set","v":[..]}` |
//! | `Error` | `{"$":"error","name":"..","message":".."}` |
//! | a container met before | `{"$":"ref","i":<container number>}` |
//!
//! Schemas ([`crate::ChannelSchema`]) see this form.

use bytes::Bytes;
use serde_json::{json, Map, Value as Json};

use crate::value::{TypedArrayKind, ERROR_NAMES};
use crate::Value;

/// A message as a transport carries it: JSON text and the byte buffers it refers to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Packet {
    /// The message's JSON.
    pub text: String,
    /// The buffers its `{"$":"bytes"}` and `{"$":"typed"}` values point into.
    pub buffers: Vec<Bytes>,
}

impl Packet {
    /// A message without buffers.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            buffers: Vec::new(),
        }
    }

    /// Total size: text and buffers.
    pub fn size(&self) -> usize {
        self.text.len() + self.buffers.iter().map(Bytes::len).sum::<usize>()
    }
}

impl From<String> for Packet {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

impl From<&str> for Packet {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

/// Encodes `value` into its wire JSON, appending its bytes to `buffers`.
pub fn encode(value: &Value, buffers: &mut Vec<Bytes>) -> Json {
    match value {
        Value::Undefined => json!({"$": "undefined"}),
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => encode_number(*n),
        Value::BigInt(digits) => json!({"$": "bigint", "v": digits}),
        Value::String(text) => Json::String(text.clone()),
        Value::Date(ms) => json!({"$": "date", "v": serde_json::Number::from_f64(*ms)}),
        Value::RegExp { source, flags } => {
            json!({"$": "regexp", "source": source, "flags": flags})
        }
        Value::ArrayBuffer(bytes) => {
            buffers.push(bytes.clone());
            json!({"$": "bytes", "i": buffers.len() - 1})
        }
        Value::TypedArray { kind, bytes } => {
            buffers.push(bytes.clone());
            json!({"$": "typed", "kind": kind.name(), "i": buffers.len() - 1})
        }
        Value::Array(items) => Json::Array(items.iter().map(|v| encode(v, buffers)).collect()),
        Value::SparseArray { length, items } => json!({
            "$": "sparse",
            "length": length,
            "v": items.iter().map(|(i, v)| json!([i, encode(v, buffers)])).collect::<Vec<_>>(),
        }),
        Value::Object(entries) if entries.iter().any(|(k, _)| k == "$") => json!({
            "$": "object",
            "v": entries.iter().map(|(k, v)| json!([k, encode(v, buffers)])).collect::<Vec<_>>(),
        }),
        Value::Object(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), encode(v, buffers)))
                .collect::<Map<_, _>>(),
        ),
        Value::Map(entries) => json!({
            "$": "map",
            "v": entries
                .iter()
                .map(|(k, v)| json!([encode(k, buffers), encode(v, buffers)]))
                .collect::<Vec<_>>(),
        }),
        Value::Set(items) => json!({
            "$": "set",
            "v": items.iter().map(|v| encode(v, buffers)).collect::<Vec<_>>(),
        }),
        Value::Error { name, message } => {
            json!({"$": "error", "name": name, "message": message})
        }
        Value::Ref(n) => json!({"$": "ref", "i": n}),
    }
}

fn encode_number(n: f64) -> Json {
    if n == 0.0 && n.is_sign_negative() {
        return json!({"$": "number", "v": "-0"});
    }
    match serde_json::Number::from_f64(n) {
        // Integral values as integers, as JavaScript writes them.
        Some(_) if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 => {
            Json::Number((n as i64).into())
        }
        Some(number) => Json::Number(number),
        None if n.is_nan() => json!({"$": "number", "v": "NaN"}),
        None if n > 0.0 => json!({"$": "number", "v": "Infinity"}),
        None => json!({"$": "number", "v": "-Infinity"}),
    }
}

/// Decodes wire JSON, whose buffers are `buffers`. Containers are numbered across
/// all the values of one message, so `containers` is shared by its arguments.
pub fn decode(json: Json, buffers: &[Bytes], containers: &mut u32) -> Result<Value, String> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => match n.as_f64() {
            Some(f) => Value::Number(f),
            None => return Err(format!("number {n} out of range")),
        },
        Json::String(s) => Value::String(s),
        Json::Array(items) => {
            *containers += 1;
            Value::Array(
                items
                    .into_iter()
                    .map(|item| decode(item, buffers, containers))
                    .collect::<Result<_, _>>()?,
            )
        }
        Json::Object(map) if map.contains_key("$") => decode_tagged(map, buffers, containers)?,
        Json::Object(map) => {
            *containers += 1;
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| Ok((k, decode(v, buffers, containers)?)))
                    .collect::<Result<_, String>>()?,
            )
        }
    })
}

fn decode_tagged(
    mut map: Map<String, Json>,
    buffers: &[Bytes],
    containers: &mut u32,
) -> Result<Value, String> {
    let tag = match map.remove("$") {
        Some(Json::String(tag)) => tag,
        _ => return Err("a tagged value's \"$\" is not a string".into()),
    };
    let mut string = |key: &str| match map.remove(key) {
        Some(Json::String(text)) => Ok(text),
        _ => Err(format!("a '{tag}' value has no string '{key}'")),
    };
    let value = match tag.as_str() {
        "undefined" => Value::Undefined,
        "number" => match string("v")?.as_str() {
            "NaN" => Value::Number(f64::NAN),
            "Infinity" => Value::Number(f64::INFINITY),
            "-Infinity" => Value::Number(f64::NEG_INFINITY),
            "-0" => Value::Number(-0.0),
            other => return Err(format!("'{other}' is not a special number")),
        },
        "bigint" => {
            let digits = string("v")?;
            let body = digits.strip_prefix('-').unwrap_or(&digits);
            if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
                return Err("a bigint is not decimal digits".into());
            }
            Value::BigInt(digits)
        }
        "date" => match map.remove("v") {
            Some(Json::Number(ms)) => Value::Date(ms.as_f64().unwrap_or(f64::NAN)),
            Some(Json::Null) => Value::Date(f64::NAN),
            _ => return Err("a date has no time".into()),
        },
        "regexp" => Value::RegExp {
            source: string("source")?,
            flags: string("flags")?,
        },
        "error" => {
            let name = string("name")?;
            Value::Error {
                name: if ERROR_NAMES.contains(&name.as_str()) {
                    name
                } else {
                    "Error".into()
                },
                message: string("message")?,
            }
        }
        "bytes" => Value::ArrayBuffer(buffer(&map, buffers)?),
        "typed" => {
            let kind = TypedArrayKind::from_name(&string("kind")?)
                .ok_or_else(|| "unknown typed array kind".to_owned())?;
            let bytes = buffer(&map, buffers)?;
            if bytes.len() % kind.element_size() != 0 {
                return Err(format!("{} bytes do not make a whole {kind}", bytes.len()));
            }
            Value::TypedArray { kind, bytes }
        }
        "ref" => {
            let n = index(&map, "i")?;
            if n >= *containers as usize {
                return Err("a reference to a container not seen yet".into());
            }
            Value::Ref(n as u32)
        }
        "sparse" => {
            *containers += 1;
            let length = index(&map, "length")?;
            let length = u32::try_from(length).map_err(|_| "array too long".to_owned())?;
            let mut items = Vec::new();
            for pair in pairs(map.remove("v"))? {
                let [i, v] = pair;
                let i = i
                    .as_u64()
                    .filter(|i| *i < u64::from(length))
                    .ok_or("a sparse array index out of range")? as u32;
                if items.last().is_some_and(|(last, _)| *last >= i) {
                    return Err("sparse array indices not in increasing order".into());
                }
                items.push((i, decode(v, buffers, containers)?));
            }
            Value::SparseArray { length, items }
        }
        "object" => {
            *containers += 1;
            let mut entries = Vec::new();
            for [k, v] in pairs(map.remove("v"))? {
                let Json::String(key) = k else {
                    return Err("an object key is not a string".into());
                };
                entries.push((key, decode(v, buffers, containers)?));
            }
            Value::Object(entries)
        }
        "map" => {
            *containers += 1;
            let mut entries = Vec::new();
            for [k, v] in pairs(map.remove("v"))? {
                entries.push((
                    decode(k, buffers, containers)?,
                    decode(v, buffers, containers)?,
                ));
            }
            Value::Map(entries)
        }
        "set" => {
            *containers += 1;
            let Some(Json::Array(items)) = map.remove("v") else {
                return Err("a set has no members".into());
            };
            Value::Set(
                items
                    .into_iter()
                    .map(|item| decode(item, buffers, containers))
                    .collect::<Result<_, _>>()?,
            )
        }
        other => return Err(format!("unknown value kind '{other}'")),
    };
    Ok(value)
}

fn index(map: &Map<String, Json>, key: &str) -> Result<usize, String> {
    map.get(key)
        .and_then(Json::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("'{key}' is not an index"))
}

fn buffer(map: &Map<String, Json>, buffers: &[Bytes]) -> Result<Bytes, String> {
    let i = index(map, "i")?;
    buffers
        .get(i)
        .cloned()
        .ok_or_else(|| format!("buffer {i} is missing from the message"))
}

fn pairs(list: Option<Json>) -> Result<Vec<[Json; 2]>, String> {
    let Some(Json::Array(list)) = list else {
        return Err("entries are not a list".into());
    };
    list.into_iter()
        .map(|pair| match pair {
            Json::Array(two) if two.len() == 2 => {
                let mut two = two.into_iter();
                match (two.next(), two.next()) {
                    (Some(k), Some(v)) => Ok([k, v]),
                    _ => Err("an entry is not a pair".to_owned()),
                }
            }
            _ => Err("an entry is not a pair".to_owned()),
        })
        .collect()
}

/// Decodes a message's argument list.
pub(crate) fn decode_args(args: Vec<Json>, buffers: &[Bytes]) -> Result<Vec<Value>, String> {
    let mut containers = 0;
    args.into_iter()
        .map(|arg| decode(arg, buffers, &mut containers))
        .collect()
}

/// Encodes an argument list, appending to `buffers`.
pub(crate) fn encode_args(args: &[Value], buffers: &mut Vec<Bytes>) -> Vec<Json> {
    args.iter().map(|arg| encode(arg, buffers)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: Vec<Value>) -> Vec<Value> {
        let mut buffers = Vec::new();
        let json = encode_args(&values, &mut buffers);
        let text = serde_json::to_string(&json).unwrap();
        let parsed: Vec<Json> = serde_json::from_str(&text).unwrap();
        decode_args(parsed, &buffers).unwrap()
    }

    #[test]
    fn every_kind_survives_the_wire() {
        let values = vec![
            Value::Undefined,
            Value::Null,
            Value::Bool(true),
            Value::Number(1.5),
            Value::Number(-0.0),
            Value::Number(f64::INFINITY),
            Value::Number(f64::NEG_INFINITY),
            Value::BigInt("-123456789012345678901234567890".into()),
            Value::String("ünïcödé 🎉 \u{0} \"".into()),
            Value::Date(1_700_000_000_000.0),
            Value::RegExp {
                source: "a+b".into(),
                flags: "gi".into(),
            },
            Value::ArrayBuffer(Bytes::from_static(&[0, 1, 255])),
            Value::TypedArray {
                kind: TypedArrayKind::Float64Array,
                bytes: Bytes::from(1.5f64.to_le_bytes().to_vec()),
            },
            Value::SparseArray {
                length: 5,
                items: vec![(1, Value::Null), (4, Value::from("x"))],
            },
            Value::Object(vec![
                ("$".into(), Value::from("dollar")),
                ("b".into(), Value::Undefined),
            ]),
            Value::Map(vec![(
                Value::Number(1.0),
                Value::Set(vec![Value::from("s")]),
            )]),
            Value::Error {
                name: "TypeError".into(),
                message: "bad".into(),
            },
            Value::Object(vec![("self".into(), Value::Ref(4))]),
        ];
        let back = round_trip(values.clone());
        assert_eq!(back.len(), values.len());
        for (sent, got) in values.iter().zip(&back) {
            match (sent, got) {
                (Value::Number(a), Value::Number(b)) => {
                    assert_eq!(a.to_bits(), b.to_bits(), "{a} came back as {b}")
                }
                _ => assert_eq!(sent, got),
            }
        }
        let nan = round_trip(vec![Value::Number(f64::NAN)]);
        assert!(matches!(nan[0], Value::Number(n) if n.is_nan()));
    }

    #[test]
    fn bytes_travel_beside_the_text() {
        let mut buffers = Vec::new();
        let big = Bytes::from(vec![7u8; 1 << 20]);
        let json = encode(&Value::ArrayBuffer(big.clone()), &mut buffers);
        assert!(json.to_string().len() < 32, "{json}");
        assert_eq!(buffers, vec![big]);
    }

    #[test]
    fn malformed_wire_values_are_errors() {
        let buffers = [Bytes::from_static(b"abc")];
        let bad = [
            json!({"$": "bytes", "i": 1}),
            json!({"$": "typed", "kind": "Uint16Array", "i": 0}),
            json!({"$": "typed", "kind": "Nope", "i": 0}),
            json!({"$": "ref", "i": 0}),
            json!({"$": "bigint", "v": "12a"}),
            json!({"$": "number", "v": "7"}),
            json!({"$": "sparse", "length": 2, "v": [[5, 1]]}),
            json!({"$": "sparse", "length": 9, "v": [[5, 1], [2, 1]]}),
            json!({"$": "map", "v": [[1]]}),
            json!({"$": 3}),
            json!({"$": "what"}),
        ];
        for json in bad {
            assert!(
                decode(json.clone(), &buffers, &mut 0).is_err(),
                "{json} was accepted"
            );
        }
        assert_eq!(
            decode(
                json!({"$": "error", "name": "Evil", "message": "m"}),
                &[],
                &mut 0
            ),
            Ok(Value::Error {
                name: "Error".into(),
                message: "m".into()
            })
        );
    }
}
