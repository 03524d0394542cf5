// One end of the synchronous bridge between the preload's isolated world and the
// page's main world.
//
// The two worlds share the DOM but no JavaScript objects. Each end holds the same
// detached DOM node, which no page script can reach, and talks by dispatching
// CustomEvents on it whose detail is JSON text: strings cross worlds unchanged,
// objects would not. Dispatch is synchronous, so a call's answer is left in an
// attribute of the node before dispatchEvent returns.
//
// Built-ins are captured when the endpoint is created, before any page script has
// run, so a page that later replaces JSON, Map, Promise or EventTarget methods
// cannot redirect or read the bridge.

/* exported voltaicBridgeEndpoint, voltaicFormatConsole, voltaicTakeBridgeNode */

// The DOM node both halves of the bridge share. Each world's half calls this at
// document start, in whichever order WebKit runs them: the first creates the node
// and puts it in the document, the second finds it and takes it out again, all
// before the page's first script. `found` says which of the two this was.
function voltaicTakeBridgeNode() {
  'use strict';
  const MARK = 'data-voltaic-bridge';
  const found = document.querySelector('[' + MARK + ']');
  if (found !== null) {
    found.remove();
    found.removeAttribute(MARK);
    return { node: found, found: true };
  }
  const node = document.createElement('voltaic-bridge');
  node.setAttribute(MARK, '');
  (document.documentElement || document).appendChild(node);
  return { node, found: false };
}

function voltaicBridgeEndpoint(node, outType, inType) {
  'use strict';
  const apply = Reflect.apply;
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const keysOf = Object.keys;
  const defineProperty = Object.defineProperty;
  const isArray = Array.isArray;
  const MapCtor = Map;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapDelete = Map.prototype.delete;
  const PromiseCtor = Promise;
  const promiseThen = Promise.prototype.then;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const DateCtor = Date;
  const dateGetTime = Date.prototype.getTime;
  const BigIntCtor = BigInt;
  const NumberCtor = Number;
  const StringCtor = String;
  const CustomEventCtor = CustomEvent;
  const detailOf = Object.getOwnPropertyDescriptor(CustomEvent.prototype, 'detail').get;
  const dispatchEvent = EventTarget.prototype.dispatchEvent;
  const addEventListener = EventTarget.prototype.addEventListener;
  const getAttribute = Element.prototype.getAttribute;
  const setAttribute = Element.prototype.setAttribute;
  const removeAttribute = Element.prototype.removeAttribute;

  const REPLY = 'data-voltaic-reply';
  const MAX_DEPTH = 100;

  // Functions of this world handed to the other one, by id.
  const localFunctions = new MapCtor();
  let nextFunctionId = 1;
  // Promises of the other world, waiting for their 'settle' message, by its id.
  const remotePromises = new MapCtor();
  let nextPromiseId = 1;
  let requestHandler = null;

  function define(target, key, value) {
    defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }

  // JSON text of the bridge's own messages, which hold only what encode() made:
  // written by hand rather than with JSON.stringify, which would call a toJSON that
  // a page may have put on Object.prototype or Array.prototype.
  function toJson(value) {
    if (value === null || typeof value !== 'object') {
      return value === undefined ? 'null' : stringify(value);
    }
    let text;
    if (isArray(value)) {
      text = '[';
      for (let i = 0; i < value.length; i++) {
        text += (i === 0 ? '' : ',') + toJson(value[i]);
      }
      return text + ']';
    }
    text = '{';
    const keys = keysOf(value);
    let first = true;
    for (let i = 0; i < keys.length; i++) {
      if (value[keys[i]] !== undefined) {
        text += (first ? '' : ',') + stringify(keys[i]) + ':' + toJson(value[keys[i]]);
        first = false;
      }
    }
    return text + '}';
  }

  function post(message) {
    apply(removeAttribute, node, [REPLY]);
    apply(dispatchEvent, node, [new CustomEventCtor(outType, { detail: toJson(message) })]);
    const reply = apply(getAttribute, node, [REPLY]);
    apply(removeAttribute, node, [REPLY]);
    return reply === null ? undefined : parse(reply);
  }

  // Sends a message that expects an answer; returns the decoded value or throws the
  // other side's error in this world.
  function request(message) {
    const reply = post(message);
    if (reply === undefined) {
      throw new ErrorCtor('The other side of the context bridge did not answer');
    }
    if (keysOf(reply)[0] === 'err') {
      throw decodeError(reply.err);
    }
    return decode(reply.ok);
  }

  function encodeError(error) {
    if (error instanceof ErrorCtor) {
      return { name: StringCtor(error.name), message: StringCtor(error.message) };
    }
    return { name: 'Error', message: StringCtor(error) };
  }

  function decodeError(body) {
    const error = new ErrorCtor(body.message);
    if (body.name !== 'Error') {
      define(error, 'name', body.name);
    }
    return error;
  }

  function encode(value, ancestors) {
    switch (typeof value) {
      case 'undefined':
        return { u: 1 };
      case 'boolean':
      case 'string':
        return value;
      case 'number':
        if (value !== value || value === Infinity || value === -Infinity) {
          return { n: StringCtor(value) };
        }
        return value === 0 && 1 / value < 0 ? { n: '-0' } : value;
      case 'bigint':
        return { b: StringCtor(value) };
      case 'function': {
        const id = nextFunctionId++;
        apply(mapSet, localFunctions, [id, value]);
        return { f: id };
      }
      case 'symbol':
        throw new TypeErrorCtor('An object could not be cloned: a Symbol cannot cross the context bridge');
      default:
        break;
    }
    if (value === null) {
      return null;
    }
    for (let i = 0; i < ancestors.length; i++) {
      if (ancestors[i] === value) {
        throw new TypeErrorCtor('An object could not be cloned: it contains a cycle');
      }
    }
    if (ancestors.length >= MAX_DEPTH) {
      throw new TypeErrorCtor('An object could not be cloned: nested more than ' + MAX_DEPTH + ' levels deep');
    }
    if (value instanceof PromiseCtor) {
      const id = nextPromiseId++;
      apply(promiseThen, value, [
        (result) => {
          let encoded;
          try {
            encoded = { ok: true, value: encode(result, []) };
          } catch (error) {
            encoded = { ok: false, value: encodeError(error) };
          }
          post({ op: 'settle', p: id, ok: encoded.ok, value: encoded.value });
        },
        (error) => post({ op: 'settle', p: id, ok: false, value: encodeError(error) }),
      ]);
      return { p: id };
    }
    if (value instanceof ErrorCtor) {
      return { e: encodeError(value) };
    }
    if (value instanceof DateCtor) {
      return { d: apply(dateGetTime, value, []) };
    }
    // Built with defineProperty, as every array and object here: plain assignment
    // would run setters a page may have put on Array.prototype or Object.prototype.
    const inner = [];
    for (let i = 0; i < ancestors.length; i++) {
      define(inner, i, ancestors[i]);
    }
    define(inner, ancestors.length, value);
    if (isArray(value)) {
      const out = [];
      for (let i = 0; i < value.length; i++) {
        define(out, i, encode(value[i], inner));
      }
      return { a: out };
    }
    const out = {};
    const keys = keysOf(value);
    for (let i = 0; i < keys.length; i++) {
      define(out, keys[i], encode(value[keys[i]], inner));
    }
    return { o: out };
  }

  function remoteFunction(id) {
    return function voltaicBridgedFunction(...args) {
      const encoded = [];
      for (let i = 0; i < args.length; i++) {
        define(encoded, i, encode(args[i], []));
      }
      return request({ op: 'call', fn: id, args: encoded });
    };
  }

  function decode(value) {
    if (value === null || typeof value !== 'object') {
      return value;
    }
    const tag = keysOf(value)[0];
    const body = value[tag];
    switch (tag) {
      case 'u':
        return undefined;
      case 'n':
        return body === '-0' ? -0 : NumberCtor(body);
      case 'b':
        return BigIntCtor(body);
      case 'd':
        return new DateCtor(body);
      case 'e':
        return decodeError(body);
      case 'f':
        return remoteFunction(body);
      case 'p':
        return new PromiseCtor((resolve, reject) => {
          apply(mapSet, remotePromises, [body, { resolve, reject }]);
        });
      case 'a': {
        const out = [];
        for (let i = 0; i < body.length; i++) {
          define(out, i, decode(body[i]));
        }
        return out;
      }
      case 'o': {
        const out = {};
        const keys = keysOf(body);
        for (let i = 0; i < keys.length; i++) {
          define(out, keys[i], decode(body[keys[i]]));
        }
        return out;
      }
      default:
        throw new TypeErrorCtor('Malformed value on the context bridge');
    }
  }

  function handle(message) {
    switch (message.op) {
      case 'call': {
        const fn = apply(mapGet, localFunctions, [message.fn]);
        if (typeof fn !== 'function') {
          throw new ErrorCtor('This bridged function is no longer available');
        }
        const args = [];
        for (let i = 0; i < message.args.length; i++) {
          define(args, i, decode(message.args[i]));
        }
        return encode(apply(fn, undefined, args), []);
      }
      case 'settle': {
        const waiting = apply(mapGet, remotePromises, [message.p]);
        if (waiting !== undefined) {
          apply(mapDelete, remotePromises, [message.p]);
          if (message.ok) {
            waiting.resolve(decode(message.value));
          } else {
            waiting.reject(decodeError(message.value));
          }
        }
        return undefined;
      }
      default:
        if (requestHandler === null) {
          throw new ErrorCtor('Unknown context bridge request');
        }
        return requestHandler(message);
    }
  }

  apply(addEventListener, node, [inType, (event) => {
    let reply;
    try {
      reply = { ok: handle(parse(apply(detailOf, event, []))) };
    } catch (error) {
      reply = { err: encodeError(error) };
    }
    apply(setAttribute, node, [REPLY, toJson(reply)]);
  }]);

  return {
    /** Sends a request; returns the other side's decoded answer or throws its error. */
    request,
    /** Sends a message whose answer is not needed. */
    notify: post,
    /** Encodes a value of this world for the other one. */
    encode: (value) => encode(value, []),
    /** Decodes a value sent by the other world. */
    decode,
    /** Sets the handler for requests other than calls and settlements. */
    onRequest(handler) {
      requestHandler = handler;
    },
  };
}

// Makes the function that formats console arguments the way a log line shows
// them. Built-ins are captured when it is made, at document start: the page world's
// copy must keep working after the page replaces JSON, String or Array methods.
function voltaicFormatConsole() {
  'use strict';
  const stringify = JSON.stringify;
  const StringCtor = String;
  const ErrorCtor = Error;
  return function format(args) {
    let line = '';
    for (let i = 0; i < args.length; i++) {
      const value = args[i];
      let part;
      if (typeof value === 'string') {
        part = value;
      } else if (value instanceof ErrorCtor) {
        part = StringCtor(value.name) + ': ' + StringCtor(value.message);
      } else if (typeof value === 'function') {
        part = '[Function ' + (value.name || 'anonymous') + ']';
      } else if (typeof value === 'object' && value !== null) {
        try {
          part = stringify(value);
        } catch (_) {
          part = '[object]';
        }
      } else {
        try {
          part = StringCtor(value);
        } catch (_) {
          part = typeof value;
        }
      }
      line = i === 0 ? line + part : line + ' ' + part;
    }
    return line;
  };
}
