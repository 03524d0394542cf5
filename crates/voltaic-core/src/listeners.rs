//! A list of listeners, the shape of every hook and event of the main process.

use std::sync::{Arc, PoisonError, RwLock};

type Listener<E> = Arc<dyn Fn(&E) + Send + Sync>;

/// The listeners of one event, called in the order they were added, each with
/// `&E`. Used for the IPC registry's hooks and the app's window and app events.
pub struct Listeners<E: ?Sized + 'static>(RwLock<Vec<Listener<E>>>);

impl<E: ?Sized> Default for Listeners<E> {
    fn default() -> Self {
        Self(RwLock::default())
    }
}

impl<E: ?Sized> Listeners<E> {
    /// Adds `listener`, to be called after those added before it.
    pub fn add(&self, listener: impl Fn(&E) + Send + Sync + 'static) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::new(listener));
    }

    /// Whether no listener was added.
    pub fn is_empty(&self) -> bool {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// Calls every listener with `event`. The list is copied first, so that a
    /// listener may add another.
    pub fn emit(&self, event: &E) {
        let listeners = self
            .0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for listener in listeners {
            listener(event);
        }
    }
}
