//! Bytes for typed contracts: the one byte type with a schema, so that it can be an
//! argument or result of a declared API, or a field of their types.

use std::borrow::Cow;
use std::ops::Deref;

use bytes::Bytes;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// Bytes in a typed contract: what a page passes as a `Uint8Array` (or any typed
/// array, `DataView` or `ArrayBuffer`), and what it gets back as an `ArrayBuffer`,
/// with no copy through numbers or base64. In the generated TypeScript it is
/// `Uint8Array | ArrayBuffer`.
///
/// Plain handlers can take and return [`Bytes`] directly; a declared API's members
/// need a type with a schema, and this is it.
///
/// ```
/// use voltaic_core::{Api, Binary, IpcEvent};
///
/// let files = Api::new("files");
/// files.call("checksum", |_: IpcEvent, data: Binary| {
///     Ok::<u32, String>(data.iter().map(|&b| u32::from(b)).sum())
/// });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Binary(pub Bytes);

impl Deref for Binary {
    type Target = Bytes;

    fn deref(&self) -> &Bytes {
        &self.0
    }
}

impl From<Bytes> for Binary {
    fn from(bytes: Bytes) -> Self {
        Self(bytes)
    }
}

impl From<Vec<u8>> for Binary {
    fn from(bytes: Vec<u8>) -> Self {
        Self(Bytes::from(bytes))
    }
}

impl From<Binary> for Bytes {
    fn from(binary: Binary) -> Self {
        binary.0
    }
}

/// The key that tells the TypeScript generator a schema is [`Binary`].
pub(crate) const TS_TYPE_KEY: &str = "x-voltaic-type";

impl JsonSchema for Binary {
    fn schema_name() -> Cow<'static, str> {
        "Binary".into()
    }

    /// The wire form that schemas are checked against (see [`crate::wire`]): an
    /// `ArrayBuffer` or a view's bytes, by buffer index.
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Bytes: an ArrayBuffer, or a typed array or DataView over one.",
            "type": "object",
            "required": ["$", "i"],
            "properties": {
                "$": { "enum": ["bytes", "typed"] },
                "i": { "type": "integer", "minimum": 0 },
                "kind": { "type": "string" }
            },
            "x-voltaic-type": "bytes"
        })
    }
}
