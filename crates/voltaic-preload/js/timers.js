// require('timers') in a preload, and its setImmediate/clearImmediate: Node's timer
// functions over the page's own. Timeouts are Node-style objects (ref, unref,
// hasRef, refresh) that also convert to the browser's timer id, so either form
// clears them.

/* exported voltaicTimers */

function voltaicTimers() {
  'use strict';
  const browserSetTimeout = setTimeout;
  const browserClearTimeout = clearTimeout;
  const browserSetInterval = setInterval;
  const browserClearInterval = clearInterval;

  class Timeout {
    constructor(start, callback, delay, args) {
      this._start = start;
      this._callback = callback;
      this._delay = delay;
      this._args = args;
      this._ref = true;
      this._id = start(callback, delay, ...args);
    }
    ref() { this._ref = true; return this; }
    unref() { this._ref = false; return this; }
    hasRef() { return this._ref; }
    refresh() {
      browserClearTimeout(this._id);
      this._id = this._start(this._callback, this._delay, ...this._args);
      return this;
    }
    close() { browserClearTimeout(this._id); return this; }
    [Symbol.toPrimitive]() { return this._id; }
  }

  const idOf = (timer) => (timer instanceof Timeout ? timer._id : timer);

  function checkCallback(callback) {
    if (typeof callback !== 'function') {
      throw new TypeError('The "callback" argument must be of type function. Received ' +
        (callback === null ? 'null' : 'type ' + typeof callback));
    }
  }

  // Immediates run in order, each in a task of its own after the current one, as
  // Node runs them after I/O: a MessageChannel message, never clamped like a
  // nested setTimeout(0).
  const immediates = [];
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    const immediate = immediates.shift();
    if (immediate !== undefined && !immediate._cleared) {
      immediate._callback(...immediate._args);
    }
  };
  class Immediate {
    constructor(callback, args) {
      this._callback = callback;
      this._args = args;
      this._cleared = false;
    }
    ref() { return this; }
    unref() { return this; }
    hasRef() { return true; }
  }

  return {
    setTimeout(callback, delay, ...args) {
      checkCallback(callback);
      return new Timeout(browserSetTimeout, callback, delay, args);
    },
    clearTimeout(timer) {
      browserClearTimeout(idOf(timer));
    },
    setInterval(callback, delay, ...args) {
      checkCallback(callback);
      return new Timeout(browserSetInterval, callback, delay, args);
    },
    clearInterval(timer) {
      browserClearInterval(idOf(timer));
    },
    setImmediate(callback, ...args) {
      checkCallback(callback);
      const immediate = new Immediate(callback, args);
      immediates.push(immediate);
      channel.port2.postMessage(null);
      return immediate;
    },
    clearImmediate(immediate) {
      if (immediate instanceof Immediate) {
        immediate._cleared = true;
      }
    },
  };
}
