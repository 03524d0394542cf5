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
//
// `posted()` counts the strings sent so far in this document: a sendSync request,
// which travels through the network stack instead, carries the count, and the
// main process takes it only once it has that many.

/* exported voltaicBindingTransport */

function voltaicBindingTransport(bindingName, handler, invokeHandler) {
  'use strict';
  const binding = globalThis[bindingName];
  // The binding stays the runtime's: a preload script cannot post raw strings.
  delete globalThis[bindingName];
  const PromiseCtor = Promise;
  const noop = () => {};
  let posted = 0;
  function send(plain, withParcel, message) {
    posted += 1;
    if (typeof message === 'string') {
      binding(plain + message);
    } else if (Array.isArray(message) && typeof message[0] === 'string' && typeof message[1] === 'number') {
      binding(withParcel + message[1] + ' ' + message[0]);
    } else {
      // What WebKit's handlers would pass on and the main process ignore.
      binding('?');
    }
  }
  const handlers = {};
  handlers[handler] = Object.freeze({
    postMessage: (message) => send('p', 'q', message),
    posted: () => posted,
  });
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
