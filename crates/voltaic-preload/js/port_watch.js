// Electron's `close` event on the renderer's MessagePorts, for an engine whose
// MessagePort has none (WebKit: standards-positions #271).
//
// The preload runtime holds, in its own world, one end of every channel that crosses
// to the main process; the app holds the other end (the port it got from
// `ipcRenderer.on`, or the end it kept of a channel it sent). A close travels
// through the channel itself, as one last message, a marker, so that it comes after
// every message posted before it, in order, wherever the port is:
//
// - the main process closed its end: the runtime posts CLOSED on its end, and the
//   app's end gets `close` (and `onclose`) once its earlier messages are dispatched;
// - the app closed its end: `close()` posts CLOSED first, and the runtime tells the
//   main process once it has forwarded the earlier messages.
//
// A marker is only posted to a port whose world takes markers out before any of the
// app's listeners runs, so that no app ever sees one as data: the runtime's own end,
// or an app's end that this file watches (`watch`). The app's end is watched where it
// starts, in the preload's world, and wherever this world's or the page's world
// receives it through `window.postMessage` or inside a watched port's message. An
// end the app hands on elsewhere (a worker, a port Voltaic does not watch) tells the
// runtime first (UNLINK), and gets no `close` there.

/* exported voltaicPortWatch */

function voltaicPortWatch() {
  'use strict';
  const apply = Reflect.apply;
  const listenOn = EventTarget.prototype.addEventListener;
  const dispatchOn = EventTarget.prototype.dispatchEvent;
  const stopImmediate = Event.prototype.stopImmediatePropagation;
  const EventCtor = Event;
  const MessagePortCtor = MessagePort;
  const portPost = MessagePort.prototype.postMessage;
  const portClose = MessagePort.prototype.close;
  const eventData = Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'data').get;
  const eventPorts = Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'ports').get;
  const eventSource = Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'source').get;
  const isArray = Array.isArray;
  const WeakSetCtor = WeakSet;
  const WeakMapCtor = WeakMap;
  const setHas = WeakSet.prototype.has;
  const setAdd = WeakSet.prototype.add;
  const setDelete = WeakSet.prototype.delete;
  const mapGet = WeakMap.prototype.get;
  const mapSet = WeakMap.prototype.set;
  const nativeClose = 'onclose' in MessagePort.prototype;

  // Strings no app sends: a NUL, then Voltaic's name.
  const PREFIX = '\u0000voltaic:';
  const CLOSED = PREFIX + 'closed'; // the other end closed; nothing follows
  const LINK = PREFIX + 'link'; // the other end is the runtime's: close() tells it
  const UNLINK = PREFIX + 'unlink'; // this end leaves for a place nobody watches
  const RELINK = PREFIX + 'relink'; // this end moves within the window: link it there

  const watched = new WeakSetCtor();
  const linked = new WeakSetCtor();
  const closed = new WeakSetCtor();
  // Ends that left for a place nobody watches (a worker, an unwatched port).
  const away = new WeakSetCtor();
  // The other end of each channel made in this world.
  const partners = new WeakMapCtor();
  // For each message this window posted to itself with ports, in order: which of
  // them are linked, for the world they arrive in to know at once (the runtime's
  // LINK answer to RELINK comes later, after the app may have closed the port).
  const arrivals = [];

  // The marker `data` is, or null: any other value is the app's.
  function markOf(data) {
    if (typeof data !== 'string' || data.length > 16 || data.charCodeAt(0) !== 0) {
      return null;
    }
    return data === CLOSED || data === LINK || data === UNLINK || data === RELINK ? data : null;
  }

  // A port that arrives through `window.postMessage` is watched in every world that
  // runs this file, and the first watcher takes each marker out. It turns the
  // marker into an event on the port, so that each world hears it: `close` (each
  // world calls its own `onclose`), or LINK_EVENT.
  const LINK_EVENT = PREFIX + 'linked';

  // The other end closed: `close` once, after every message posted before it. The
  // runtime's end (the only one that posts CLOSED here) is closed by the answer:
  // closed any sooner, it could lose what waits in this end while it is in transit,
  // as WebKit drops the queue of a port moved after its partner closed. WebKit
  // dispatches nothing on a closed port, so this one closes after the event.
  function fireClose(port) {
    if (apply(setHas, closed, [port])) {
      return;
    }
    apply(dispatchOn, port, [new EventCtor('close')]);
    apply(portPost, port, [CLOSED]);
    apply(portClose, port, []);
  }

  // Takes markers out of `port`'s messages before any other listener sees them (this
  // listener is its first), and watches the ports its messages carry. Adding a
  // listener does not start a port: its messages wait for the app as before.
  function watch(port) {
    if (!(port instanceof MessagePortCtor) || apply(setHas, watched, [port])) {
      return;
    }
    apply(setAdd, watched, [port]);
    apply(listenOn, port, ['message', (event) => {
      const mark = markOf(apply(eventData, event, []));
      if (mark !== null) {
        apply(stopImmediate, event, []);
        if (mark === CLOSED) {
          fireClose(port);
        } else if (mark === LINK) {
          apply(dispatchOn, port, [new EventCtor(LINK_EVENT)]);
        }
        return;
      }
      // What arrives on a linked port comes from the runtime's end: the ports it
      // carries are ends the runtime holds the other end of.
      const carried = apply(eventPorts, event, []);
      const fromRuntime = apply(setHas, linked, [port]);
      for (let i = 0; i < carried.length; i++) {
        if (fromRuntime) {
          link(carried[i]);
        } else {
          watch(carried[i]);
        }
      }
    }]);
    apply(listenOn, port, ['close', (event) => {
      apply(setAdd, closed, [port]);
      apply(setDelete, linked, [port]);
      if (!nativeClose && typeof port.onclose === 'function') {
        apply(port.onclose, port, [event]);
      }
    }]);
    apply(listenOn, port, [LINK_EVENT, () => {
      apply(setAdd, linked, [port]);
    }]);
  }

  function watchAll(list) {
    for (let i = 0; i < list.length; i++) {
      watch(list[i]);
    }
  }

  // `port` is the app's end of a channel whose other end the runtime holds.
  function link(port) {
    watch(port);
    apply(setAdd, linked, [port]);
  }

  // The runtime adopted `port`: whether markers may go to the end the app kept, and
  // if so, that end now tells the runtime when it closes.
  function adopted(port) {
    const partner = apply(mapGet, partners, [port]);
    if (partner === undefined || apply(setHas, away, [partner])) {
      return false;
    }
    link(partner);
    return true;
  }

  // The ports of a transfer list, in either of postMessage's forms.
  function transferred(list) {
    if (isArray(list)) {
      return list;
    }
    if (list !== null && typeof list === 'object' && isArray(list.transfer)) {
      return list.transfer;
    }
    return [];
  }

  // Where ports posted on a port or a worker go.
  const WINDOW = 0; // into this window: watched again where they arrive
  const RUNTIME = 1; // to the runtime's end, which takes them to the main process
  const ELSEWHERE = 2; // where nobody watches

  // Ports leaving through a postMessage. Within the window, a linked port is linked
  // again where it arrives once the runtime answers RELINK; to the runtime, the end
  // kept here now talks to it; elsewhere, markers stop. Returns where in `list`
  // the linked ports were.
  function leaving(list, to) {
    const linkedAt = [];
    for (let i = 0; i < list.length; i++) {
      const port = list[i];
      if (!(port instanceof MessagePortCtor)) {
        continue;
      }
      if (to === RUNTIME) {
        adopted(port);
        continue;
      }
      if (apply(setHas, linked, [port]) && !apply(setHas, closed, [port])) {
        apply(portPost, port, [to === WINDOW ? RELINK : UNLINK]);
        linkedAt.push(i);
      }
      apply(setDelete, linked, [port]);
      if (to === ELSEWHERE) {
        apply(setAdd, away, [port]);
      }
    }
    return linkedAt;
  }

  function wrapMethod(owner, name) {
    const original = owner[name];
    if (typeof original !== 'function') {
      return;
    }
    const wrapped = {
      [name](...args) {
        // A linked port's other end is the runtime's.
        const to = apply(setHas, linked, [this]) ? RUNTIME : ELSEWHERE;
        leaving(transferred(args[1]), to);
        return apply(original, this, args);
      },
    }[name];
    Object.defineProperty(owner, name, { value: wrapped, writable: true, configurable: true, enumerable: false });
  }

  // Installs the watch in this world: ports arriving through window messages are
  // watched before the app's listeners see them (a capturing listener added at
  // document start runs first), `close()` tells the runtime, and ports handed on
  // are followed. `withChannels`: also remember the two ends of every
  // MessageChannel made here (the preload's world, where the app's kept end starts).
  // `announce(count, linkedAt)`: tells the page's world about this world's posts to the
  // window (see `arrivals`); without it, this world is where they arrive.
  function install(withChannels, announce) {
    apply(listenOn, window, ['message', (event) => {
      const list = apply(eventPorts, event, []);
      watchAll(list);
      if (list.length > 0 && event.isTrusted && apply(eventSource, event, []) === window) {
        // A post that never arrived (another target origin) is passed over: an
        // entry must carry as many ports as the message, or it names none.
        let entry = arrivals.shift();
        while (entry !== undefined && entry.count !== list.length) {
          entry = arrivals.shift();
        }
        for (let i = 0; entry !== undefined && i < entry.linkedAt.length; i++) {
          const at = entry.linkedAt[i];
          if (at >= 0 && at < list.length) {
            apply(dispatchOn, list[at], [new EventCtor(LINK_EVENT)]);
          }
        }
      }
    }, true]);
    const proto = MessagePortCtor.prototype;
    Object.defineProperty(proto, 'close', {
      value: function close() {
        if (apply(setHas, linked, [this]) && !apply(setHas, closed, [this])) {
          apply(portPost, this, [CLOSED]);
        }
        apply(setAdd, closed, [this]);
        apply(setDelete, linked, [this]);
        return apply(portClose, this, []);
      },
      writable: true,
      configurable: true,
      enumerable: false,
    });
    wrapMethod(proto, 'postMessage');
    if (typeof Worker === 'function') {
      wrapMethod(Worker.prototype, 'postMessage');
    }
    // `window.postMessage(message, targetOrigin, transfer)` or `(message, options)`.
    const windowPost = window.postMessage;
    // Plain assignments, not defineProperty: with defineProperty on the global, the
    // bench's concurrent invokes inside the preload ran at 120-127k/s against
    // 164-185k/s without this file; assigned, at 141-161k/s (December 2026).
    window.postMessage = function postMessage(...args) {
      const list = transferred(typeof args[1] === 'object' ? args[1] : args[2]);
      const linkedAt = leaving(list, WINDOW);
      // Told before the post: the message arrives in a later task.
      if (list.length > 0) {
        if (announce === undefined) {
          arriving(list.length, linkedAt);
        } else {
          announce(list.length, linkedAt);
        }
      }
      return apply(windowPost, this, args);
    };
    if (withChannels) {
      const NativeChannel = MessageChannel;
      const Channel = class MessageChannel extends NativeChannel {
        constructor() {
          super();
          watch(this.port1);
          watch(this.port2);
          apply(mapSet, partners, [this.port1, this.port2]);
          apply(mapSet, partners, [this.port2, this.port1]);
        }
      };
      window.MessageChannel = Channel;
    }
  }

  // A message with `count` ports was posted to this window, those at `linkedAt`
  // linked (see `arrivals`).
  function arriving(count, linkedAt) {
    arrivals.push({ count, linkedAt: isArray(linkedAt) ? linkedAt : [] });
  }

  return { CLOSED, LINK, UNLINK, RELINK, markOf, link, adopted, install, arriving };
}
