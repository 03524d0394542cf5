// The preload side of the APIs a window takes from the main process (declared in
// Rust with voltaic's `Api`): each becomes `window.<name>` through the context
// bridge, as a hand-written preload would expose it, before the window's own preload
// runs. Calls are invokes, sends are sends, `on<Event>(callback)` subscribes and
// returns the function that unsubscribes, and live values are properties the page
// reads with no round trip, updated by the main process.

/* exported voltaicApis */

function voltaicApis(descriptors, ipcRenderer, internals) {
  'use strict';
  const TypeErrorCtor = TypeError;
  const defineProperty = Object.defineProperty;

  function define(target, key, value) {
    defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }

  function subscriberName(name) {
    return 'on' + name.charAt(0).toUpperCase() + name.slice(1);
  }

  function expose(descriptor) {
    const api = {};
    const calls = descriptor.calls;
    for (let i = 0; i < calls.length; i++) {
      const channel = calls[i][1];
      define(api, calls[i][0], (...args) => ipcRenderer.invoke(channel, ...args));
    }
    const sends = descriptor.sends;
    for (let i = 0; i < sends.length; i++) {
      const channel = sends[i][1];
      define(api, sends[i][0], (...args) => {
        ipcRenderer.send(channel, ...args);
      });
    }
    const events = descriptor.events;
    for (let i = 0; i < events.length; i++) {
      const channel = events[i][1];
      const name = subscriberName(events[i][0]);
      define(api, name, (callback) => {
        if (typeof callback !== 'function') {
          throw new TypeErrorCtor(descriptor.key + '.' + name + ': the callback must be a function');
        }
        return internals.subscribe(channel, (payload) => callback(payload));
      });
    }
    const live = descriptor.live;
    const names = [];
    if (live.length > 0) {
      // The current values, as the document starts: after this, updates.
      const values = ipcRenderer.sendSync(descriptor.liveChannel);
      for (let i = 0; i < live.length; i++) {
        define(api, live[i][0], values[live[i][0]]);
        names[names.length] = live[i][0];
      }
    }
    const update = internals.expose(descriptor.key, api, names);
    for (let i = 0; i < live.length; i++) {
      const name = live[i][0];
      internals.subscribe(live[i][1], (value) => update(name, value));
    }
  }

  for (let i = 0; i < descriptors.length; i++) {
    try {
      expose(descriptors[i]);
    } catch (error) {
      internals.report('error', ['Could not expose the ' + descriptors[i].key + ' API:', error]);
    }
  }
}
