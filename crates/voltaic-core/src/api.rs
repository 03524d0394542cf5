//! APIs declared once, in Rust: what the page sees as `window.<name>`, its calls,
//! one-way messages, events and live values. Voltaic derives the channels, registers
//! the handlers, sets the schemas on both ends, grants exactly those channels to the
//! windows that take the API, and its preload runtime exposes it to the page.

use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::handler::{AsyncMarker, Erased, ErasedHandler, SyncMarker};
use crate::ipc_main::lock;
use crate::policy::Direction;
use crate::{ChannelSchema, Handler, IpcError, IpcEvent, Value, WebContents};

/// An API the page sees as `window.<name>`, declared once in Rust (the counterpart
/// of a preload that wraps `ipcRenderer` in `contextBridge.exposeInMainWorld`).
///
/// - [`Api::call`]: `await window.notes.list(filter)` runs a handler and resolves with
///   its result (an `invoke`);
/// - [`Api::send`]: `window.notes.log(line)` reaches a listener (a `send`);
/// - [`Api::event`]: `window.notes.onAdded(callback)` subscribes to messages from the
///   main process and returns the function that unsubscribes;
/// - [`Api::live`]: `window.notes.stats` is a value the page reads synchronously, with
///   no round trip, which the main process keeps current.
///
/// Channels are derived (`notes.list`, `notes.added`, ...), never written by hand. Add
/// the API with [`crate::IpcMain::add_api`], then name it in a window's preferences:
/// the window is granted exactly its channels, both ends check every argument and
/// result against the schemas derived from the Rust types, and the window's preload
/// runtime exposes it before the window's own preload runs.
///
/// ```
/// use voltaic_core::{Api, IpcEvent, IpcMain};
///
/// #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// struct Note { title: String }
///
/// # let rt = tokio::runtime::Runtime::new().unwrap();
/// let ipc_main = IpcMain::new(rt.handle().clone());
/// let notes = Api::new("notes");
/// notes.call("count", |_: IpcEvent| Ok::<u32, String>(0));
/// notes.send("log", |_: IpcEvent, line: String| println!("{line}"));
/// let added = notes.event::<Note>("added");
/// let total = notes.live("total", 0u32)?;
/// ipc_main.add_api(&notes)?;
/// total.set(1)?;
/// added.emit_all(Note { title: "first".into() })?;
/// # Ok::<(), voltaic_core::IpcError>(())
/// ```
#[derive(Clone)]
pub struct Api(Arc<Inner>);

struct Inner {
    name: String,
    doc: Mutex<Option<String>>,
    members: Mutex<Vec<Member>>,
    live: Mutex<BTreeMap<String, Value>>,
    windows: Mutex<Vec<WebContents>>,
}

/// One member of an API, with its channel and schema.
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) doc: Option<String>,
    pub(crate) kind: Kind,
    pub(crate) schema: ChannelSchema,
}

pub(crate) enum Kind {
    Call(Arc<dyn ErasedHandler>),
    Send(Arc<dyn ErasedHandler>),
    Event,
    Live,
}

/// The channel that answers, with `sendSync`, a window's request for an API's live
/// values as its document starts.
const LIVE_CHANNEL: &str = "$live";

impl Api {
    /// An API to be exposed as `window.<name>`. The name must be a JavaScript
    /// identifier (checked by [`crate::IpcMain::add_api`]).
    pub fn new(name: impl Into<String>) -> Self {
        Self(Arc::new(Inner {
            name: name.into(),
            doc: Mutex::default(),
            members: Mutex::default(),
            live: Mutex::default(),
            windows: Mutex::default(),
        }))
    }

    /// The name the page sees it under.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The channel of member `member`: `<api>.<member>`.
    pub fn channel(&self, member: &str) -> String {
        format!("{}.{member}", self.0.name)
    }

    /// A method the page calls and awaits: `await window.<api>.<name>(..args)`. The
    /// handler takes the event and typed arguments, as [`crate::IpcMain::handle`]'s do,
    /// and returns a `Result<T, E>` (or a future of one): `T` resolves the page's
    /// promise, `E` rejects it. The arguments' and `T`'s schemas come from their types.
    pub fn call<H, M>(&self, name: &str, handler: H) -> &Self
    where
        H: CallHandler<M>,
        M: 'static,
    {
        self.add(
            name,
            Kind::Call(Arc::new(Erased::new(handler))),
            H::schema(),
        )
    }

    /// A method the page calls without waiting: `window.<api>.<name>(..args)`. The
    /// listener takes the event and typed arguments and returns nothing.
    pub fn send<H, M>(&self, name: &str, listener: H) -> &Self
    where
        H: SendHandler<M>,
        M: 'static,
    {
        self.add(
            name,
            Kind::Send(Arc::new(Erased::new(listener))),
            H::schema(),
        )
    }

    /// Messages from the main process the page subscribes to with
    /// `window.<api>.on<Name>(callback)` (`added` gives `onAdded`), which returns the
    /// function that unsubscribes. Emit them with the returned [`ApiEvent`].
    pub fn event<T: Serialize + JsonSchema + 'static>(&self, name: &str) -> ApiEvent<T> {
        self.add(name, Kind::Event, ChannelSchema::new().args::<(T,)>());
        ApiEvent {
            api: self.clone(),
            channel: self.channel(name),
            payload: PhantomData,
        }
    }

    /// State the page reads as `window.<api>.<name>`, synchronously, with no round
    /// trip: each window holds a copy, which [`LiveValue::set`] updates everywhere.
    pub fn live<T: Serialize + JsonSchema + 'static>(
        &self,
        name: &str,
        initial: T,
    ) -> Result<LiveValue<T>, IpcError> {
        let value = crate::value::into_value(initial)?;
        self.add(name, Kind::Live, ChannelSchema::new().args::<(T,)>());
        lock(&self.0.live).insert(name.to_owned(), value);
        Ok(LiveValue {
            api: self.clone(),
            name: name.to_owned(),
            payload: PhantomData,
        })
    }

    /// Documents the member added last, or the API itself before any member was
    /// added: the text becomes its TSDoc in the generated TypeScript.
    ///
    /// ```
    /// # use voltaic_core::{Api, IpcEvent};
    /// let notes = Api::new("notes");
    /// notes.doc("The notes of the app.");
    /// notes
    ///     .call("count", |_: IpcEvent| Ok::<u32, String>(0))
    ///     .doc("How many notes there are.");
    /// ```
    pub fn doc(&self, text: &str) -> &Self {
        match lock(&self.0.members).last_mut() {
            Some(member) => member.doc = Some(text.to_owned()),
            None => *lock(&self.0.doc) = Some(text.to_owned()),
        }
        self
    }

    pub(crate) fn description(&self) -> Option<String> {
        lock(&self.0.doc).clone()
    }

    fn add(&self, name: &str, kind: Kind, schema: ChannelSchema) -> &Self {
        lock(&self.0.members).push(Member {
            name: name.to_owned(),
            doc: None,
            kind,
            schema,
        });
        self
    }

    /// Every channel of the API with the direction a window uses it in, for its
    /// grants: calls are invokes, sends and the live-value request are sends, events
    /// and live-value updates are received.
    pub fn channels(&self) -> Vec<(Direction, String)> {
        let mut channels: Vec<(Direction, String)> = lock(&self.0.members)
            .iter()
            .map(|member| {
                let direction = match member.kind {
                    Kind::Call(_) => Direction::Invoke,
                    Kind::Send(_) => Direction::Send,
                    Kind::Event | Kind::Live => Direction::Receive,
                };
                (direction, self.channel(&member.name))
            })
            .collect();
        if !lock(&self.0.live).is_empty() {
            channels.push((Direction::Send, self.channel(LIVE_CHANNEL)));
        }
        channels
    }

    /// What the preload runtime needs to expose the API: its name and, per kind, each
    /// member's name and channel. For backends.
    pub fn descriptor(&self) -> Json {
        let members = lock(&self.0.members);
        let of = |wanted: fn(&Kind) -> bool| -> Vec<Json> {
            members
                .iter()
                .filter(|member| wanted(&member.kind))
                .map(|member| json!([member.name, self.channel(&member.name)]))
                .collect()
        };
        json!({
            "key": self.0.name,
            "calls": of(|kind| matches!(kind, Kind::Call(_))),
            "sends": of(|kind| matches!(kind, Kind::Send(_))),
            "events": of(|kind| matches!(kind, Kind::Event)),
            "live": of(|kind| matches!(kind, Kind::Live)),
            "liveChannel": self.channel(LIVE_CHANNEL),
        })
    }

    /// Takes note of a window that was given the API, for [`ApiEvent::emit_all`] and
    /// [`LiveValue::set`]. Backends call this when they open a window whose
    /// preferences name the API.
    pub fn attach(&self, window: &WebContents) {
        let mut windows = lock(&self.0.windows);
        if !windows.contains(window) {
            windows.push(window.clone());
        }
    }

    /// Sends `args` on `channel` to every window that has the API; windows that have
    /// closed are forgotten.
    fn broadcast(&self, channel: &str, args: &[Value]) -> Result<(), IpcError> {
        let windows = lock(&self.0.windows).clone();
        let mut closed = Vec::new();
        for window in &windows {
            match window.send_values(channel, args.to_vec()) {
                Ok(()) => {}
                Err(IpcError::WindowClosed(_)) => closed.push(window.id()),
                Err(error) => return Err(error),
            }
        }
        if !closed.is_empty() {
            lock(&self.0.windows).retain(|window| !closed.contains(&window.id()));
        }
        Ok(())
    }

    pub(crate) fn members(&self) -> std::sync::MutexGuard<'_, Vec<Member>> {
        lock(&self.0.members)
    }

    /// The live values as one object, for a window's document as it starts.
    pub(crate) fn live_values(&self) -> Value {
        Value::Object(
            lock(&self.0.live)
                .iter()
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
        )
    }

    pub(crate) fn has_live_values(&self) -> bool {
        !lock(&self.0.live).is_empty()
    }

    pub(crate) fn live_channel(&self) -> String {
        self.channel(LIVE_CHANNEL)
    }
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("name", &self.0.name)
            .field("channels", &self.channels())
            .finish()
    }
}

/// An event of an [`Api`], from [`Api::event`]: what the page's `on<Name>` callbacks
/// receive.
pub struct ApiEvent<T> {
    api: Api,
    channel: String,
    payload: PhantomData<fn(T)>,
}

impl<T: Serialize + 'static> ApiEvent<T> {
    /// Sends the event to one window (it must have the API).
    pub fn emit(&self, window: &WebContents, payload: T) -> Result<(), IpcError> {
        window.send_values(&self.channel, vec![crate::value::into_value(payload)?])
    }

    /// Sends the event to every window that has the API.
    pub fn emit_all(&self, payload: T) -> Result<(), IpcError> {
        self.api
            .broadcast(&self.channel, &[crate::value::into_value(payload)?])
    }

    /// The event's channel.
    pub fn channel(&self) -> &str {
        &self.channel
    }
}

/// A live value of an [`Api`], from [`Api::live`].
pub struct LiveValue<T> {
    api: Api,
    name: String,
    payload: PhantomData<fn(T)>,
}

impl<T: Serialize + 'static> LiveValue<T> {
    /// Changes the value: every window that has the API gets the new one, and the
    /// documents that start from now on start with it.
    pub fn set(&self, value: T) -> Result<(), IpcError> {
        let value = crate::value::into_value(value)?;
        lock(&self.api.0.live).insert(self.name.clone(), value.clone());
        self.api.broadcast(&self.api.channel(&self.name), &[value])
    }
}

/// A handler for [`Api::call`]: a function of the event and typed arguments that
/// returns `Result<T, E>`, or a future of one, whose arguments and `T` have schemas.
/// Implemented for the same functions as [`Handler`], for up to eight arguments; the
/// marker `M` is inferred.
pub trait CallHandler<M>: Handler<M> {
    /// The schema of the arguments (as a list) and of the result.
    fn schema() -> ChannelSchema;
}

/// A listener for [`Api::send`]: a function of the event and typed arguments that
/// returns `()`, whose arguments have schemas.
pub trait SendHandler<M>: Handler<M> {
    /// The schema of the arguments (as a list).
    fn schema() -> ChannelSchema;
}

macro_rules! impl_api_handlers {
    ($($T:ident),*) => {
        impl<F, Fut, R, E, $($T,)*> CallHandler<(AsyncMarker, $($T,)*)> for F
        where
            F: Fn(IpcEvent, $($T,)*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = Result<R, E>> + Send + 'static,
            R: Serialize + JsonSchema + 'static,
            E: std::fmt::Display + 'static,
            $($T: DeserializeOwned + JsonSchema + Send + 'static,)*
        {
            fn schema() -> ChannelSchema {
                ChannelSchema::new().args::<($($T,)*)>().result::<R>()
            }
        }

        impl<F, R, E, $($T,)*> CallHandler<(SyncMarker, $($T,)*)> for F
        where
            F: Fn(IpcEvent, $($T,)*) -> Result<R, E> + Send + Sync + 'static,
            R: Serialize + JsonSchema + 'static,
            E: std::fmt::Display + 'static,
            $($T: DeserializeOwned + JsonSchema + Send + 'static,)*
        {
            fn schema() -> ChannelSchema {
                ChannelSchema::new().args::<($($T,)*)>().result::<R>()
            }
        }

        impl<F, Fut, $($T,)*> SendHandler<(AsyncMarker, $($T,)*)> for F
        where
            F: Fn(IpcEvent, $($T,)*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = ()> + Send + 'static,
            $($T: DeserializeOwned + JsonSchema + Send + 'static,)*
        {
            fn schema() -> ChannelSchema {
                ChannelSchema::new().args::<($($T,)*)>()
            }
        }

        impl<F, $($T,)*> SendHandler<(SyncMarker, $($T,)*)> for F
        where
            F: Fn(IpcEvent, $($T,)*) + Send + Sync + 'static,
            $($T: DeserializeOwned + JsonSchema + Send + 'static,)*
        {
            fn schema() -> ChannelSchema {
                ChannelSchema::new().args::<($($T,)*)>()
            }
        }
    };
}

impl_api_handlers!();
impl_api_handlers!(T1);
impl_api_handlers!(T1, T2);
impl_api_handlers!(T1, T2, T3);
impl_api_handlers!(T1, T2, T3, T4);
impl_api_handlers!(T1, T2, T3, T4, T5);
impl_api_handlers!(T1, T2, T3, T4, T5, T6);
impl_api_handlers!(T1, T2, T3, T4, T5, T6, T7);
impl_api_handlers!(T1, T2, T3, T4, T5, T6, T7, T8);

/// Whether `name` can be a property of `window` written as `window.name`.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c == '$' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c == '$' || c.is_ascii_alphanumeric())
        && name.len() <= 64
}
