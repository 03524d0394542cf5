// require('events') in a preload: Node's EventEmitter, with its method set and
// semantics (newListener/removeListener events, once wrappers, prepend, max-listener
// warnings, an unhandled 'error' thrown). ipcRenderer and process are EventEmitters.
//
// An emitter's listeners live in a WeakMap rather than on the object, so that no
// bookkeeping property shows up in Object.keys or crosses the context bridge.

/* exported voltaicEvents */

function voltaicEvents(warn) {
  'use strict';
  const states = new WeakMap();
  const ownKeys = Reflect.ownKeys;
  const apply = Reflect.apply;
  const errorMonitor = Symbol('events.errorMonitor');

  function state(emitter) {
    let s = states.get(emitter);
    if (s === undefined) {
      s = { events: new Map(), max: undefined, warned: new Set() };
      states.set(emitter, s);
    }
    return s;
  }

  // How Node names a value in its errors: 'text', type number (5), an instance of X.
  function inspect(value) {
    return typeof value === 'string' ? "'" + value + "'" : String(value);
  }

  function received(value) {
    if (value === null || value === undefined) {
      return String(value);
    }
    if (typeof value === 'object' || typeof value === 'function') {
      const ctor = value.constructor;
      return 'an instance of ' + (ctor && ctor.name ? ctor.name : 'Object');
    }
    return 'type ' + typeof value + ' (' + inspect(value) + ')';
  }

  function checkListener(listener) {
    if (typeof listener !== 'function') {
      throw new TypeError('The "listener" argument must be of type function. Received ' + received(listener));
    }
  }

  // Callable without `new` too, for util.inherits-style subclasses.
  function EventEmitter(options) {
    if (!(this instanceof EventEmitter)) {
      return new EventEmitter(options);
    }
    state(this);
  }

  EventEmitter.defaultMaxListeners = 10;
  EventEmitter.errorMonitor = errorMonitor;

  function addListener(emitter, name, listener, prepend) {
    checkListener(listener);
    const s = state(emitter);
    if (s.events.has('newListener')) {
      emitter.emit('newListener', name, listener.listener ? listener.listener : listener);
    }
    let list = s.events.get(name);
    if (list === undefined) {
      list = [];
      s.events.set(name, list);
    }
    if (prepend) {
      list.unshift(listener);
    } else {
      list.push(listener);
    }
    const max = emitter.getMaxListeners();
    if (max > 0 && list.length > max && !s.warned.has(name)) {
      s.warned.add(name);
      warn('MaxListenersExceededWarning: Possible EventEmitter memory leak detected. ' +
        list.length + ' ' + String(name) + ' listeners added to ' + describe(emitter) +
        '. MaxListeners is ' + max + '. Use emitter.setMaxListeners() to increase limit');
    }
    return emitter;
  }

  function describe(emitter) {
    const ctor = emitter && emitter.constructor;
    return '[' + (ctor && ctor.name ? ctor.name : 'EventEmitter') + ']';
  }

  function onceWrapper(emitter, name, listener) {
    let fired = false;
    const wrapper = function (...args) {
      if (fired) {
        return undefined;
      }
      fired = true;
      emitter.removeListener(name, wrapper);
      return apply(listener, this, args);
    };
    wrapper.listener = listener;
    return wrapper;
  }

  const methods = {
    on(name, listener) {
      return addListener(this, name, listener, false);
    },
    addListener(name, listener) {
      return addListener(this, name, listener, false);
    },
    prependListener(name, listener) {
      return addListener(this, name, listener, true);
    },
    once(name, listener) {
      checkListener(listener);
      return addListener(this, name, onceWrapper(this, name, listener), false);
    },
    prependOnceListener(name, listener) {
      checkListener(listener);
      return addListener(this, name, onceWrapper(this, name, listener), true);
    },
    removeListener(name, listener) {
      checkListener(listener);
      const s = state(this);
      const list = s.events.get(name);
      if (list === undefined) {
        return this;
      }
      // The most recently added match goes, as in Node.
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i] === listener || list[i].listener === listener) {
          const removed = list[i];
          list.splice(i, 1);
          if (list.length === 0) {
            s.events.delete(name);
          }
          if (s.events.has('removeListener')) {
            this.emit('removeListener', name, removed.listener || removed);
          }
          break;
        }
      }
      return this;
    },
    off(name, listener) {
      return this.removeListener(name, listener);
    },
    removeAllListeners(name) {
      const s = state(this);
      const all = arguments.length === 0 || name === undefined;
      if (!s.events.has('removeListener')) {
        if (all) {
          s.events.clear();
        } else {
          s.events.delete(name);
        }
        return this;
      }
      // Each removal is announced, 'removeListener' listeners last.
      const names = all ? this.eventNames().filter((n) => n !== 'removeListener') : [name];
      for (const n of names) {
        const list = s.events.get(n);
        for (let i = list === undefined ? -1 : list.length - 1; i >= 0; i--) {
          this.removeListener(n, list[i]);
        }
      }
      if (all) {
        s.events.delete('removeListener');
      }
      return this;
    },
    emit(name, ...args) {
      const s = state(this);
      if (name === 'error' && s.events.has(errorMonitor)) {
        this.emit(errorMonitor, ...args);
      }
      const list = s.events.get(name);
      if (list === undefined) {
        if (name === 'error') {
          const error = args[0];
          if (error instanceof Error) {
            throw error;
          }
          const unhandled = new Error('Unhandled error. (' + inspect(error) + ')');
          unhandled.context = error;
          throw unhandled;
        }
        return false;
      }
      const snapshot = list.slice();
      for (let i = 0; i < snapshot.length; i++) {
        apply(snapshot[i], this, args);
      }
      return true;
    },
    listeners(name) {
      const list = state(this).events.get(name);
      return list === undefined ? [] : list.map((l) => l.listener || l);
    },
    rawListeners(name) {
      const list = state(this).events.get(name);
      return list === undefined ? [] : list.slice();
    },
    listenerCount(name, listener) {
      const list = state(this).events.get(name);
      if (list === undefined) {
        return 0;
      }
      if (listener === undefined) {
        return list.length;
      }
      return list.filter((l) => l === listener || l.listener === listener).length;
    },
    eventNames() {
      return Array.from(state(this).events.keys());
    },
    setMaxListeners(n) {
      if (typeof n !== 'number' || n < 0 || n !== n) {
        throw new RangeError('The value of "n" is out of range. It must be a non-negative number. Received ' + String(n));
      }
      state(this).max = n;
      return this;
    },
    getMaxListeners() {
      const max = state(this).max;
      return max === undefined ? EventEmitter.defaultMaxListeners : max;
    },
  };
  for (const key of ownKeys(methods)) {
    Object.defineProperty(EventEmitter.prototype, key, {
      value: methods[key], writable: true, configurable: true, enumerable: false,
    });
  }

  // events.once(emitter, name): a promise of the next emission's arguments, rejected
  // by an 'error' emitted first.
  EventEmitter.once = function once(emitter, name) {
    return new Promise((resolve, reject) => {
      const onError = (error) => {
        emitter.removeListener(name, onEvent);
        reject(error);
      };
      const onEvent = (...args) => {
        if (name !== 'error') {
          emitter.removeListener('error', onError);
        }
        resolve(args);
      };
      emitter.once(name, onEvent);
      if (name !== 'error') {
        emitter.once('error', onError);
      }
    });
  };
  EventEmitter.listenerCount = (emitter, name) => emitter.listenerCount(name);
  EventEmitter.getEventListeners = (emitter, name) => emitter.listeners(name);
  EventEmitter.setMaxListeners = (n, ...emitters) => {
    if (emitters.length === 0) {
      EventEmitter.defaultMaxListeners = n;
    }
    for (const emitter of emitters) {
      emitter.setMaxListeners(n);
    }
  };
  // The module is the constructor, with itself as a named export, as in Node.
  EventEmitter.EventEmitter = EventEmitter;
  return EventEmitter;
}
