// IPC values: the structured clone algorithm's types, written as JSON text plus a
// list of ArrayBuffers that travel beside it (never inside it). The Rust side of
// this format is voltaic_core::wire, whose documentation has the table of forms.
//
// Containers (arrays, plain objects, Maps, Sets) are numbered in the order they are
// first met, depth first, across all the arguments of one message; meeting one again
// writes {"$":"ref","i":n}, which is how cycles and shared objects survive.

/* exported voltaicValueCodec */

function voltaicValueCodec(maxDepth) {
  'use strict';
  const isArray = Array.isArray;
  const keysOf = Object.keys;
  const defineProperty = Object.defineProperty;
  const objectToString = Object.prototype.toString;
  const apply = Reflect.apply;
  const StringCtor = String;
  const NumberCtor = Number;
  const BigIntCtor = BigInt;
  const ArrayBufferCtor = ArrayBuffer;
  const isView = ArrayBuffer.isView;
  const bufferSlice = ArrayBuffer.prototype.slice;
  const DataViewCtor = DataView;
  const MapCtor = Map;
  const SetCtor = Set;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapForEach = Map.prototype.forEach;
  const setAdd = Set.prototype.add;
  const setForEach = Set.prototype.forEach;
  const DateCtor = Date;
  const dateGetTime = Date.prototype.getTime;
  const RegExpCtor = RegExp;
  const ErrorCtor = Error;
  const PromiseCtor = Promise;
  const NodeCtor = typeof Node === 'function' ? Node : null;
  // No prototypes: a name like 'constructor' must not find anything here.
  const errorConstructors = Object.assign(Object.create(null), {
    Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
  });
  const typedConstructors = Object.assign(Object.create(null), {
    Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
    Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array,
  });
  const typedNames = keysOf(typedConstructors);

  function cannotClone(what) {
    return new ErrorCtor('An object could not be cloned: ' + what + ' cannot be sent over IPC');
  }

  function define(target, key, value) {
    defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }

  // What a typed array or DataView views, as a buffer of its own unless it views a
  // whole buffer already (postMessage copies it anyway).
  function viewedBytes(view) {
    const buffer = view.buffer;
    if (view.byteOffset === 0 && view.byteLength === buffer.byteLength) {
      return buffer;
    }
    return apply(bufferSlice, buffer, [view.byteOffset, view.byteOffset + view.byteLength]);
  }

  function typedName(view) {
    if (view instanceof DataViewCtor) {
      return 'DataView';
    }
    for (let i = 0; i < typedNames.length; i++) {
      if (view instanceof typedConstructors[typedNames[i]]) {
        return typedNames[i];
      }
    }
    return 'Uint8Array';
  }

  function checkDepth(depth) {
    if (depth > maxDepth) {
      throw new ErrorCtor('IPC message nested deeper than the limit of ' + maxDepth);
    }
  }

  // `depth` is the nesting the value will have in the JSON text, which is what the
  // main process bounds.
  function encode(value, state, depth) {
    switch (typeof value) {
      case 'undefined':
        return { $: 'undefined' };
      case 'boolean':
      case 'string':
        return value;
      case 'number':
        if (value !== value) {
          return { $: 'number', v: 'NaN' };
        }
        if (value === Infinity || value === -Infinity) {
          return { $: 'number', v: value > 0 ? 'Infinity' : '-Infinity' };
        }
        return value === 0 && 1 / value < 0 ? { $: 'number', v: '-0' } : value;
      case 'bigint':
        return { $: 'bigint', v: StringCtor(value) };
      case 'function':
        throw cannotClone('functions');
      case 'symbol':
        throw cannotClone('symbols');
      default:
        break;
    }
    if (value === null) {
      return null;
    }
    checkDepth(depth);
    const seen = apply(mapGet, state.seen, [value]);
    if (seen !== undefined) {
      return { $: 'ref', i: seen };
    }
    if (value instanceof ArrayBufferCtor) {
      state.buffers.push(value);
      return { $: 'bytes', i: state.buffers.length - 1 };
    }
    if (isView(value)) {
      state.buffers.push(viewedBytes(value));
      return { $: 'typed', kind: typedName(value), i: state.buffers.length - 1 };
    }
    if (value instanceof DateCtor) {
      const time = apply(dateGetTime, value, []);
      return { $: 'date', v: time === time ? time : null };
    }
    if (value instanceof RegExpCtor) {
      return { $: 'regexp', source: value.source, flags: value.flags };
    }
    if (value instanceof ErrorCtor) {
      const name = StringCtor(value.name);
      return {
        $: 'error',
        name: errorConstructors[name] === undefined ? 'Error' : name,
        message: StringCtor(value.message),
      };
    }
    if (value instanceof PromiseCtor) {
      throw cannotClone('a Promise');
    }
    if (NodeCtor !== null && value instanceof NodeCtor) {
      throw cannotClone('DOM nodes');
    }
    const tag = apply(objectToString, value, []);
    switch (tag) {
      case '[object Boolean]':
      case '[object Number]':
      case '[object String]':
      case '[object BigInt]':
        return encode(value.valueOf(), state, depth);
      default:
        break;
    }
    apply(mapSet, state.seen, [value, state.seen.size]);
    if (isArray(value)) {
      const length = value.length;
      let dense = true;
      for (let i = 0; i < length && dense; i++) {
        dense = i in value;
      }
      if (dense) {
        const out = new Array(length);
        for (let i = 0; i < length; i++) {
          out[i] = encode(value[i], state, depth + 1);
        }
        return out;
      }
      const entries = [];
      const keys = keysOf(value);
      for (let i = 0; i < keys.length; i++) {
        const index = NumberCtor(keys[i]);
        if (index >= 0 && index < length && StringCtor(index) === keys[i]) {
          entries.push([index, encode(value[keys[i]], state, depth + 3)]);
        }
      }
      return { $: 'sparse', length, v: entries };
    }
    if (value instanceof MapCtor) {
      const entries = [];
      apply(mapForEach, value, [(v, k) => {
        entries.push([encode(k, state, depth + 3), encode(v, state, depth + 3)]);
      }]);
      return { $: 'map', v: entries };
    }
    if (value instanceof SetCtor) {
      const members = [];
      apply(setForEach, value, [(v) => {
        members.push(encode(v, state, depth + 2));
      }]);
      return { $: 'set', v: members };
    }
    if (tag !== '[object Object]' && tag !== '[object Arguments]') {
      throw cannotClone(tag.slice(8, -1) + ' objects');
    }
    const keys = keysOf(value);
    if (keys.indexOf('$') !== -1) {
      const entries = [];
      for (let i = 0; i < keys.length; i++) {
        entries.push([keys[i], encode(value[keys[i]], state, depth + 3)]);
      }
      return { $: 'object', v: entries };
    }
    const out = {};
    for (let i = 0; i < keys.length; i++) {
      define(out, keys[i], encode(value[keys[i]], state, depth + 1));
    }
    return out;
  }

  function decode(json, buffers, objects) {
    if (json === null || typeof json !== 'object') {
      return json;
    }
    if (isArray(json)) {
      const out = new Array(json.length);
      objects.push(out);
      for (let i = 0; i < json.length; i++) {
        out[i] = decode(json[i], buffers, objects);
      }
      return out;
    }
    const tag = json.$;
    if (tag === undefined) {
      const out = {};
      objects.push(out);
      const keys = keysOf(json);
      for (let i = 0; i < keys.length; i++) {
        define(out, keys[i], decode(json[keys[i]], buffers, objects));
      }
      return out;
    }
    switch (tag) {
      case 'undefined':
        return undefined;
      case 'number':
        return json.v === '-0' ? -0 : NumberCtor(json.v);
      case 'bigint':
        return BigIntCtor(json.v);
      case 'date':
        return new DateCtor(json.v === null ? NaN : json.v);
      case 'regexp':
        return new RegExpCtor(json.source, json.flags);
      case 'error': {
        const Ctor = errorConstructors[json.name] || ErrorCtor;
        return new Ctor(json.message);
      }
      case 'bytes':
        return buffer(buffers, json.i);
      case 'typed': {
        const bytes = buffer(buffers, json.i);
        if (json.kind === 'DataView') {
          return new DataViewCtor(bytes);
        }
        const Ctor = typedConstructors[json.kind];
        if (Ctor === undefined) {
          throw new ErrorCtor('Malformed IPC value: unknown typed array ' + StringCtor(json.kind));
        }
        return new Ctor(bytes);
      }
      case 'ref':
        if (!(json.i < objects.length)) {
          throw new ErrorCtor('Malformed IPC value: reference to an unknown object');
        }
        return objects[json.i];
      case 'sparse': {
        const out = new Array(json.length);
        objects.push(out);
        for (let i = 0; i < json.v.length; i++) {
          out[json.v[i][0]] = decode(json.v[i][1], buffers, objects);
        }
        return out;
      }
      case 'object': {
        const out = {};
        objects.push(out);
        for (let i = 0; i < json.v.length; i++) {
          define(out, StringCtor(json.v[i][0]), decode(json.v[i][1], buffers, objects));
        }
        return out;
      }
      case 'map': {
        const out = new MapCtor();
        objects.push(out);
        for (let i = 0; i < json.v.length; i++) {
          const key = decode(json.v[i][0], buffers, objects);
          apply(mapSet, out, [key, decode(json.v[i][1], buffers, objects)]);
        }
        return out;
      }
      case 'set': {
        const out = new SetCtor();
        objects.push(out);
        for (let i = 0; i < json.v.length; i++) {
          apply(setAdd, out, [decode(json.v[i], buffers, objects)]);
        }
        return out;
      }
      default:
        throw new ErrorCtor('Malformed IPC value: unknown kind ' + StringCtor(tag));
    }
  }

  function buffer(buffers, index) {
    const bytes = buffers[index];
    if (!(bytes instanceof ArrayBufferCtor)) {
      throw new ErrorCtor('Malformed IPC value: buffer ' + StringCtor(index) + ' is missing');
    }
    return bytes;
  }

  return {
    /**
     * Encodes an argument list: returns the wire JSON values and appends the bytes
     * to `buffers`. Throws Electron's "could not be cloned" error for what cannot
     * travel.
     */
    encodeArgs(args, buffers) {
      const state = { seen: new MapCtor(), buffers };
      const out = new Array(args.length);
      for (let i = 0; i < args.length; i++) {
        out[i] = encode(args[i], state, 1);
      }
      return out;
    },
    /** Encodes one value (an invoke's result), appending its bytes to `buffers`. */
    encode(value, buffers) {
      return encode(value, { seen: new MapCtor(), buffers }, 1);
    },
    /** Decodes an argument list whose bytes are `buffers`. */
    decodeArgs(args, buffers) {
      const objects = [];
      const out = new Array(args.length);
      for (let i = 0; i < args.length; i++) {
        out[i] = decode(args[i], buffers, objects);
      }
      return out;
    },
    /** Decodes one value. */
    decode(value, buffers) {
      return decode(value, buffers, []);
    },
  };
}
