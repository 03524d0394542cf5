// Voltaic's preload runtime: the Electron renderer API that a preload script gets
// from require('electron'). It runs first in the preload's world (an isolated script
// world unless contextIsolation is off), where the one transport to the main process,
// a WebKit script message handler registered for that world only, is visible.

/* exported voltaicPreloadWorld */

function voltaicPreloadWorld(config, takeBridgeNode, createEndpoint, formatConsole, validate, codec, node, marks) {
  'use strict';
  const apply = Reflect.apply;
  const stringify = JSON.stringify;
  const freeze = Object.freeze;
  const defineProperty = Object.defineProperty;
  const MapCtor = Map;
  const PromiseCtor = Promise;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const encodeUtf8 = TextEncoder.prototype.encode;
  const utf8 = new TextEncoder();
  const transport = window.webkit.messageHandlers[config.handler];
  const postToMain = transport.postMessage;
  // How many messages went through the transport, on an engine whose sendSync
  // travels apart from them (Chromium): the main process holds a sendSync until it
  // has all the messages posted before it.
  const postedCount = typeof transport.posted === 'function' ? transport.posted : null;
  // Invokes go through a reply-capable handler: its postMessage returns a promise
  // the main process settles with the answer's JSON.
  const invokeTransport = window.webkit.messageHandlers[config.invokeHandler];
  const postInvoke = invokeTransport.postMessage;
  // Bytes travel as request and response bodies of the app's URI scheme (WebKit's
  // message handlers would turn ArrayBuffers into empty objects): see parcels.rs.
  const fetchBytes = fetch;
  const Uint8ArrayCtor = Uint8Array;
  const typedSet = Uint8Array.prototype.set;
  const responseArrayBuffer = Response.prototype.arrayBuffer;
  const responseText = Response.prototype.text;
  const headersGet = Headers.prototype.get;
  const bufferSlice = ArrayBuffer.prototype.slice;
  const parse = JSON.parse;
  const XHRCtor = XMLHttpRequest;
  const xhrOpen = XMLHttpRequest.prototype.open;
  const xhrSetHeader = XMLHttpRequest.prototype.setRequestHeader;
  const xhrSend = XMLHttpRequest.prototype.send;
  const xhrOverrideMime = XMLHttpRequest.prototype.overrideMimeType;
  const xhrGetHeader = XMLHttpRequest.prototype.getResponseHeader;
  const promiseThen = PromiseCtor.prototype.then;
  const MAX_CHANNEL_LENGTH = 256;
  const READY = config.readyMessage;
  const DOM_READY = config.domReadyMessage;
  const grants = config.grants;
  const schemas = config.schemas;
  const dateNow = Date.now;
  const isArray = Array.isArray;
  const MessageChannelCtor = MessageChannel;
  const MessagePortCtor = MessagePort;
  const portPostMessage = MessagePort.prototype.postMessage;
  const portStart = MessagePort.prototype.start;
  const portClose = MessagePort.prototype.close;
  const listenOn = EventTarget.prototype.addEventListener;
  const functionToString = Function.prototype.toString;
  const WeakSetCtor = WeakSet;
  const weakSetHas = WeakSet.prototype.has;
  const weakSetAdd = WeakSet.prototype.add;

  // Same rules as the main process's ChannelPattern: a name, or a prefix and '*'.
  // Answers per direction and channel, as the grants never change for a document.
  const grantCache = { send: new MapCtor(), invoke: new MapCtor(), receive: new MapCtor() };
  function granted(direction, channel) {
    const cache = grantCache[direction];
    let answer = cache.get(channel);
    if (answer === undefined) {
      answer = matchGrant(direction, channel);
      if (cache.size < 10000) {
        cache.set(channel, answer);
      }
    }
    return answer;
  }

  function matchGrant(direction, channel) {
    const patterns = grants[direction];
    for (let i = 0; i < patterns.length; i++) {
      const pattern = patterns[i];
      if (pattern.length > 0 && pattern[pattern.length - 1] === '*'
        ? channel.slice(0, pattern.length - 1) === pattern.slice(0, -1)
        : channel === pattern) {
        return true;
      }
    }
    return false;
  }

  function checkGrant(direction, channel) {
    if (!granted(direction, channel)) {
      throw new ErrorCtor("channel '" + channel + "' is not allowed for this window");
    }
  }

  // Token bucket with the main process's numbers: an honest page that floods gets
  // its errors here, before the main process has to refuse anything.
  let tokens = config.burst;
  let lastRefill = dateNow();
  function tryToken() {
    const now = dateNow();
    tokens = Math.min(config.burst, tokens + ((now - lastRefill) / 1000) * config.messagesPerSecond);
    lastRefill = now;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }
  function takeToken() {
    if (!tryToken()) {
      throw new ErrorCtor('IPC rate limit exceeded: more than ' + config.messagesPerSecond + ' messages a second');
    }
  }

  function checkSchema(channel, part, args) {
    const schema = schemas[channel];
    const body = schema === undefined ? undefined : schema[part === 'arguments' ? 'args' : 'result'];
    if (body === undefined) {
      return null;
    }
    return validate(channel, part, body, args);
  }

  function byteLength(text) {
    // A UTF-16 code unit takes at most 3 UTF-8 bytes: count exactly only when close.
    return text.length * 3 <= config.maxMessageBytes ? text.length : apply(encodeUtf8, utf8, [text]).length;
  }

  function serialize(message, buffers) {
    const text = stringify(message);
    let size = byteLength(text);
    for (let i = 0; buffers !== undefined && i < buffers.length; i++) {
      size += buffers[i].byteLength;
    }
    if (size > config.maxMessageBytes) {
      throw new ErrorCtor('IPC message of ' + size + ' bytes exceeds the limit of ' + config.maxMessageBytes + ' bytes');
    }
    return text;
  }

  // Sends and console lines posted in one turn of the event loop travel together:
  // flushed at the end of the turn (a microtask, so no later than the page could
  // notice), sooner once large, and always before anything that must not overtake
  // them (an invoke, a sendSync, the ready signal).
  const BATCH_BYTES = 65536;
  const BATCH_COUNT = 512;
  const scheduleMicrotask = queueMicrotask;
  let batch = [];
  let batchBytes = 0;
  let flushScheduled = false;

  // A message with bytes is posted once its bytes are uploaded; what is posted after
  // it waits behind it, so the main process sees everything in the order it was sent.
  const held = [];
  function inOrder(post) {
    if (held.length === 0) {
      post();
    } else {
      held.push({ post });
    }
  }

  function releaseHeld() {
    while (held.length > 0 && held[0].post !== null) {
      held.shift().post();
    }
  }

  // Bytes to upload: one ArrayBuffer (WebKit's URI scheme handler cannot read Blob
  // bodies), with its sizes header.
  function uploadBody(buffers) {
    const sizes = [];
    for (let i = 0; i < buffers.length; i++) {
      sizes.push(buffers[i].byteLength);
    }
    return { sizes: sizes.join(','), body: buffers.length === 1 ? buffers[0] : concat(buffers, sizes) };
  }

  // A synchronous POST of sendSync's bytes: `upload` ({sizes, body}) to send, or
  // nothing to fetch a parcel as 8-bit text. Throws unless it succeeds.
  function syncRequest(url, upload) {
    const request = new XHRCtor();
    apply(xhrOpen, request, ['POST', url, false]);
    apply(xhrSetHeader, request, ['X-Voltaic-Token', config.syncToken]);
    if (upload === '') {
      apply(xhrOverrideMime, request, ['text/plain; charset=x-user-defined']);
      apply(xhrSend, request, ['']);
    } else {
      apply(xhrSetHeader, request, ['X-Voltaic-Sizes', upload.sizes]);
      apply(xhrSend, request, [upload.body]);
    }
    if (request.status !== 200) {
      throw new ErrorCtor('ipcRenderer.sendSync could not move its bytes (HTTP ' + request.status + ')');
    }
    return request;
  }

  function concat(buffers, sizes) {
    let total = 0;
    for (let i = 0; i < sizes.length; i++) {
      total += sizes[i];
    }
    const out = new Uint8ArrayCtor(total);
    let at = 0;
    for (let i = 0; i < buffers.length; i++) {
      apply(typedSet, out, [new Uint8ArrayCtor(buffers[i]), at]);
      at += sizes[i];
    }
    return out.buffer;
  }

  // Uploads `buffers`, then posts with their parcel number (`post(parcel)`), or calls
  // `failed(error)`, in its place in the order.
  function withUpload(buffers, post, failed) {
    const entry = { post: null };
    held.push(entry);
    const upload = uploadBody(buffers);
    const uploaded = apply(promiseThen, fetchBytes(config.uploadUrl, {
      method: 'POST',
      headers: { 'X-Voltaic-Token': config.syncToken, 'X-Voltaic-Sizes': upload.sizes },
      body: upload.body,
    }), [(response) => {
      if (!response.ok) {
        return apply(promiseThen, apply(responseText, response, []), [(text) => {
          throw new ErrorCtor('IPC bytes were refused (HTTP ' + response.status + '): ' + text);
        }]);
      }
      return apply(responseText, response, []);
    }]);
    apply(promiseThen, uploaded, [
      (parcel) => {
        entry.post = () => post(Number(parcel));
        releaseHeld();
      },
      (error) => {
        entry.post = () => failed(error);
        releaseHeld();
      },
    ]);
  }

  function flushBatch() {
    if (batch.length === 0) {
      return;
    }
    const text = batch.length === 1 ? batch[0] : '{"t":"batch","m":[' + batch.join(',') + ']}';
    batch = [];
    batchBytes = 0;
    inOrder(() => apply(postToMain, transport, [text]));
  }

  function postMessage(message, buffers) {
    if (buffers !== undefined && buffers.length > 0) {
      const text = serialize(message, buffers);
      flushBatch();
      withUpload(buffers, (parcel) => apply(postToMain, transport, [[text, parcel]]), (error) => {
        report('error', ['ipcRenderer.send on ' + describe(message.ch) + ' failed:', error]);
      });
      return;
    }
    const text = serialize(message);
    if (batch.length > 0 && batchBytes + text.length > BATCH_BYTES) {
      flushBatch();
    }
    batch.push(text);
    batchBytes += text.length;
    if (batch.length >= BATCH_COUNT || batchBytes >= BATCH_BYTES) {
      flushBatch();
    } else if (!flushScheduled) {
      flushScheduled = true;
      scheduleMicrotask(() => {
        flushScheduled = false;
        flushBatch();
      });
    }
  }

  // An invoke posted on its own goes through WebKit's reply-capable handler, the
  // shortest trip there is. Further invokes of the same turn (a page firing many at
  // once) ride the ordinary batch instead, and their answers come back batched too,
  // evaluated as one script: one message each way for hundreds of invokes, where
  // the reply handler would cost a message and a task per invoke. Either way the
  // main process sees them in the order they were made.
  let invokePostedThisTurn = false;

  // Posts an invoke; its answer settles the pending entry through receive().
  function postInvokeMessage(message, buffers) {
    if (buffers.length === 0) {
      if (invokePostedThisTurn) {
        postMessage(message);
        return;
      }
      invokePostedThisTurn = true;
      scheduleMicrotask(() => {
        invokePostedThisTurn = false;
      });
    }
    flushBatch();
    // "<id> <json>": one string, so the main process reads one value per invoke;
    // with bytes, that string first and the ArrayBuffers after it.
    const envelope = message.id + ' ' + serialize(message, buffers);
    const failed = (error) => inbound({ t: 'reject', id: message.id, error: 'IPC transport failed: ' + String(error && error.message) }, NO_BUFFERS);
    const post = (parcel) => {
      const answered = apply(postInvoke, invokeTransport, [parcel === undefined ? envelope : [envelope, parcel]]);
      apply(promiseThen, answered, [
        (answer) => {
          if (typeof answer === 'string') {
            inbound(parse(answer), NO_BUFFERS);
          } else {
            inbound(parse(answer[0]), answer[1]);
          }
        },
        // An answer of text alone comes as the reply's error message, which WebKit
        // carries without serializing it (see PendingReply::answer): JSON starts
        // with '{', a real refusal or failure does not.
        (error) => {
          const text = error instanceof ErrorCtor ? error.message : undefined;
          if (typeof text === 'string' && text.charCodeAt(0) === 123) {
            inbound(parse(text), NO_BUFFERS);
          } else {
            failed(error);
          }
        },
      ]);
    };
    if (buffers.length === 0) {
      inOrder(post);
    } else {
      withUpload(buffers, post, failed);
    }
  }

  function describe(value) {
    return typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : typeof value;
  }

  function checkChannel(channel) {
    if (typeof channel !== 'string' || channel.length === 0 || channel.length > MAX_CHANNEL_LENGTH) {
      throw new TypeErrorCtor('Invalid IPC channel ' + describe(channel) + ': channels are non-empty strings of at most ' + MAX_CHANNEL_LENGTH + ' characters');
    }
  }

  // Everything an outgoing message must pass, in the main process's order.
  // Returns the arguments' wire form and appends their bytes to `buffers`.
  function toWire(direction, channel, args, buffers) {
    checkChannel(channel);
    checkGrant(direction, channel);
    const wire = codec.encodeArgs(args, buffers);
    const invalid = checkSchema(channel, 'arguments', wire);
    if (invalid !== null) {
      throw new ErrorCtor(invalid);
    }
    takeToken();
    return wire;
  }

  const pendingInvokes = new MapCtor();
  // Each document numbers its invokes from a random point among 2^48. An answer the
  // main process gives after the page navigated goes to the next document (the main
  // process cannot tell which document asked); numbered from 1 in every document, it
  // would settle that document's invoke of the same number with another's answer.
  const idSeed = new Uint32Array(2);
  crypto.getRandomValues(idSeed);
  let nextInvokeId = (idSeed[0] % 65536) * 4294967296 + idSeed[1] + 1;

  // Message ports. A port that crosses to the main process stays in this world,
  // listened to, under a key the main process knows: what the page posts on the other
  // end is forwarded by key, and what arrives for the key is posted on it. Closes
  // travel through the ports as markers (see port_watch.js), after the messages
  // posted before them.
  const MAX_PORTS = 4096;
  // key -> { port, pending, marks, closing } (port: this world's end, null until
  // adopted; marks: whether the app's end is watched, so that a close may be posted
  // to it as a marker; closing: the main process closed it during the adoption)
  const ports = new MapCtor();
  const transferred = new WeakSetCtor();
  // Keys are numbered from a random point in each document, as invokes are, so that
  // a message the main process sent to the last document's port never finds a port
  // of this one.
  const portSeed = new Uint32Array(2);
  crypto.getRandomValues(portSeed);
  let nextPortKey = (portSeed[0] % 65536) * 4294967296 + portSeed[1] + 1;

  // Takes ports the page or preload transfers to the main process (with a message on
  // a channel or on a port): their keys, in order.
  function adoptAll(list) {
    const keys = [];
    for (let i = 0; i < list.length; i++) {
      const key = 'r' + nextPortKey++;
      apply(weakSetAdd, transferred, [list[i]]);
      adoptPort(list[i], key);
      keys.push(key);
    }
    return keys;
  }

  function listenOnPort(key, port) {
    apply(listenOn, port, ['message', (event) => {
      const entry = ports.get(key);
      if (entry === undefined || entry.port !== port) {
        // The channel closed: this is the app's end answering the close, or
        // posting after it. Closing this end any sooner could have cost the app
        // what waited for it (see closePort).
        apply(portClose, port, []);
        return;
      }
      const mark = marks.markOf(event.data);
      if (mark !== null) {
        portMark(key, entry, mark);
        return;
      }
      if (!tryToken()) {
        report('warn', ['A port message was dropped: IPC rate limit exceeded']);
        return;
      }
      const carried = event.ports;
      if (ports.size + carried.length > MAX_PORTS) {
        report('error', ['A port message was dropped: a window may hold at most ' + MAX_PORTS + ' ports']);
        return;
      }
      const buffers = [];
      let data;
      try {
        data = codec.encode(event.data, buffers);
      } catch (error) {
        report('error', ['A message posted on a transferred port could not be sent:', error]);
        return;
      }
      const message = { t: 'port', port: key, data };
      if (carried.length > 0) {
        message.ports = adoptAll(carried);
      }
      postMessage(message, buffers);
    }]);
    apply(portStart, port, []);
  }

  // A marker from the app's end of port `key`.
  function portMark(key, entry, mark) {
    if (mark === marks.CLOSED) {
      // The app closed its end: after the messages forwarded before, the main
      // process closes the channel.
      ports.delete(key);
      apply(portClose, entry.port, []);
      postMessage({ t: 'port-close', port: key });
    } else if (mark === marks.UNLINK) {
      entry.marks = false;
    } else if (mark === marks.RELINK) {
      entry.marks = true;
      apply(portPostMessage, entry.port, [marks.LINK]);
    }
  }

  // Takes `port` from the page, as a transfer would: the page's object is neutered
  // (moved through a private channel), and its queued messages come along.
  function adoptPort(port, key) {
    const entry = { port: null, pending: [], marks: marks.adopted(port), closing: false };
    ports.set(key, entry);
    const relay = new MessageChannelCtor();
    apply(listenOn, relay.port2, ['message', (event) => {
      const own = event.ports[0];
      apply(portClose, relay.port1, []);
      apply(portClose, relay.port2, []);
      if (ports.get(key) !== entry) {
        apply(portClose, own, []);
        return;
      }
      entry.port = own;
      listenOnPort(key, own);
      for (let i = 0; i < entry.pending.length; i++) {
        apply(portPostMessage, own, entry.pending[i]);
      }
      entry.pending = [];
      if (entry.closing) {
        closePort(key, entry);
      }
    }]);
    apply(portStart, relay.port2, []);
    apply(portPostMessage, relay.port1, [null, [port]]);
  }

  // A port the main process transfers here: the listener gets the app's end, watched
  // so that it gets `close` when the main process closes the other end.
  function receivePort(key) {
    const channel = new MessageChannelCtor();
    ports.set(key, { port: channel.port1, pending: [], marks: true, closing: false });
    listenOnPort(key, channel.port1);
    marks.link(channel.port2);
    return channel.port2;
  }

  function portMessage(key, wire, buffers, portKeys) {
    const entry = ports.get(key);
    if (entry === undefined) {
      return;
    }
    const data = codec.decode(wire, buffers);
    const carried = [];
    if (isArray(portKeys)) {
      for (let i = 0; i < portKeys.length; i++) {
        carried.push(receivePort(portKeys[i]));
      }
    }
    const args = carried.length > 0 ? [data, carried] : [data];
    if (entry.port === null) {
      entry.pending.push(args);
    } else {
      apply(portPostMessage, entry.port, args);
    }
  }

  // The main process closed the other end of port `key`. A port still being adopted
  // closes once its adoption has passed on what waited for it.
  function portClosed(key) {
    const entry = ports.get(key);
    if (entry === undefined) {
      return;
    }
    if (entry.port === null) {
      entry.closing = true;
    } else {
      closePort(key, entry);
    }
  }

  // This world's end stays open until the app's end answers (or posts again): the
  // app's end may be in transit (handed to the page, say), and WebKit drops the
  // queue of a port moved after its partner closed.
  function closePort(key, entry) {
    ports.delete(key);
    if (entry.marks) {
      apply(portPostMessage, entry.port, [marks.CLOSED]);
    }
  }

  // ipcRenderer is an EventEmitter, as in Electron: channels are its event names, and
  // only the page's listeners are on it (Voltaic's own traffic never is). Its methods
  // are its own, bound, so that `invoke: ipcRenderer.invoke` works; they are not
  // enumerable, so that exposing ipcRenderer itself gives the page an empty object,
  // as in Electron 29 and later.
  const EventEmitter = node.EventEmitter;
  const ipcRenderer = new EventEmitter();
  const emitter = EventEmitter.prototype;
  const ipcMethods = {
    // Electron's ipcRenderer.postMessage: one message, and MessagePorts whose other
    // ends the main process gets in event.ports.
    postMessage(channel, message, transfer) {
      const list = transfer === undefined || transfer === null ? [] : transfer;
      // Electron's text for a transfer list that is not all MessagePorts.
      if (!isArray(list)) {
        throw new ErrorCtor('Invalid value for transfer');
      }
      for (let i = 0; i < list.length; i++) {
        if (!(list[i] instanceof MessagePortCtor)) {
          throw new ErrorCtor('Invalid value for transfer');
        }
        if (apply(weakSetHas, transferred, [list[i]]) || list.indexOf(list[i]) !== i) {
          throw new TypeErrorCtor('ipcRenderer.postMessage: a MessagePort can be transferred only once');
        }
      }
      if (ports.size + list.length > MAX_PORTS) {
        throw new ErrorCtor('ipcRenderer.postMessage: a window may hold at most ' + MAX_PORTS + ' ports');
      }
      const buffers = [];
      const args = toWire('send', channel, [message], buffers);
      postMessage({ t: 'send', ch: channel, args, ports: adoptAll(list) }, buffers);
    },
    send(channel, ...args) {
      const buffers = [];
      postMessage({ t: 'send', ch: channel, args: toWire('send', channel, args, buffers) }, buffers);
    },
    // Discouraged, as in Electron: the renderer waits, synchronously, until a main
    // process listener sets event.return_value.
    sendSync(channel, ...args) {
      const buffers = [];
      const text = serialize({ t: 'sendSync', ch: channel, args: toWire('send', channel, args, buffers) });
      flushBatch();
      // Bytes go first, uploaded synchronously too; the request names their parcel.
      const parcel = buffers.length > 0 ? syncRequest(config.uploadUrl, uploadBody(buffers)) : null;
      const request = new XHRCtor();
      try {
        apply(xhrOpen, request, ['POST', config.syncUrl, false]);
        apply(xhrSetHeader, request, ['X-Voltaic-Token', config.syncToken]);
        if (parcel !== null) {
          apply(xhrSetHeader, request, ['X-Voltaic-Parcel', parcel.responseText]);
        }
        if (postedCount !== null) {
          apply(xhrSetHeader, request, ['X-Voltaic-Posted', String(postedCount())]);
        }
        apply(xhrSend, request, [text]);
      } catch (error) {
        throw new ErrorCtor('ipcRenderer.sendSync failed: ' + String(error && error.message) +
          " (it works on the app's own pages, app://localhost)");
      }
      if (request.status !== 200) {
        throw new ErrorCtor('ipcRenderer.sendSync was refused (HTTP ' + request.status + ')');
      }
      const answer = parse(request.responseText);
      if (answer.err !== undefined) {
        throw new ErrorCtor(answer.err);
      }
      if (answer.parcel === undefined) {
        return codec.decode(answer.ok, NO_BUFFERS);
      }
      // A synchronous request cannot ask for an ArrayBuffer, but it can read bytes
      // as a string of 8-bit characters.
      const fetched = syncRequest(config.parcelUrl + answer.parcel, '');
      const body = fetched.responseText;
      const bytes = new Uint8ArrayCtor(body.length);
      for (let i = 0; i < body.length; i++) {
        bytes[i] = body.charCodeAt(i) & 0xff;
      }
      return codec.decode(answer.ok, splitBuffers(bytes.buffer, apply(xhrGetHeader, fetched, ['X-Voltaic-Sizes'])));
    },
    invoke(channel, ...args) {
      return new PromiseCtor((resolve, reject) => {
        const buffers = [];
        const message = { t: 'invoke', id: nextInvokeId++, ch: channel, args: toWire('invoke', channel, args, buffers) };
        const id = message.id;
        pendingInvokes.set(id, { resolve, reject });
        try {
          postInvokeMessage(message, buffers);
        } catch (error) {
          pendingInvokes.delete(id);
          throw error;
        }
      });
    },
  };
  // Adding a listener checks the channel, so that a typo fails where it is made.
  for (const name of ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener']) {
    const method = emitter[name];
    ipcMethods[name] = function (channel, listener) {
      checkChannel(channel);
      return apply(method, ipcRenderer, [channel, listener]);
    };
  }
  for (const name of ['removeListener', 'off', 'removeAllListeners', 'emit', 'listeners', 'rawListeners',
    'listenerCount', 'eventNames', 'setMaxListeners', 'getMaxListeners']) {
    const method = emitter[name];
    ipcMethods[name] = function (...args) {
      return apply(method, ipcRenderer, args);
    };
  }
  for (const name of Object.keys(ipcMethods)) {
    defineProperty(ipcRenderer, name, { value: ipcMethods[name], enumerable: false });
  }
  freeze(ipcRenderer);

  function deliver(channel, wireArgs, buffers, portKeys) {
    // The main process checked these too; checking again means a listener never sees
    // a message its window was not granted or that does not match its schema.
    if (typeof channel !== 'string' || !granted('receive', channel)) {
      report('error', ['Refused a message from the main process on ' + describe(channel) + ': not allowed for this window']);
      return;
    }
    const invalid = checkSchema(channel, 'arguments', wireArgs);
    if (invalid !== null) {
      report('error', ['Refused a message from the main process: ' + invalid]);
      return;
    }
    const eventPorts = [];
    if (isArray(portKeys)) {
      for (let i = 0; i < portKeys.length; i++) {
        eventPorts.push(receivePort(portKeys[i]));
      }
    }
    const own = apiListeners.get(channel);
    const listeners = apply(emitter.rawListeners, ipcRenderer, [channel]);
    if (listeners.length === 0 && own === undefined) {
      return;
    }
    const args = codec.decodeArgs(wireArgs, buffers);
    if (own !== undefined) {
      // An API's own subscribers (see apis.js): not ipcRenderer listeners, so that
      // they never show in its eventNames().
      const list = own.slice();
      for (let i = 0; i < list.length; i++) {
        try {
          list[i](args[0]);
        } catch (error) {
          report('error', ['A callback on ' + describe(channel) + ' threw:', error]);
        }
      }
    }
    const event = { sender: ipcRenderer, senderId: 0, ports: eventPorts };
    // Each listener in turn, as emit would call them (once-listeners remove
    // themselves), except that one that throws does not keep the next from running.
    for (let i = 0; i < listeners.length; i++) {
      try {
        apply(listeners[i], ipcRenderer, [event, ...args]);
      } catch (error) {
        report('error', ['Error in ipcRenderer listener for ' + describe(channel) + ':', error]);
      }
    }
  }

  // Everything from the main process (messages, answers) goes through here, in
  // order: a message whose bytes are still being pulled holds back what follows it.
  const NO_BUFFERS = freeze([]);
  const waiting = [];
  let pulling = false;
  function inbound(message, buffers) {
    if (!pulling && waiting.length === 0 && typeof buffers !== 'number') {
      handle(message, buffers);
      return;
    }
    waiting.push([message, buffers]);
    drain();
  }

  function drain() {
    while (!pulling && waiting.length > 0) {
      const next = waiting[0];
      if (typeof next[1] === 'number') {
        pull(next);
        return;
      }
      waiting.shift();
      handle(next[0], next[1]);
    }
  }

  function pull(entry) {
    pulling = true;
    // POST, not GET: the request needs a body for WebKit's handler to read safely.
    const fetched = apply(promiseThen, fetchBytes(config.parcelUrl + entry[1], {
      method: 'POST',
      headers: { 'X-Voltaic-Token': config.syncToken },
      body: '',
    }), [(response) => {
      if (!response.ok) {
        throw new ErrorCtor('HTTP ' + response.status);
      }
      const sizes = apply(headersGet, response.headers, ['X-Voltaic-Sizes']);
      return apply(promiseThen, apply(responseArrayBuffer, response, []), [(body) => splitBuffers(body, sizes)]);
    }]);
    apply(promiseThen, fetched, [
      (buffers) => {
        entry[1] = buffers;
        pulling = false;
        drain();
      },
      (error) => {
        report('error', ['Lost the bytes of a message from the main process: ' + String(error && error.message)]);
        entry[1] = NO_BUFFERS;
        pulling = false;
        drain();
      },
    ]);
  }

  function splitBuffers(body, sizes) {
    const list = sizes === null || sizes === '' ? [] : sizes.split(',');
    if (list.length === 1) {
      return [body];
    }
    const buffers = [];
    let at = 0;
    for (let i = 0; i < list.length; i++) {
      const size = Number(list[i]);
      buffers.push(apply(bufferSlice, body, [at, at + size]));
      at += size;
    }
    return buffers;
  }

  function handle(message, buffers) {
    try {
      receive(message, buffers);
    } catch (error) {
      report('error', ['Refused a message from the main process:', error]);
    }
  }

  // Entry point for the main process, which evaluates `<receiver>(message)` in this
  // world, or `<receiver>(message, parcel)` when bytes wait to be pulled.
  function receive(message, buffers) {
    switch (message.t) {
      case 'message':
        deliver(message.ch, message.args, buffers, message.ports);
        break;
      case 'port':
        portMessage(message.port, message.data, buffers, message.ports);
        break;
      case 'port-close':
        portClosed(message.port);
        break;
      case 'resolve':
      case 'reject': {
        const pending = pendingInvokes.get(message.id);
        if (pending !== undefined) {
          pendingInvokes.delete(message.id);
          if (message.t === 'resolve') {
            let value;
            try {
              value = codec.decode(message.value, buffers);
            } catch (error) {
              pending.reject(error);
              break;
            }
            pending.resolve(value);
          } else {
            pending.reject(new ErrorCtor(message.error));
          }
        }
        break;
      }
      default:
        break;
    }
  }
  defineProperty(globalThis, config.receiver, {
    value: (message, parcel) => inbound(message, parcel === undefined ? NO_BUFFERS : parcel),
  });

  // The IPC inspector's key, in debug builds: only a key the user pressed (a page
  // can dispatch a KeyboardEvent, never a trusted one).
  if (config.inspectorKey) {
    apply(listenOn, globalThis, ['keydown', (event) => {
      if (event.isTrusted && event.ctrlKey && event.altKey && !event.shiftKey &&
          (event.key === 'i' || event.key === 'I') && tryToken()) {
        postMessage({ t: 'inspector' });
      }
    }, true]);
  }

  function report(level, args, source) {
    // Log lines spend the same budget as messages; over it, they are dropped.
    if (!tryToken()) {
      return;
    }
    try {
      postMessage({ t: 'console', level, source: source || 'preload', text: formatConsole(args) });
    } catch (_) {
      // Logging must never break the preload.
    }
  }

  const levels = ['debug', 'log', 'info', 'warn', 'error'];
  const consoleLevel = { debug: 'debug', log: 'info', info: 'info', warn: 'warn', error: 'error' };
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    const original = console[level];
    console[level] = function (...args) {
      apply(original, console, args);
      report(consoleLevel[level], args, config.contextIsolation ? 'preload' : 'page');
    };
  }

  // The page-world half is a user script of the page's world, so no CSP can stop
  // it. WebKit runs the two worlds' document-start scripts in no promised order, so
  // the preload script itself waits for the page half (see runPreload): whichever
  // runs second, both are done before the page's first script, and every
  // contextBridge call finds the page half there. The same holds for the half in
  // each isolated world the window names. The bridges, by world id (0 is the page's):
  const bridges = new MapCtor();
  let unconnected = 0;
  let waitingPreload = null;
  function runPreload(body) {
    if (unconnected === 0) {
      body();
    } else {
      waitingPreload = body;
    }
  }
  function connectWorld(worldId) {
    const taken = takeBridgeNode(worldId === 0 ? '' : String(worldId));
    const bridge = createEndpoint(taken.node, 'voltaic:to-page', 'voltaic:to-preload');
    let connected = taken.found;
    if (!connected) {
      unconnected++;
    }
    bridge.onRequest((message) => {
      if (message.op === 'hello') {
        if (!connected) {
          connected = true;
          unconnected--;
        }
        const body = waitingPreload;
        if (unconnected === 0 && body !== null) {
          waitingPreload = null;
          body();
        }
        return null;
      }
      if (message.op !== 'console') {
        throw new ErrorCtor('Unknown context bridge request');
      }
      const prefix = worldId === 0 ? '' : '[isolated world ' + worldId + '] ';
      report(consoleLevel[message.level] || 'info', [prefix + String(message.text)], 'page');
      return null;
    });
    bridges.set(worldId, bridge);
  }
  let pageBridge = null;
  if (config.contextIsolation) {
    connectWorld(0);
    const worlds = config.isolatedWorlds;
    for (let i = 0; i < worlds.length; i++) {
      connectWorld(worlds[i]);
    }
    pageBridge = bridges.get(0);
  }

  // After the captures above (the runtime's own ports use the natives): ports the
  // app hands the page arrive there known as linked (see port_watch.js).
  marks.install(true, pageBridge === null ? undefined : (count, linkedAt) => {
    pageBridge.notify({ op: 'ports', count, linked: linkedAt });
  });

  const mutableExposures = config.contextBridgeMutability === true;

  // The subscribers of the APIs declared in Rust, by channel.
  const apiListeners = new MapCtor();
  const apiInternals = {
    report,
    subscribe(channel, listener) {
      let list = apiListeners.get(channel);
      if (list === undefined) {
        list = [];
        apiListeners.set(channel, list);
      }
      list.push(listener);
      return () => {
        const at = list.indexOf(listener);
        if (at !== -1) {
          list.splice(at, 1);
        }
      };
    },
    // Exposes `api` as window[key]; its `live` properties become getters of values
    // the page world keeps, which the returned function updates.
    expose(key, api, live) {
      checkIsolated();
      const encoded = pageBridge.encode(api);
      pageBridge.request({ op: 'expose', key, value: encoded.value, mutable: mutableExposures, live }, encoded);
      return (name, value) => {
        const update = pageBridge.encode(value);
        pageBridge.request({ op: 'live', key, name, value: update.value }, update);
      };
    },
  };

  function checkIsolated() {
    if (pageBridge === null) {
      throw new ErrorCtor('contextBridge API can only be used when contextIsolation is enabled');
    }
  }

  // Electron ≥ 29 gives the page an empty object for ipcRenderer (its methods are not
  // own enumerable properties), but an app that tries has a preload that meant to
  // hand the page every channel: say so, and let security_report() show it.
  function warnIfIpcRenderer(apiKey, api) {
    let path = null;
    if (api === ipcRenderer) {
      path = apiKey;
    } else if (api !== null && typeof api === 'object') {
      const keys = Object.keys(api);
      for (let i = 0; i < keys.length && path === null; i++) {
        if (api[keys[i]] === ipcRenderer) {
          path = apiKey + '.' + keys[i];
        }
      }
    }
    if (path !== null) {
      report('warn', ['contextBridge: window.' + path + ' was given ipcRenderer itself. ' +
        'Exposing ipcRenderer would let any script in the page, including injected ones, ' +
        'use every granted channel; the page gets an empty object instead, as in Electron. ' +
        'Expose one function per message instead.']);
      postMessage({ t: 'exposed-ipc-renderer', key: path });
    }
  }

  function expose(bridge, method, apiKey, api) {
    if (typeof apiKey !== 'string' || apiKey.length === 0) {
      throw new TypeErrorCtor('contextBridge.' + method + ': the API key must be a non-empty string');
    }
    warnIfIpcRenderer(apiKey, api);
    const encoded = bridge.encode(api);
    bridge.request({ op: 'expose', key: apiKey, value: encoded.value, mutable: mutableExposures }, encoded);
  }

  const contextBridge = freeze({
    exposeInMainWorld(apiKey, api) {
      checkIsolated();
      expose(pageBridge, 'exposeInMainWorld', apiKey, api);
    },
    // World 0 is the page's; any other must be one the window names in
    // WebPreferences::isolated_worlds: WebKit gives a world its scripts from the
    // document's start, so a world made on demand could be joined to this one only
    // through the page's DOM, where the page would see the bridge.
    exposeInIsolatedWorld(worldId, apiKey, api) {
      checkIsolated();
      const bridge = bridges.get(worldId);
      if (bridge === undefined) {
        throw new ErrorCtor('contextBridge.exposeInIsolatedWorld: world ' + String(worldId) +
          ' is not one of this window\'s isolated worlds; name it in WebPreferences::isolated_worlds');
      }
      expose(bridge, 'exposeInIsolatedWorld', apiKey, api);
    },
    // Runs `func` in the page's world with `args` crossing as for any call, and
    // returns what it returns, copied back. The function is sent as its source,
    // read with this world's own Function.prototype.toString (a toString the
    // function carries is not asked).
    executeInMainWorld(script) {
      checkIsolated();
      if (script === null || typeof script !== 'object') {
        throw new TypeErrorCtor('Invalid script');
      }
      const func = script.func;
      if (typeof func !== 'function') {
        throw new TypeErrorCtor("Function 'func' is required in script");
      }
      const args = script.args === undefined ? [] : script.args;
      if (!isArray(args)) {
        throw new TypeErrorCtor("'args' must be an array");
      }
      const source = apply(functionToString, func, []);
      const encoded = pageBridge.encode(args);
      return pageBridge.request({ op: 'execute', source, args: encoded.value }, encoded);
    },
  });

  const electron = freeze({ contextBridge, ipcRenderer, webFrame: node.frame.webFrame, webUtils: node.frame.webUtils });
  // Electron's module map for sandboxed preloads; anything else throws its error.
  const modules = new MapCtor([
    ['electron', () => electron],
    ['electron/common', () => electron],
    ['electron/renderer', () => electron],
    ['events', () => EventEmitter],
    ['node:events', () => EventEmitter],
    ['timers', () => node.timers],
    ['node:timers', () => node.timers],
    ['url', () => node.url],
    ['node:url', () => node.url],
  ]);
  function require(name) {
    const load = modules.get(name);
    if (load === undefined) {
      throw new ErrorCtor('module not found: ' + name);
    }
    return load();
  }
  const process = node.createProcess(EventEmitter, config.process, config.contextIsolation);

  // Where in the preload an error was thrown: JavaScriptCore says it on the error
  // (line, column); V8 says it in the stack, under the script's sourceURL, which is
  // the preload's name.
  function preloadPosition(error) {
    if (error && error.line) {
      return ':' + error.line + ':' + (error.column || 0);
    }
    const stack = error && typeof error.stack === 'string' ? error.stack : '';
    const at = stack.indexOf(config.preloadName + ':');
    const position = at < 0 ? null : /^:(\d+):(\d+)/.exec(stack.slice(at + config.preloadName.length));
    return position === null ? '' : ':' + position[1] + ':' + position[2];
  }

  function reportPreloadError(error) {
    const where = config.preloadName + preloadPosition(error);
    report('error', ['Unable to load preload script ' + where + ':', error]);
  }

  const module = { exports: {} };
  defineProperty(globalThis, '__voltaicPreload', {
    value: {
      require,
      process,
      Buffer: node.Buffer,
      setImmediate: node.timers.setImmediate,
      clearImmediate: node.timers.clearImmediate,
      module,
      reportError: reportPreloadError,
      filename: config.preloadName,
      // Runs the wrapped preload script as soon as the page half of the bridge is
      // there, after exposing the APIs the window takes from the main process.
      run: (body) => runPreload(() => {
        if (config.apis.length > 0) {
          node.apis(config.apis, ipcRenderer, apiInternals);
        }
        body();
      }),
      // Tells the main process that messages can be delivered now: it queues them
      // until then, so none sent during a load is lost.
      ready: () => {
        flushBatch();
        inOrder(() => apply(postToMain, transport, [READY]));
        // Electron's `dom-ready`: the main process hears when this document has
        // been parsed, after what the preload sent before.
        const domReady = () => inOrder(() => apply(postToMain, transport, [DOM_READY]));
        if (document.readyState === 'loading') {
          apply(listenOn, document, ['DOMContentLoaded', domReady, { once: true }]);
        } else {
          domReady();
        }
      },
    },
    configurable: true,
  });
}
