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
//
// With `watchWindow`, the window's resizes, focus changes and visibility changes
// send 'w', and the document's title 't' and the title (neither counted as
// posted): the engine then reads the browser window, whose changes the DevTools
// protocol does not report, and says the page's title changed.

/* exported voltaicBindingTransport */

function voltaicBindingTransport(bindingName, handler, invokeHandler, watchWindow) {
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
  if (watchWindow) {
    // Only what the browser dispatched: a page's own `dispatchEvent` is not news.
    const changed = (event) => {
      if (event.isTrusted) binding('w');
    };
    // Not capturing: an element's focus passes through the window's capture phase.
    for (const name of ['resize', 'focus', 'blur']) {
      globalThis.addEventListener(name, changed);
    }
    document.addEventListener('visibilitychange', changed);
    let title = '';
    const titled = () => {
      if (document.title !== title) {
        title = document.title;
        binding('t' + title);
      }
    };
    // The title lives in the head: watching only there keeps the page's own DOM
    // work free of it.
    document.addEventListener('DOMContentLoaded', () => {
      titled();
      if (document.head) {
        new MutationObserver(titled).observe(document.head, {
          subtree: true, childList: true, characterData: true,
        });
      }
    });
  }
  Object.defineProperty(globalThis, 'webkit', {
    value: Object.freeze({ messageHandlers: Object.freeze(handlers) }),
    configurable: true,
  });
}
