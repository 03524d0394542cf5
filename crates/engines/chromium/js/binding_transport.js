// Chromium's half of Voltaic's transport, run first in the preload's world.
//
// The DevTools binding the engine added to this world only (Runtime.addBinding with
// executionContextName) takes one string. This gives the preload runtime that
// binding in the shape of WebKit's script message handlers, which it posts to:
// `postMessage(text)` or `postMessage([text, parcel])`. The first character says
// which handler a string came through: 'p' a message, 'i' an invoke ('<id> <json>');
// 'q' and 'j' are the same with a parcel number and a space before the text.
//
// An invoke's promise never settles here: its answer comes back like any other
// message from the main process, which settles the invoke by its id.

/* exported voltaicBindingTransport */

function voltaicBindingTransport(bindingName, handler, invokeHandler) {
  'use strict';
  const binding = globalThis[bindingName];
  // The binding stays the runtime's: a preload script cannot post raw strings.
  delete globalThis[bindingName];
  const PromiseCtor = Promise;
  const noop = () => {};
  function send(plain, withParcel, message) {
    if (typeof message === 'string') {
      binding(plain + message);
    } else {
      binding(withParcel + message[1] + ' ' + message[0]);
    }
  }
  const handlers = {};
  handlers[handler] = Object.freeze({ postMessage: (message) => send('p', 'q', message) });
  handlers[invokeHandler] = Object.freeze({
    postMessage: (message) => {
      send('i', 'j', message);
      // A fresh promise each time: one shared pending promise would keep every
      // reaction ever added to it.
      return new PromiseCtor(noop);
    },
  });
  Object.defineProperty(globalThis, 'webkit', {
    value: Object.freeze({ messageHandlers: Object.freeze(handlers) }),
    configurable: true,
  });
}
