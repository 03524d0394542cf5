//! Messages as JavaScriptCore values. A message is its JSON text, or, when it has
//! bytes, the array `[text, parcel]`: the bytes themselves travel through the app's
//! URI scheme (see `parcels`), since WebKit hands ArrayBuffers posted to a script
//! message handler to the UI process as empty objects.

use javascriptcore::ValueExt;
use voltaic_core::{Bytes, Packet};

/// Reads a message posted by the preload runtime, claiming its bytes with `claim`;
/// `None` if it has another shape or its parcel is not there.
pub(crate) fn read(
    value: &javascriptcore::Value,
    claim: impl FnOnce(u64) -> Option<Vec<Bytes>>,
) -> Option<Packet> {
    if value.is_string() {
        return Some(Packet::text(value.to_str().as_str()));
    }
    if !value.is_array() || value.object_get_property("length")?.to_int32() != 2 {
        return None;
    }
    let text = value.object_get_property_at_index(0)?;
    let parcel = value.object_get_property_at_index(1)?;
    if !text.is_string() || !parcel.is_number() {
        return None;
    }
    let number = voltaic_preload::parcel_number(parcel.to_double())?;
    Some(Packet {
        text: text.to_str().into(),
        buffers: claim(number)?,
    })
}

/// A message for the preload: its text, or its text and the parcel its bytes wait in.
pub(crate) fn write(
    context: &javascriptcore::Context,
    text: &str,
    parcel: Option<u64>,
) -> javascriptcore::Value {
    let text = javascriptcore::Value::new_string(context, Some(text));
    match parcel {
        None => text,
        Some(parcel) => javascriptcore::Value::new_array_from_garray(
            context,
            &[
                text,
                javascriptcore::Value::new_number(context, parcel as f64),
            ],
        ),
    }
}
