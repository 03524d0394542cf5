// The page-world half of contextBridge: a user script of the page's own world, run
// at document start before any page script (and exempt from the page's CSP). It
// shares one DOM node with the preload world's half (see voltaicTakeBridgeNode);
// the node is detached before any page script runs, so the page can never find it:
// the page world gets the exposed APIs and nothing else.

/* exported voltaicPageWorld */

function voltaicPageWorld(createEndpoint, formatConsole, taken, portWatch) {
  'use strict';
  const apply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const freeze = Object.freeze;
  const isFrozen = Object.isFrozen;
  const isView = ArrayBuffer.isView;
  const keysOf = Object.keys;
  const hasOwn = Object.prototype.hasOwnProperty;
  const addEventListener = EventTarget.prototype.addEventListener;
  const ErrorCtor = Error;
  const FunctionCtor = Function;
  const EvalErrorCtor = EvalError;
  const isArray = Array.isArray;
  const MapCtor = Map;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const pageWindow = window;
  const pageConsole = console;

  const bridge = createEndpoint(taken.node, 'voltaic:to-preload', 'voltaic:to-page');
  // Ports the preload hands this world get Electron's close event here too.
  portWatch.install(false);

  // Typed arrays and DataViews stay as they are: their elements cannot be frozen
  // (freezing one throws), and Electron leaves them writable copies too.
  function deepFreeze(value) {
    if (((typeof value === 'object' && value !== null) || typeof value === 'function') && !isView(value)) {
      if (!isFrozen(value)) {
        freeze(value);
        const keys = keysOf(value);
        for (let i = 0; i < keys.length; i++) {
          deepFreeze(value[keys[i]]);
        }
      }
    }
    return value;
  }

  // contextBridge.executeInMainWorld: the function's source, compiled here. WebKit
  // compiles it under the page's Content-Security-Policy, which may forbid it.
  function execute(message) {
    let func;
    try {
      func = FunctionCtor('return (' + message.source + '\n);')();
    } catch (error) {
      if (error instanceof EvalErrorCtor) {
        throw new ErrorCtor('contextBridge.executeInMainWorld: the page\'s Content-Security-Policy ' +
          'does not allow \'unsafe-eval\', and WebKit compiles the function in the page\'s world under it');
      }
      throw error;
    }
    const args = bridge.decode(message.args);
    if (!isArray(args) || typeof func !== 'function') {
      throw new ErrorCtor('contextBridge.executeInMainWorld: malformed request');
    }
    return bridge.answer(apply(func, undefined, args));
  }

  // Live values of the APIs declared in Rust: each is a getter of a value kept here,
  // in the page's world, so a read is a local property read; the main process
  // replaces the value through the bridge.
  const liveStores = new MapCtor();
  function makeLive(key, api, names, mutable) {
    const store = { mutable, cells: new MapCtor() };
    for (let i = 0; i < names.length; i++) {
      // One cell per value, read by its getter directly: no lookup on a read.
      const cell = { value: mutable ? api[names[i]] : deepFreeze(api[names[i]]) };
      apply(mapSet, store.cells, [names[i], cell]);
      defineProperty(api, names[i], {
        get: () => cell.value,
        enumerable: true,
        configurable: false,
      });
    }
    apply(mapSet, liveStores, [key, store]);
  }
  function updateLive(message) {
    const store = apply(mapGet, liveStores, [message.key]);
    const cell = store === undefined ? undefined : apply(mapGet, store.cells, [message.name]);
    if (cell === undefined) {
      throw new ErrorCtor('Unknown live value');
    }
    const value = bridge.decode(message.value);
    cell.value = store.mutable ? value : deepFreeze(value);
    return null;
  }

  bridge.onRequest((message) => {
    if (message.op === 'ports') {
      portWatch.arriving(message.count, message.linked);
      return null;
    }
    if (message.op === 'execute') {
      return execute(message);
    }
    if (message.op === 'live') {
      return updateLive(message);
    }
    if (message.op !== 'expose') {
      throw new ErrorCtor('Unknown context bridge request');
    }
    if (apply(hasOwn, pageWindow, [message.key]) || message.key in pageWindow) {
      throw new ErrorCtor('Cannot bind an API on top of an existing property on the window object');
    }
    // ContextBridgeMutability leaves what the page gets as changeable as its own.
    const mutable = message.mutable === true;
    const value = bridge.decode(message.value);
    if (isArray(message.live) && message.live.length > 0) {
      makeLive(message.key, value, message.live, mutable);
    }
    defineProperty(pageWindow, message.key, {
      value: mutable ? value : deepFreeze(value),
      enumerable: true,
      writable: mutable,
      configurable: mutable,
    });
    return null;
  });

  if (taken.found) {
    // The preload world ran first: tell it that exposeInMainWorld can go through.
    bridge.request({ op: 'hello' });
  }

  function forward(level, args) {
    try {
      bridge.notify({ op: 'console', level, text: formatConsole(args) });
    } catch (_) {
      // Logging must never break the page.
    }
  }

  const levels = ['debug', 'log', 'info', 'warn', 'error'];
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    const original = pageConsole[level];
    pageConsole[level] = function (...args) {
      apply(original, pageConsole, args);
      forward(level, args);
    };
  }

  apply(addEventListener, pageWindow, ['error', (event) => {
    forward('error', ['Uncaught ' + event.message + ' (' + event.filename + ':' + event.lineno + ':' + event.colno + ')']);
  }]);
  apply(addEventListener, pageWindow, ['unhandledrejection', (event) => {
    forward('error', ['Uncaught (in promise)', event.reason]);
  }]);
}
