//! Handlers are plain functions, sync or async, taking the event and then typed
//! arguments, like axum handlers take extractors.

use std::fmt::Display;
use std::future::{ready, Future};
use std::marker::PhantomData;
use std::pin::Pin;

use crate::value::{from_value, into_value};
use crate::{IpcError, IpcEvent, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// What a handler resolves to once type erasure is done.
pub(crate) type HandlerFuture = Pin<Box<dyn Future<Output = Result<Value, IpcError>> + Send>>;

/// Marker for handlers that return a future (`async fn`, `|..| async move {..}`).
/// Never named by users: it is inferred.
#[derive(Debug)]
pub enum AsyncMarker {}

/// Marker for handlers that return their value directly. Never named by users: it is
/// inferred.
#[derive(Debug)]
pub enum SyncMarker {}

/// A function that can handle an IPC message.
///
/// Implemented for every `Fn(IpcEvent, T1, .., Tn) -> R` (sync) and
/// `Fn(IpcEvent, T1, .., Tn) -> impl Future<Output = R>` (async), for up to eight
/// arguments, where each `Ti` is [`DeserializeOwned`] and `R` is [`IntoReply`]. The
/// renderer's arguments are matched by position: argument `i` is deserialized into
/// `Ti` (see [`Value::deserialize_into`]; a [`Value`] or [`bytes::Bytes`] parameter
/// takes it as it is), a missing one is read as `undefined` (so `Option<Ti>` makes it
/// optional), extra ones are ignored, as JavaScript does. The marker `M` only tells the two families apart;
/// it is always inferred.
///
/// Closures need their parameter types written out, the event's included:
///
/// ```
/// # use voltaic_core::{IpcEvent, IpcMain};
/// # let rt = tokio::runtime::Runtime::new().unwrap();
/// # let ipc_main = IpcMain::new(rt.handle().clone());
/// ipc_main.handle("add", |_e: IpcEvent, a: f64, b: f64| a + b).unwrap();
/// ipc_main.handle("greet", |_e: IpcEvent, name: Option<String>| async move {
///     format!("Hello, {}!", name.as_deref().unwrap_or("stranger"))
/// }).unwrap();
/// ```
pub trait Handler<M>: Send + Sync + 'static {
    /// Deserializes `args` and runs the handler. A sync handler has finished when this
    /// returns; an async one has only been created.
    fn call(&self, event: IpcEvent, args: Vec<Value>) -> HandlerFuture;
}

/// Type-erased handler stored in the registry.
pub(crate) trait ErasedHandler: Send + Sync {
    fn call(&self, event: IpcEvent, args: Vec<Value>) -> HandlerFuture;
}

pub(crate) struct Erased<H, M>(pub(crate) H, PhantomData<fn() -> M>);

impl<H, M> Erased<H, M> {
    pub(crate) fn new(handler: H) -> Self {
        Self(handler, PhantomData)
    }
}

impl<H: Handler<M>, M: 'static> ErasedHandler for Erased<H, M> {
    fn call(&self, event: IpcEvent, args: Vec<Value>) -> HandlerFuture {
        self.0.call(event, args)
    }
}

/// Reads positional arguments, naming the channel and position in any error.
struct ArgReader {
    channel: String,
    args: std::vec::IntoIter<Value>,
    index: usize,
}

impl ArgReader {
    fn new(channel: &str, args: Vec<Value>) -> Self {
        Self {
            channel: channel.to_owned(),
            args: args.into_iter(),
            index: 0,
        }
    }

    fn next<T: DeserializeOwned + 'static>(&mut self) -> Result<T, IpcError> {
        let index = self.index;
        self.index += 1;
        let value = self.args.next().unwrap_or(Value::Undefined);
        from_value(value).map_err(|reason| IpcError::InvalidArgument {
            channel: self.channel.clone(),
            index,
            reason,
        })
    }
}

/// Binds each renderer argument to a variable named after its type parameter, or
/// returns the first deserialization error as the handler's outcome.
macro_rules! read_args {
    ($event:ident, $args:ident; $($T:ident),*) => {
        let mut reader = ArgReader::new($event.channel(), $args);
        $(let $T = match reader.next::<$T>() {
            Ok(value) => value,
            Err(error) => return Box::pin(ready(Err(error))),
        };)*
    };
}

macro_rules! impl_handler {
    ($($T:ident),*) => {
        #[allow(non_snake_case, unused_mut, unused_variables)]
        impl<F, Fut, R, $($T,)*> Handler<(AsyncMarker, $($T,)*)> for F
        where
            F: Fn(IpcEvent, $($T,)*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoReply,
            $($T: DeserializeOwned + Send + 'static,)*
        {
            fn call(&self, event: IpcEvent, args: Vec<Value>) -> HandlerFuture {
                read_args!(event, args; $($T),*);
                let future = self(event, $($T,)*);
                Box::pin(async move { future.await.into_reply() })
            }
        }

        #[allow(non_snake_case, unused_mut, unused_variables)]
        impl<F, R, $($T,)*> Handler<(SyncMarker, $($T,)*)> for F
        where
            F: Fn(IpcEvent, $($T,)*) -> R + Send + Sync + 'static,
            R: IntoReply,
            $($T: DeserializeOwned + Send + 'static,)*
        {
            fn call(&self, event: IpcEvent, args: Vec<Value>) -> HandlerFuture {
                read_args!(event, args; $($T),*);
                Box::pin(ready(self(event, $($T,)*).into_reply()))
            }
        }
    };
}

impl_handler!();
impl_handler!(T1);
impl_handler!(T1, T2);
impl_handler!(T1, T2, T3);
impl_handler!(T1, T2, T3, T4);
impl_handler!(T1, T2, T3, T4, T5);
impl_handler!(T1, T2, T3, T4, T5, T6);
impl_handler!(T1, T2, T3, T4, T5, T6, T7);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8);

/// What a handler may return: the value an `invoke` resolves with, or the error it
/// rejects with. For `on` listeners the value is dropped and an error is logged.
///
/// Implemented for `Result<T, E>` (any `T: Serialize`, any `E: Display`), [`Json`],
/// [`Value`] (sent exactly), [`bytes::Bytes`] (an `ArrayBuffer`),
/// [`serde_json::Value`], `Vec<T>`, `Option<T>` (`None` resolves to `null`), `()`
/// (resolves to `null`), strings, booleans and numbers.
pub trait IntoReply {
    /// Converts into the reply sent to the renderer.
    fn into_reply(self) -> Result<Value, IpcError>;
}

impl<T: Serialize + 'static, E: Display> IntoReply for Result<T, E> {
    fn into_reply(self) -> Result<Value, IpcError> {
        match self {
            Ok(value) => into_value(value),
            Err(error) => Err(IpcError::Handler(error.to_string())),
        }
    }
}

/// Wraps any [`Serialize`] value as a handler's reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize + 'static> IntoReply for Json<T> {
    fn into_reply(self) -> Result<Value, IpcError> {
        into_value(self.0)
    }
}

macro_rules! impl_into_reply_via_serialize {
    ($($t:ty),*) => {$(
        impl IntoReply for $t {
            fn into_reply(self) -> Result<Value, IpcError> {
                into_value(self)
            }
        }
    )*};
}

impl<T: Serialize + 'static> IntoReply for Vec<T> {
    fn into_reply(self) -> Result<Value, IpcError> {
        into_value(self)
    }
}

impl<T: Serialize + 'static> IntoReply for Option<T> {
    fn into_reply(self) -> Result<Value, IpcError> {
        into_value(self)
    }
}

impl_into_reply_via_serialize!(
    Value,
    serde_json::Value,
    bytes::Bytes,
    (),
    String,
    &'static str,
    bool,
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    u64,
    f32,
    f64
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web_contents::tests::test_contents;

    fn json(value: serde_json::Value) -> Value {
        Value::from(value)
    }

    fn event() -> IpcEvent {
        IpcEvent::new(
            "ch".into(),
            test_contents().0,
            crate::SenderFrame::from_url("file:///x"),
        )
    }

    async fn run<M, H: Handler<M>>(h: H, args: Vec<Value>) -> Result<Value, IpcError> {
        h.call(event(), args).await
    }

    #[tokio::test]
    async fn sync_and_async_handlers_with_typed_arguments() {
        assert_eq!(
            run(
                |_: IpcEvent, a: i32, b: i32| a + b,
                vec![json(serde_json::json!(2)), json(serde_json::json!(3))]
            )
            .await,
            Ok(json(serde_json::json!(5)))
        );
        assert_eq!(
            run(
                |_: IpcEvent, s: String| async move { Ok::<_, String>(s.len()) },
                vec![json(serde_json::json!("four"))]
            )
            .await,
            Ok(json(serde_json::json!(4)))
        );
        // Nothing returned is `undefined`, as from an Electron handler.
        assert_eq!(run(|_: IpcEvent| (), vec![]).await, Ok(Value::Undefined));
    }

    #[tokio::test]
    async fn missing_arguments_are_null_and_extra_ones_ignored() {
        assert_eq!(
            run(|_: IpcEvent, o: Option<u8>| o.is_none(), vec![]).await,
            Ok(json(serde_json::json!(true)))
        );
        assert_eq!(
            run(
                |_: IpcEvent, a: u8| a,
                vec![json(serde_json::json!(1)), json(serde_json::json!(2))]
            )
            .await,
            Ok(json(serde_json::json!(1)))
        );
    }

    #[tokio::test]
    async fn a_wrong_argument_type_names_channel_and_position() {
        let err = run(
            |_: IpcEvent, _a: u8, _b: String| (),
            vec![json(serde_json::json!(1)), json(serde_json::json!(2))],
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, IpcError::InvalidArgument { ref channel, index: 1, .. } if channel == "ch")
        );
        assert!(
            err.to_string()
                .contains("invalid type: integer `2`, expected a string"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn errors_become_handler_errors() {
        assert_eq!(
            run(|_: IpcEvent| Err::<(), _>("boom"), vec![]).await,
            Err(IpcError::Handler("boom".into()))
        );
    }
}
