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

// The DOM node both halves of a bridge share. Each world's half calls this at
// document start, in whichever order WebKit runs them: the first creates the node
// and puts it in the document, the second finds it and takes it out again, all
// before the page's first script. `found` says which of the two this was. `world`
// names the bridge: '' for the page's world, the id of an isolated world otherwise.
//
// The node itself lives in a shadow tree of the marked element: WebKit sets no
// window.event for an event whose target is in a shadow tree, so a page function
// the bridge calls from inside its listener cannot reach the node through it.
//
// Where the document has no element yet (Chromium runs document-start scripts
// before the parser makes <html>), the marked elements wait in a holder element
// of their own, which goes with the last of them, so that the parser finds the
// document empty. Each marked element is a child of the holder, never of another
// marked element, so taking one never takes another with it.
function voltaicTakeBridgeNode(world) {
  'use strict';
  const MARK = world ? 'data-voltaic-bridge-' + world : 'data-voltaic-bridge';
  const HOLDER = 'data-voltaic-bridges';
  const found = document.querySelector('[' + MARK + ']');
  if (found !== null) {
    const holder = found.parentNode;
    found.remove();
    found.removeAttribute(MARK);
    if (holder !== null && holder.nodeType === 1 && holder.hasAttribute(HOLDER) && holder.firstChild === null) {
      holder.remove();
    }
    return { node: found.shadowRoot.firstChild, found: true };
  }
  const host = document.createElement('voltaic-bridge');
  const node = host.attachShadow({ mode: 'open' }).appendChild(document.createElement('div'));
  host.setAttribute(MARK, '');
  let holder = document.documentElement;
  if (holder === null) {
    holder = document.createElement('voltaic-bridges');
    holder.setAttribute(HOLDER, '');
    document.appendChild(holder);
  }
  holder.appendChild(host);
  return { node, found: false };
}

function voltaicBridgeEndpoint(node, outType, inType) {
  'use strict';
  const apply = Reflect.apply;
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const keysOf = Object.keys;
  const symbolsOf = Object.getOwnPropertySymbols;
  const isEnumerable = Object.prototype.propertyIsEnumerable;
  const hasOwn = Object.prototype.hasOwnProperty;
  const getPrototypeOf = Object.getPrototypeOf;
  const ObjectPrototype = Object.prototype;
  const defineProperty = Object.defineProperty;
  const isArray = Array.isArray;
  const MapCtor = Map;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapDelete = Map.prototype.delete;
  const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size').get;
  const WeakMapCtor = WeakMap;
  const weakMapGet = WeakMap.prototype.get;
  const weakMapSet = WeakMap.prototype.set;
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
  // The node's own methods, bound once: a bound call is cheaper than Reflect.apply,
  // and a page can no more reach into it.
  const bind = Function.prototype.bind;
  const dispatchOnNode = apply(bind, dispatchEvent, [node]);
  const setAttribute = apply(bind, Element.prototype.setAttribute, [node]);
  const getAttribute = apply(bind, Element.prototype.getAttribute, [node]);
  const removeAttribute = apply(bind, Element.prototype.removeAttribute, [node]);
  const ownerDocument = document;
  const createEvent = Document.prototype.createEvent;
  const initCustomEvent = CustomEvent.prototype.initCustomEvent;
  const queueMicrotaskFn = queueMicrotask;
  const addEventListener = EventTarget.prototype.addEventListener;

  const ArrayBufferCtor = ArrayBuffer;
  const isView = ArrayBuffer.isView;
  const bufferSlice = ArrayBuffer.prototype.slice;
  const RegExpCtor = RegExp;
  const SetCtor = Set;
  const setAdd = Set.prototype.add;
  const setForEach = Set.prototype.forEach;
  const mapForEach = Map.prototype.forEach;
  const typedConstructors = Object.assign(Object.create(null), {
    Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
    Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
  });
  const typedNames = keysOf(typedConstructors);
  const SymbolCtor = Symbol;
  const symbolFor = Symbol.for;
  const symbolKeyFor = Symbol.keyFor;
  const symbolValueOf = Symbol.prototype.valueOf;
  const symbolDescription = Object.getOwnPropertyDescriptor(Symbol.prototype, 'description').get;
  // One VM runs both worlds, so these are the same values on both sides.
  const wellKnownSymbols = ['asyncIterator', 'hasInstance', 'isConcatSpreadable', 'iterator', 'match',
    'matchAll', 'replace', 'search', 'species', 'split', 'toPrimitive', 'toStringTag', 'unscopables'];
  // The worlds share the DOM: a node crosses as itself, each world seeing it through
  // its own wrapper, handed over as the relatedTarget of an event (see sendNodes).
  const NodeCtor = Node;
  const MouseEventCtor = MouseEvent;
  const relatedTargetOf = Object.getOwnPropertyDescriptor(MouseEvent.prototype, 'relatedTarget').get;
  // Host objects the structured clone copies: they ride with the bytes.
  const cloneables = [Blob, ImageData];
  if (typeof VideoFrame === 'function') {
    cloneables[cloneables.length] = VideoFrame;
  }
  const FinalizationRegistryCtor = FinalizationRegistry;
  const register = FinalizationRegistry.prototype.register;
  const REPLY_EVENT = outType + ':reply';
  // A reply of text alone is left on the shared node, where the asking side reads it
  // as soon as its dispatch returns: cheaper than a second event. Calls nest strictly
  // (an answer is read before the call that made it returns), so one attribute serves
  // every call in both directions.
  const REPLY_ATTRIBUTE = 'data-reply';
  const INCOMING_REPLY = inType + ':reply';
  const NODE_EVENT = outType + ':node';
  const INCOMING_NODE = inType + ':node';
  // Electron's limit and text: 999 levels of nesting cross, 1000 do not.
  const MAX_DEPTH = 1000;
  const DEPTH_ERROR = 'Electron contextBridge recursion depth exceeded.  Nested objects deeper than 1000 are not supported.';

  // Functions of this world handed to the other one, by id. Each id has exactly one
  // proxy over there; when that proxy is garbage collected, the other side says
  // 'release' and the function is let go here too.
  const localFunctions = new MapCtor();
  let nextFunctionId = 1;
  // Called by the garbage collector, in a task of its own, never inside a post.
  const proxiesGone = new FinalizationRegistryCtor((id) => {
    post({ op: 'release', fn: id }, undefined, true);
  });
  // The id of each proxy this side made of a function of the other world: a proxy
  // sent back is sent as that id, and the other side hands its own function over
  // again rather than a proxy of a proxy.
  const proxyIds = new WeakMapCtor();
  // Promises of the other world, waiting for their 'settle' message, by its id.
  const remotePromises = new MapCtor();
  let nextPromiseId = 1;
  // Symbols cannot cross, so each side stands in for the other's: a symbol of this
  // world crosses as an id, the other side makes one symbol per id and sends that one
  // back as the id again. Symbol equality and symbol-keyed lookups hold both ways.
  // Symbols are never collected from these maps: a page makes few.
  const ownSymbolIds = new MapCtor();
  const ownSymbols = new MapCtor();
  const standInIds = new MapCtor();
  const standIns = new MapCtor();
  let nextSymbolId = 1;
  let requestHandler = null;

  function define(target, key, value) {
    defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }

  // Thrown when a function's return value could not be encoded, to tell that from an
  // error the function threw: Electron reports the two differently.
  function ReturnError(error) {
    define(this, 'error', error);
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

  // Bytes cross as ArrayBuffers in the event's detail, which WebKit structured-clones
  // from one world to the other; the JSON refers to them by index. `outgoing` holds
  // the buffers encode() met for the message being built, `incoming` those of the
  // message being decoded.
  // The empty list of a message without bytes or nodes, never written to: the lists
  // are made when a first buffer or node is met.
  const NONE = Object.freeze([]);
  let outgoing = NONE;
  let incoming = [];
  let lastReply = null;
  // DOM nodes go the same way, as `outgoingNodes` and `incomingNodes`; `arriving`
  // collects those sent ahead of the message that refers to them.
  let outgoingNodes = NONE;
  let incomingNodes = [];
  let arriving = [];

  // Sends the nodes of the message about to go, each as the relatedTarget of an
  // event on the bridge's node: WebKit gives the listener its own world's wrapper.
  // The bridge's node is detached, so no page listener is on the event's path.
  function sendNodes() {
    const nodes = outgoingNodes;
    outgoingNodes = NONE;
    for (let i = 0; i < nodes.length; i++) {
      dispatchOnNode(new MouseEventCtor(NODE_EVENT, { relatedTarget: nodes[i] }));
    }
  }

  function takeArrived() {
    if (arriving.length === 0) {
      return NONE;
    }
    const nodes = arriving;
    arriving = [];
    return nodes;
  }

  function detailFor(message) {
    const buffers = outgoing;
    outgoing = NONE;
    const json = toJson(message);
    sendNodes();
    return buffers.length === 0 ? json : { json, buffers };
  }

  function read(detail) {
    if (typeof detail === 'string') {
      return { message: parse(detail), buffers: NONE };
    }
    return { message: parse(detail.json), buffers: detail.buffers };
  }

  // One event per level of nesting, re-initialized for each message rather than
  // made anew (cheaper by half): a call made while the other side handles this
  // one's event needs an event of its own, as one being dispatched cannot be
  // re-initialized.
  const events = [];
  let nesting = 0;
  function dispatchMessage(detail) {
    let event;
    // Read only below the length: a missing index would be looked up on
    // Array.prototype, where the page may have put a getter.
    if (nesting < events.length) {
      event = events[nesting];
    } else {
      event = apply(createEvent, ownerDocument, ['CustomEvent']);
      define(events, nesting, event);
    }
    apply(initCustomEvent, event, [outType, false, false, detail]);
    nesting++;
    try {
      dispatchOnNode(event);
    } finally {
      nesting--;
      // A large message is not kept alive by the event that carried it.
      if (typeof detail !== 'string' || detail.length > 1024) {
        apply(initCustomEvent, event, [outType, false, false, null]);
      }
    }
  }

  // Returns the other side's answer, with its buffers in `incoming`. `encoded`, from
  // encodeApart(), carries the bytes and nodes of the message's values. A `quiet`
  // message (a settlement, a release, a log line) gets no answer: nobody waits.
  function post(message, encoded, quiet) {
    if (encoded !== undefined) {
      outgoing = encoded.buffers;
      outgoingNodes = encoded.nodes;
    }
    if (quiet === true) {
      define(message, 'q', 1);
      dispatchMessage(detailFor(message));
      return undefined;
    }
    return postText(detailFor(message));
  }

  // Sends a message already encoded (its JSON text, or text and buffers); returns
  // the other side's answer, with its buffers in `incoming`.
  function postText(detail) {
    lastReply = null;
    dispatchMessage(detail);
    let reply = lastReply;
    lastReply = null;
    if (reply === null) {
      reply = getAttribute(REPLY_ATTRIBUTE);
      if (reply !== null) {
        removeAttribute(REPLY_ATTRIBUTE);
      }
    }
    const nodes = takeArrived();
    if (reply === null) {
      return undefined;
    }
    const answer = read(reply);
    incoming = answer.buffers;
    incomingNodes = nodes;
    return answer.message;
  }

  // Sends a message that expects an answer; returns the decoded value or throws the
  // other side's error in this world.
  function request(message, encoded) {
    return answerOf(post(message, encoded));
  }

  function answerOf(reply) {
    if (reply === undefined) {
      throw new ErrorCtor('The other side of the context bridge did not answer');
    }
    if (apply(hasOwn, reply, ['err'])) {
      throw decodeError(reply.err);
    }
    const value = apply(hasOwn, reply, ['ok']) ? reply.ok : undefined;
    return decodeValue(value);
  }

  // One crossing (an exposed API, a call's arguments, a return value, a settled
  // promise) keeps object identity, as Electron's object cache does: an object met a
  // second time crosses as {c: n}, n counting the objects met before it, which both
  // sides number in the same order (first met, first numbered; a container before
  // what it holds). Shared objects stay shared and cycles survive.
  function encoding() {
    return { seen: null, depth: 0 };
  }

  function decoding() {
    return { objects: [] };
  }

  // A value sent by the other world: a plain one crossed as itself (see isPlain),
  // anything else takes the walk.
  function decodeValue(value) {
    return value !== null && typeof value === 'object' ? decode(value, decoding()) : value;
  }

  // The number of an object already met in this crossing, or -1 after numbering it.
  function seenBefore(value, state) {
    if (state.seen === null) {
      // Most crossings are a few primitives: the map is made for the first object.
      state.seen = new MapCtor();
    }
    const index = apply(mapGet, state.seen, [value]);
    if (index !== undefined) {
      return index;
    }
    apply(mapSet, state.seen, [value, apply(mapSize, state.seen, [])]);
    return -1;
  }

  // Adds `value` at the end of `list` and returns its index. defineProperty, not
  // push: push would run a setter a page put on Array.prototype.
  function append(list, value) {
    define(list, list.length, value);
    return list.length - 1;
  }

  function met(value, state) {
    append(state.objects, value);
    return value;
  }

  // An error crosses as an Error of the receiving world with the same message, as in
  // Electron, whatever its class was; a thrown non-error becomes one.
  function encodeError(error) {
    return { message: error instanceof ErrorCtor ? text(error.message) : text(error) };
  }

  // What crosses when a value could not be sent, Electron's text: the thrown error
  // as an uncaught exception would print it.
  function uncaught(error) {
    const what = error instanceof ErrorCtor ? text(error.name) + ': ' + text(error.message) : text(error);
    return { message: 'Uncaught ' + what };
  }

  // Never throws: what is thrown can be anything, a Symbol or an object whose
  // toString throws included.
  function text(value) {
    try {
      return StringCtor(value);
    } catch (_) {
      return typeof value === 'symbol' ? 'Symbol()' : 'an object that cannot be converted to a string';
    }
  }

  function decodeError(body) {
    return new ErrorCtor(body.message);
  }

  function encodeSymbol(symbol) {
    const key = symbolKeyFor(symbol);
    if (key !== undefined) {
      return { yr: key };
    }
    for (let i = 0; i < wellKnownSymbols.length; i++) {
      if (SymbolCtor[wellKnownSymbols[i]] === symbol) {
        return { yw: wellKnownSymbols[i] };
      }
    }
    const theirs = apply(mapGet, standInIds, [symbol]);
    if (theirs !== undefined) {
      return { yb: theirs };
    }
    let id = apply(mapGet, ownSymbolIds, [symbol]);
    if (id === undefined) {
      id = nextSymbolId++;
      apply(mapSet, ownSymbolIds, [symbol, id]);
      apply(mapSet, ownSymbols, [id, symbol]);
    }
    const description = apply(symbolDescription, symbol, []);
    return { y: [id, description === undefined ? null : description] };
  }

  function decodeSymbol(tag, body) {
    let symbol;
    switch (tag) {
      case 'yr':
        return symbolFor(StringCtor(body));
      case 'yw':
        symbol = wellKnownSymbols.indexOf(body) === -1 ? undefined : SymbolCtor[body];
        break;
      case 'yb':
        symbol = apply(mapGet, ownSymbols, [body]);
        break;
      default:
        symbol = apply(mapGet, standIns, [body[0]]);
        if (symbol === undefined) {
          symbol = body[1] === null ? SymbolCtor() : SymbolCtor(StringCtor(body[1]));
          apply(mapSet, standIns, [body[0], symbol]);
          apply(mapSet, standInIds, [symbol, body[0]]);
        }
    }
    if (typeof symbol !== 'symbol') {
      throw new TypeErrorCtor('Malformed value on the context bridge');
    }
    return symbol;
  }

  // A Symbol wrapper object (Object(Symbol())) has no clone, in Electron as in the
  // structured clone.
  function isBoxedSymbol(value) {
    try {
      apply(symbolValueOf, value, []);
      return true;
    } catch (_) {
      return false;
    }
  }

  function cloneableIndex(value) {
    for (let i = 0; i < cloneables.length; i++) {
      if (value instanceof cloneables[i]) {
        return i;
      }
    }
    return -1;
  }

  // Adds a buffer (or cloneable host object) to the message being built; returns its index.
  function addBuffer(value) {
    if (outgoing === NONE) {
      outgoing = [];
    }
    return append(outgoing, value);
  }

  function encodeBytes(value) {
    if (value instanceof ArrayBufferCtor) {
      return { ab: addBuffer(value) };
    }
    let kind = 'Uint8Array';
    for (let i = 0; i < typedNames.length; i++) {
      if (value instanceof typedConstructors[typedNames[i]]) {
        kind = typedNames[i];
        break;
      }
    }
    // A view of a whole buffer goes as that buffer: the event's structured clone
    // copies it anyway, so the other world never shares it.
    const buffer = value.buffer;
    const start = value.byteOffset;
    const whole = start === 0 && value.byteLength === buffer.byteLength;
    return { ta: [kind, addBuffer(whole ? buffer : apply(bufferSlice, buffer, [start, start + value.byteLength]))] };
  }

  function encode(value, state) {
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
        const index = seenBefore(value, state);
        if (index !== -1) {
          return { c: index };
        }
        const home = apply(weakMapGet, proxyIds, [value]);
        if (home !== undefined) {
          return { l: home };
        }
        const id = nextFunctionId++;
        apply(mapSet, localFunctions, [id, value]);
        return { f: id };
      }
      case 'symbol':
        return encodeSymbol(value);
      default:
        break;
    }
    if (value === null) {
      return null;
    }
    if (value instanceof NodeCtor) {
      if (outgoingNodes === NONE) {
        outgoingNodes = [];
      }
      return { dom: append(outgoingNodes, value) };
    }
    if (state.depth >= MAX_DEPTH) {
      throw new TypeErrorCtor(DEPTH_ERROR);
    }
    const index = seenBefore(value, state);
    if (index !== -1) {
      return { c: index };
    }
    if (value instanceof PromiseCtor) {
      return encodePromise(value);
    }
    if (value instanceof ErrorCtor) {
      return { e: encodeError(value) };
    }
    if (value instanceof DateCtor) {
      const time = apply(dateGetTime, value, []);
      return { d: time === time ? time : 'NaN' };
    }
    if (value instanceof ArrayBufferCtor || isView(value)) {
      return encodeBytes(value);
    }
    if (value instanceof RegExpCtor) {
      return { r: [StringCtor(value.source), StringCtor(value.flags)] };
    }
    if (cloneableIndex(value) !== -1) {
      return { h: addBuffer(value) };
    }
    const proto = getPrototypeOf(value);
    if (proto !== ObjectPrototype && proto !== null && !isArray(value) && isBoxedSymbol(value)) {
      throw new ErrorCtor('An object could not be cloned.');
    }
    state.depth++;
    try {
      return encodeContainer(value, state);
    } finally {
      state.depth--;
    }
  }

  // A promise crosses as an id; its outcome follows in a 'settle' message.
  function encodePromise(value) {
    const id = nextPromiseId++;
    // Both outcomes cross as values, as in Electron: a rejection's reason too (an
    // Error as an Error, anything else as itself).
    const settle = (ok) => (outcome) => {
      if (isPlain(outcome)) {
        // It crosses as itself.
        queueSettle([id, ok, outcome]);
        return;
      }
      let encoded;
      try {
        encoded = encodeApart(outcome);
      } catch (error) {
        queueSettle([id, false, { e: uncaught(error) }]);
        return;
      }
      if (encoded.buffers.length === 0 && encoded.nodes.length === 0) {
        queueSettle([id, ok, encoded.value]);
      } else {
        flushSettles();
        post({ op: 'settle', s: [[id, ok, encoded.value]] }, encoded, true);
      }
    };
    apply(promiseThen, value, [settle(true), settle(false)]);
    return { p: id };
  }

  // Built with defineProperty, as every array and object here: plain assignment
  // would run setters a page may have put on Array.prototype or Object.prototype.
  function encodeContainer(value, state) {
    if (isArray(value)) {
      const out = [];
      for (let i = 0; i < value.length; i++) {
        define(out, i, encode(value[i], state));
      }
      return { a: out };
    }
    if (value instanceof MapCtor) {
      const out = [];
      apply(mapForEach, value, [(v, k) => {
        const pair = [];
        define(pair, 0, encode(k, state));
        define(pair, 1, encode(v, state));
        define(out, out.length, pair);
      }]);
      return { m: out };
    }
    if (value instanceof SetCtor) {
      const out = [];
      apply(setForEach, value, [(v) => {
        define(out, out.length, encode(v, state));
      }]);
      return { s: out };
    }
    const out = {};
    const keys = keysOf(value);
    for (let i = 0; i < keys.length; i++) {
      define(out, keys[i], encode(value[keys[i]], state));
    }
    const symbols = symbolsOf(value);
    if (symbols.length === 0) {
      return { o: out };
    }
    const keyed = [];
    for (let i = 0; i < symbols.length; i++) {
      if (apply(isEnumerable, value, [symbols[i]])) {
        const pair = [];
        define(pair, 0, encodeSymbol(symbols[i]));
        define(pair, 1, encode(value[symbols[i]], state));
        define(keyed, keyed.length, pair);
      }
    }
    return { o: out, k: keyed };
  }

  // Promises that settle together (the answers to many invokes, arriving in one
  // batch) cross together: one message at the end of the current microtask
  // checkpoint, before any task, so each waiting promise still settles in the same
  // turn of the event loop. A settlement that carries bytes or nodes goes alone,
  // after those queued before it.
  let settles = null;
  function queueSettle(entry) {
    if (settles === null) {
      settles = [];
      queueMicrotaskFn(flushSettles);
    }
    append(settles, entry);
  }
  function flushSettles() {
    const list = settles;
    settles = null;
    if (list !== null) {
      post({ op: 'settle', s: list }, undefined, true);
    }
  }

  // Whether a value crosses as itself, its JSON text being all of it: a string, a
  // boolean, null or a finite number other than -0.
  function isPlain(value) {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return true;
      case 'number':
        return value - value === 0 && (value !== 0 || 1 / value > 0);
      default:
        return value === null;
    }
  }

  // The JSON text of a plain value (see isPlain), or null for any other value.
  // JSON.stringify of a primitive never looks up a toJSON a page may have defined.
  function plainText(value) {
    return isPlain(value) ? stringify(value) : null;
  }

  // The message of a call whose arguments all cross as themselves, written straight
  // as text (the same text the walk would make), or null to take the walk. Most
  // calls are of this kind, and each of them crosses twice per invoke.
  function plainCall(id, args) {
    let text = '{"op":"call","fn":' + id + ',"args":{"a":[';
    for (let i = 0; i < args.length; i++) {
      const part = plainText(args[i]);
      if (part === null) {
        return null;
      }
      text += i === 0 ? part : ',' + part;
    }
    return text + ']}}';
  }

  // The arguments of a call that all crossed as themselves (see plainCall), as
  // parsed: nothing to rebuild. Null for any other arguments.
  function plainArguments(args) {
    const list = args !== null && typeof args === 'object' ? args.a : undefined;
    if (!isArray(list)) {
      return null;
    }
    for (let i = 0; i < list.length; i++) {
      if (list[i] !== null && typeof list[i] === 'object') {
        return null;
      }
    }
    return list;
  }

  function remoteFunction(id) {
    const proxy = function voltaicBridgedFunction(...args) {
      const text = plainCall(id, args);
      if (text !== null) {
        return answerOf(postText(text));
      }
      // The arguments' own array is not a level of nesting.
      const encoded = encodeApart(args, -1);
      return request({ op: 'call', fn: id, args: encoded.value }, encoded);
    };
    apply(register, proxiesGone, [proxy, id]);
    apply(weakMapSet, proxyIds, [proxy, id]);
    return proxy;
  }

  function localFunction(id) {
    const fn = apply(mapGet, localFunctions, [id]);
    if (typeof fn !== 'function') {
      throw new ErrorCtor('This bridged function is no longer available');
    }
    return fn;
  }

  // Decodes one value of a crossing; every object is numbered (met) as it is made,
  // before what it holds, in the order encode() numbered them.
  // Encodes what a called function returned, as the answer to the request being
  // handled (its bytes and nodes go with the reply); a value that cannot be encoded
  // is a ReturnError.
  function encodeReturn(value) {
    try {
      // A promise alone is the usual answer of an API that invokes: it needs no
      // numbering of the objects of the crossing.
      return value instanceof PromiseCtor ? encodePromise(value) : encode(value, encoding());
    } catch (error) {
      throw new ReturnError(error);
    }
  }

  // Encodes a value to be sent later with post() or request(): `{ value, buffers,
  // nodes }`. The bytes and nodes it meets are kept apart from any message being
  // built meanwhile (a getter the walk runs may itself call across the bridge).
  function encodeApart(value, depth) {
    const saved = outgoing;
    const savedNodes = outgoingNodes;
    outgoing = NONE;
    outgoingNodes = NONE;
    try {
      const state = encoding();
      if (depth !== undefined) {
        state.depth = depth;
      }
      const encoded = encode(value, state);
      return { value: encoded, buffers: outgoing, nodes: outgoingNodes };
    } finally {
      outgoing = saved;
      outgoingNodes = savedNodes;
    }
  }

  function decode(value, state) {
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
      case 'y':
      case 'yr':
      case 'yw':
      case 'yb':
        return decodeSymbol(tag, body);
      case 'dom':
        if (!(incomingNodes[body] instanceof NodeCtor)) {
          throw new TypeErrorCtor('Malformed value on the context bridge');
        }
        return incomingNodes[body];
      case 'h':
        if (typeof body !== 'number' || cloneableIndex(incoming[body]) === -1) {
          throw new TypeErrorCtor('Malformed value on the context bridge');
        }
        return met(incoming[body], state);
      case 'c':
        if (typeof body !== 'number' || !(body < state.objects.length)) {
          throw new TypeErrorCtor('Malformed value on the context bridge');
        }
        return state.objects[body];
      case 'd':
        return met(new DateCtor(body === 'NaN' ? NaN : body), state);
      case 'r':
        return met(new RegExpCtor(body[0], body[1]), state);
      case 'ab':
        return met(incoming[body], state);
      case 'ta': {
        const Ctor = typedConstructors[body[0]];
        if (Ctor === undefined || !(incoming[body[1]] instanceof ArrayBufferCtor)) {
          throw new TypeErrorCtor('Malformed value on the context bridge');
        }
        return met(new Ctor(incoming[body[1]]), state);
      }
      case 'm': {
        const out = met(new MapCtor(), state);
        for (let i = 0; i < body.length; i++) {
          const key = decode(body[i][0], state);
          apply(mapSet, out, [key, decode(body[i][1], state)]);
        }
        return out;
      }
      case 's': {
        const out = met(new SetCtor(), state);
        for (let i = 0; i < body.length; i++) {
          apply(setAdd, out, [decode(body[i], state)]);
        }
        return out;
      }
      case 'e':
        return met(decodeError(body), state);
      case 'f':
        return met(remoteFunction(body), state);
      case 'l':
        return met(localFunction(body), state);
      case 'p':
        return met(new PromiseCtor((resolve, reject) => {
          apply(mapSet, remotePromises, [body, { resolve, reject }]);
        }), state);
      case 'a': {
        const out = met([], state);
        for (let i = 0; i < body.length; i++) {
          define(out, i, decode(body[i], state));
        }
        return out;
      }
      case 'o': {
        const out = met({}, state);
        const keys = keysOf(body);
        for (let i = 0; i < keys.length; i++) {
          define(out, keys[i], decode(body[keys[i]], state));
        }
        const keyed = value.k;
        if (keyed !== undefined) {
          for (let i = 0; i < keyed.length; i++) {
            const key = decode(keyed[i][0], state);
            if (typeof key !== 'symbol') {
              throw new TypeErrorCtor('Malformed value on the context bridge');
            }
            define(out, key, decode(keyed[i][1], state));
          }
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
        const fn = localFunction(message.fn);
        const args = plainArguments(message.args) || decode(message.args, decoding());
        if (!isArray(args)) {
          throw new TypeErrorCtor('Malformed value on the context bridge');
        }
        return encodeReturn(apply(fn, undefined, args));
      }
      case 'release':
        apply(mapDelete, localFunctions, [message.fn]);
        return undefined;
      case 'settle': {
        const list = message.s;
        if (!isArray(list)) {
          throw new TypeErrorCtor('Malformed value on the context bridge');
        }
        for (let i = 0; i < list.length; i++) {
          // Indexed, not destructured: destructuring would run the array
          // iterator, which a page can replace.
          const entry = list[i];
          const waiting = apply(mapGet, remotePromises, [entry[0]]);
          if (waiting !== undefined) {
            apply(mapDelete, remotePromises, [entry[0]]);
            const value = decodeValue(entry[2]);
            (entry[1] ? waiting.resolve : waiting.reject)(value);
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
    let quiet = false;
    const saved = incoming;
    const savedNodes = incomingNodes;
    try {
      incomingNodes = takeArrived();
      const received = read(apply(detailOf, event, []));
      // Own properties only, here as everywhere a message is read: in the page's
      // world, a missing one would be looked up on a prototype the page controls.
      quiet = apply(hasOwn, received.message, ['q']);
      incoming = received.buffers;
      outgoing = NONE;
      outgoingNodes = NONE;
      const result = handle(received.message);
      const text = plainText(result);
      reply = text === null ? { ok: result } : '{"ok":' + text + '}';
    } catch (error) {
      outgoing = NONE;
      outgoingNodes = NONE;
      reply = { err: error instanceof ReturnError ? uncaught(error.error) : encodeError(error) };
    }
    incoming = saved;
    incomingNodes = savedNodes;
    if (quiet) {
      outgoing = NONE;
      outgoingNodes = NONE;
      return;
    }
    // An answer with bytes goes back as an event, whose detail WebKit clones into
    // the other world; dispatch is synchronous, so the asking side has it when its
    // dispatchEvent returns. Text alone waits on the node (see REPLY_ATTRIBUTE).
    const detail = typeof reply === 'string' ? reply : detailFor(reply);
    if (typeof detail === 'string') {
      setAttribute(REPLY_ATTRIBUTE, detail);
    } else {
      dispatchOnNode(new CustomEventCtor(REPLY_EVENT, { detail }));
    }
  }]);
  apply(addEventListener, node, [INCOMING_REPLY, (event) => {
    lastReply = apply(detailOf, event, []);
  }]);
  apply(addEventListener, node, [INCOMING_NODE, (event) => {
    append(arriving, apply(relatedTargetOf, event, []));
  }]);

  return {
    /** Sends a request; returns the other side's decoded answer or throws its error. */
    request,
    /** Sends a message whose answer is not needed; the other side sends none. */
    notify: (message) => post(message, undefined, true),
    /**
     * Encodes a value of this world for the other one, to be sent later with
     * `request(message, encoded)`: returns `{ value, buffers, nodes }`.
     */
    encode: (value) => encodeApart(value),
    /**
     * Encodes the answer to the request being handled (from inside an onRequest
     * handler): its bytes and nodes go with the reply.
     */
    answer: encodeReturn,
    /** Decodes a value sent by the other world. */
    decode: (value) => decode(value, decoding()),
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
