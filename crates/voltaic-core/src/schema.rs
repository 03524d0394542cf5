//! JSON Schemas for channels: what a channel's arguments (and an invoke's result) must
//! look like. The main process checks them with the `jsonschema` crate before a
//! handler runs and before a result or a message leaves; the preload runtime gets the
//! same schemas and checks them too, so a bad value is refused at the sender.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use schemars::JsonSchema;
use serde_json::Value;

use crate::IpcError;

/// The schemas of one channel. Arguments are checked as one JSON array (the argument
/// list), so a Rust tuple describes them: `(String, u32)` for `send(ch, "a", 1)`.
///
/// ```
/// use voltaic_core::ChannelSchema;
///
/// #[derive(serde::Serialize, schemars::JsonSchema)]
/// struct Data { result: String }
///
/// let schema = ChannelSchema::new().args::<(String,)>().result::<Data>();
/// assert!(schema.args_schema().is_some());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelSchema {
    args: Option<Value>,
    result: Option<Value>,
}

impl ChannelSchema {
    /// No constraint yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Arguments must match `T`'s schema (derived with `schemars`): a tuple lists
    /// them (`(String, u32)`), `()` means none, and any other type means exactly one
    /// argument of that type. A `Vec<T>` means any number of `T`s.
    pub fn args<T: JsonSchema>(mut self) -> Self {
        self.args = Some(argument_list(derive::<T>()));
        self
    }

    /// An invoke's result must match `T`'s schema.
    pub fn result<T: JsonSchema>(mut self) -> Self {
        self.result = Some(derive::<T>());
        self
    }

    /// Arguments must match a hand-written JSON Schema (applied to the argument array).
    pub fn args_json(mut self, schema: Value) -> Self {
        self.args = Some(schema);
        self
    }

    /// An invoke's result must match a hand-written JSON Schema.
    pub fn result_json(mut self, schema: Value) -> Self {
        self.result = Some(schema);
        self
    }

    /// The arguments' schema, if any.
    pub fn args_schema(&self) -> Option<&Value> {
        self.args.as_ref()
    }

    /// The result's schema, if any.
    pub fn result_schema(&self) -> Option<&Value> {
        self.result.as_ref()
    }
}

fn derive<T: JsonSchema>() -> Value {
    schemars::schema_for!(T).to_value()
}

/// Turns the schema of a Rust type into the schema of an argument list.
fn argument_list(mut schema: Value) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => schema,
        Some("null") => serde_json::json!({ "type": "array", "maxItems": 0 }),
        _ => {
            // One argument: the type's schema becomes the only item, with its
            // definitions kept at the root where its `$ref`s point.
            let mut list = serde_json::json!({ "type": "array", "minItems": 1, "maxItems": 1 });
            if let Value::Object(inner) = &mut schema {
                inner.remove("$schema");
                if let Some(defs) = inner.remove("$defs") {
                    list["$defs"] = defs;
                }
            }
            list["prefixItems"] = Value::Array(vec![schema]);
            list
        }
    }
}

/// Which value of a message is checked, for error texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Args,
    Result,
}

struct Compiled {
    source: ChannelSchema,
    args: Option<jsonschema::Validator>,
    result: Option<jsonschema::Validator>,
}

/// The schemas registered on one [`crate::IpcMain`].
#[derive(Default, Clone)]
pub(crate) struct Schemas {
    by_channel: Arc<RwLock<HashMap<String, Arc<Compiled>>>>,
}

impl Schemas {
    pub(crate) fn set(&self, channel: &str, schema: ChannelSchema) -> Result<(), IpcError> {
        let compile = |schema: &Option<Value>| -> Result<_, IpcError> {
            schema
                .as_ref()
                .map(|s| {
                    jsonschema::validator_for(s).map_err(|e| IpcError::InvalidSchema {
                        channel: channel.to_owned(),
                        reason: e.to_string(),
                    })
                })
                .transpose()
        };
        let compiled = Compiled {
            args: compile(&schema.args)?,
            result: compile(&schema.result)?,
            source: schema,
        };
        self.by_channel
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(channel.to_owned(), Arc::new(compiled));
        Ok(())
    }

    pub(crate) fn remove(&self, channel: &str) -> bool {
        self.by_channel
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(channel)
            .is_some()
    }

    fn get(&self, channel: &str) -> Option<Arc<Compiled>> {
        self.by_channel
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(channel)
            .cloned()
    }

    /// Checks `value` against the channel's schema for `part`; channels without one
    /// accept anything.
    pub(crate) fn check(&self, channel: &str, part: Part, value: &Value) -> Result<(), IpcError> {
        let Some(compiled) = self.get(channel) else {
            return Ok(());
        };
        let validator = match part {
            Part::Args => compiled.args.as_ref(),
            Part::Result => compiled.result.as_ref(),
        };
        let Some(validator) = validator else {
            return Ok(());
        };
        validator
            .validate(value)
            .map_err(|error| IpcError::Validation {
                channel: channel.to_owned(),
                part: match part {
                    Part::Args => "arguments",
                    Part::Result => "result",
                },
                path: match error.instance_path().as_str() {
                    "" => "(root)".to_owned(),
                    path => path.to_owned(),
                },
                // `masked` leaves the offending value out: it can be huge, or a secret.
                reason: error.masked().to_string(),
            })
    }

    /// Checks an argument list against the channel's schema for arguments. The list
    /// is lent to the validator as a JSON array and given back, without a copy.
    pub(crate) fn check_args(&self, channel: &str, args: &mut Vec<Value>) -> Result<(), IpcError> {
        if self.get(channel).is_none_or(|c| c.args.is_none()) {
            return Ok(());
        }
        let list = Value::Array(std::mem::take(args));
        let outcome = self.check(channel, Part::Args, &list);
        if let Value::Array(items) = list {
            *args = items;
        }
        outcome
    }

    /// Every schema, as JSON for the preload runtime: `{channel: {args, result}}`.
    pub(crate) fn export(&self) -> Value {
        let map = self
            .by_channel
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let entries = map.iter().map(|(channel, compiled)| {
            let mut entry = serde_json::Map::new();
            if let Some(args) = &compiled.source.args {
                entry.insert("args".into(), args.clone());
            }
            if let Some(result) = &compiled.source.result {
                entry.insert("result".into(), result.clone());
            }
            (channel.clone(), Value::Object(entry))
        });
        Value::Object(entries.collect())
    }

    pub(crate) fn channels(&self) -> Vec<String> {
        let mut channels: Vec<String> = self
            .by_channel
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        channels.sort();
        channels
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Point {
        x: i32,
        y: i32,
    }

    #[test]
    fn derived_schemas_check_arguments_with_a_path() {
        let schemas = Schemas::default();
        schemas
            .set("move", ChannelSchema::new().args::<(Point, String)>())
            .unwrap();
        assert!(schemas
            .check("move", Part::Args, &json!([{"x": 1, "y": 2}, "fast"]))
            .is_ok());
        let error = schemas
            .check("move", Part::Args, &json!([{"x": "1", "y": 2}, "fast"]))
            .unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("invalid arguments for channel 'move' at /0/x: "),
            "{text}"
        );
        assert!(schemas.check("move", Part::Args, &json!([])).is_err());
        assert!(schemas.check("free", Part::Args, &json!([1, 2])).is_ok());
    }

    #[test]
    fn unit_and_single_types_describe_argument_lists() {
        let schemas = Schemas::default();
        schemas
            .set("none", ChannelSchema::new().args::<()>())
            .unwrap();
        schemas
            .set("one", ChannelSchema::new().args::<Point>())
            .unwrap();
        schemas
            .set("many", ChannelSchema::new().args::<Vec<u8>>())
            .unwrap();
        assert!(schemas.check("none", Part::Args, &json!([])).is_ok());
        assert!(schemas.check("none", Part::Args, &json!([1])).is_err());
        assert!(schemas
            .check("one", Part::Args, &json!([{"x": 1, "y": 2}]))
            .is_ok());
        assert!(schemas
            .check("one", Part::Args, &json!([{"x": 1}]))
            .is_err());
        assert!(schemas.check("one", Part::Args, &json!([])).is_err());
        assert!(schemas.check("many", Part::Args, &json!([1, 2, 3])).is_ok());
        assert!(schemas.check("many", Part::Args, &json!([300])).is_err());
    }

    #[test]
    fn results_and_hand_written_schemas() {
        let schemas = Schemas::default();
        schemas
            .set(
                "get",
                ChannelSchema::new()
                    .args_json(json!({"type": "array", "maxItems": 0}))
                    .result::<Point>(),
            )
            .unwrap();
        assert!(schemas.check("get", Part::Args, &json!([1])).is_err());
        assert!(schemas
            .check("get", Part::Result, &json!({"x": 0, "y": 0}))
            .is_ok());
        let error = schemas
            .check("get", Part::Result, &json!({"x": 0}))
            .unwrap_err();
        assert!(error
            .to_string()
            .contains("invalid result for channel 'get'"));
        assert!(matches!(
            schemas.set("bad", ChannelSchema::new().args_json(json!({"type": 5}))),
            Err(IpcError::InvalidSchema { .. })
        ));
        assert!(schemas.export()["get"]["result"].is_object());
    }
}
