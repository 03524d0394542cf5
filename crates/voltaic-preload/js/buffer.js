// Buffer in a preload, as Electron's sandboxed preloads have it: Node's Buffer, a
// Uint8Array subclass, with the encodings preloads use (utf8, hex, base64 and
// base64url, latin1/binary, ascii, utf16le/ucs2) and the common reads and writes.

/* exported voltaicBuffer */

function voltaicBuffer() {
  'use strict';
  const encoder = new TextEncoder();
  const utf8Decoder = new TextDecoder('utf-8');
  const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const HEX_PAIR = /^[0-9a-fA-F]{2}$/;
  const BASE64_VALUES = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) {
    BASE64_VALUES[BASE64.charCodeAt(i)] = i;
  }
  // base64url's two letters decode too, as in Node.
  BASE64_VALUES['-'.charCodeAt(0)] = 62;
  BASE64_VALUES['_'.charCodeAt(0)] = 63;

  function normalize(encoding) {
    const name = encoding === undefined || encoding === null ? 'utf8' : String(encoding).toLowerCase();
    switch (name) {
      case 'utf8': case 'utf-8': return 'utf8';
      case 'hex': return 'hex';
      case 'base64': return 'base64';
      case 'base64url': return 'base64url';
      case 'latin1': case 'binary': return 'latin1';
      case 'ascii': return 'ascii';
      case 'utf16le': case 'utf-16le': case 'ucs2': case 'ucs-2': return 'utf16le';
      default: return null;
    }
  }

  function encodingOf(encoding) {
    const name = normalize(encoding);
    if (name === null) {
      throw new TypeError('Unknown encoding: ' + encoding);
    }
    return name;
  }

  function bytesOf(text, encoding) {
    switch (encoding) {
      case 'utf8':
        return encoder.encode(text);
      case 'hex': {
        const out = new Uint8Array(text.length >>> 1);
        let n = 0;
        for (; n < out.length; n++) {
          const pair = text.substr(n * 2, 2);
          if (!HEX_PAIR.test(pair)) {
            break; // Node stops at the first pair that is not hex.
          }
          out[n] = parseInt(pair, 16);
        }
        return out.subarray(0, n);
      }
      case 'base64':
      case 'base64url': {
        const out = new Uint8Array((text.length * 3) >>> 2);
        let bits = 0;
        let count = 0;
        let n = 0;
        for (let i = 0; i < text.length; i++) {
          const code = text.charCodeAt(i);
          const value = code < 128 ? BASE64_VALUES[code] : -1;
          if (value === -1) {
            if (text[i] === '=') {
              break;
            }
            continue; // whitespace and the like are skipped
          }
          bits = (bits << 6) | value;
          count += 6;
          if (count >= 8) {
            count -= 8;
            out[n++] = (bits >>> count) & 0xff;
          }
        }
        return out.subarray(0, n);
      }
      case 'latin1':
      case 'ascii': {
        const out = new Uint8Array(text.length);
        for (let i = 0; i < text.length; i++) {
          out[i] = text.charCodeAt(i) & 0xff;
        }
        return out;
      }
      case 'utf16le': {
        const out = new Uint8Array(text.length * 2);
        for (let i = 0; i < text.length; i++) {
          const code = text.charCodeAt(i);
          out[i * 2] = code & 0xff;
          out[i * 2 + 1] = code >>> 8;
        }
        return out;
      }
      default:
        throw new TypeError('Unknown encoding: ' + encoding);
    }
  }

  function textOf(bytes, encoding) {
    switch (encoding) {
      case 'utf8':
        return utf8Decoder.decode(bytes);
      case 'hex': {
        let out = '';
        for (let i = 0; i < bytes.length; i++) {
          out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
        }
        return out;
      }
      case 'base64':
      case 'base64url': {
        const url = encoding === 'base64url';
        const table = url ? BASE64.slice(0, 62) + '-_' : BASE64;
        let out = '';
        let i = 0;
        for (; i + 2 < bytes.length; i += 3) {
          const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
          out += table[n >>> 18] + table[(n >>> 12) & 63] + table[(n >>> 6) & 63] + table[n & 63];
        }
        if (i < bytes.length) {
          const n = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8);
          out += table[n >>> 18] + table[(n >>> 12) & 63];
          out += i + 1 < bytes.length ? table[(n >>> 6) & 63] : (url ? '' : '=');
          out += url ? '' : '=';
        }
        return out;
      }
      case 'latin1':
      case 'ascii': {
        const mask = encoding === 'ascii' ? 0x7f : 0xff;
        let out = '';
        for (let i = 0; i < bytes.length; i += 4096) {
          const chunk = Array.from(bytes.subarray(i, i + 4096), (b) => b & mask);
          out += String.fromCharCode.apply(null, chunk);
        }
        return out;
      }
      case 'utf16le': {
        let out = '';
        for (let i = 0; i + 1 < bytes.length; i += 2) {
          out += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8));
        }
        return out;
      }
      default:
        throw new TypeError('Unknown encoding: ' + encoding);
    }
  }

  class Buffer extends Uint8Array {
    static from(value, encodingOrOffset, length) {
      if (typeof value === 'string') {
        return Buffer.fromBytes(bytesOf(value, encodingOf(encodingOrOffset)));
      }
      if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
        const offset = encodingOrOffset === undefined ? 0 : Number(encodingOrOffset);
        const size = length === undefined ? value.byteLength - offset : Number(length);
        if (offset < 0 || offset > value.byteLength) {
          throw new RangeError('"offset" is outside of buffer bounds');
        }
        if (size < 0 || offset + size > value.byteLength) {
          throw new RangeError('"length" is outside of buffer bounds');
        }
        return new Buffer(value, offset, size);
      }
      if (ArrayBuffer.isView(value)) {
        return Buffer.fromBytes(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      }
      if (value !== null && typeof value === 'object') {
        if (value.type === 'Buffer' && Array.isArray(value.data)) {
          return Buffer.fromBytes(value.data);
        }
        if (typeof value.length === 'number' || Array.isArray(value)) {
          return Buffer.fromBytes(value);
        }
      }
      throw new TypeError('The first argument must be of type string or an instance of Buffer, ArrayBuffer, ' +
        'or Array or an Array-like Object. Received ' + (value === null ? 'null' : typeof value));
    }

    // A copy of `bytes` (any array-like of numbers) as a Buffer.
    static fromBytes(bytes) {
      const buffer = new Buffer(bytes.length);
      for (let i = 0; i < bytes.length; i++) {
        buffer[i] = bytes[i];
      }
      return buffer;
    }

    static alloc(size, fill, encoding) {
      const buffer = new Buffer(checkSize(size));
      if (fill !== undefined && fill !== 0) {
        buffer.fill(fill, 0, buffer.length, encoding);
      }
      return buffer;
    }

    static allocUnsafe(size) {
      return new Buffer(checkSize(size));
    }

    static allocUnsafeSlow(size) {
      return new Buffer(checkSize(size));
    }

    static isBuffer(value) {
      return value instanceof Buffer;
    }

    static isEncoding(encoding) {
      return typeof encoding === 'string' && normalize(encoding) !== null;
    }

    static byteLength(value, encoding) {
      if (typeof value !== 'string') {
        return value.byteLength;
      }
      return bytesOf(value, encodingOf(encoding)).length;
    }

    static concat(list, totalLength) {
      if (!Array.isArray(list)) {
        throw new TypeError('The "list" argument must be an instance of Array');
      }
      const total = totalLength === undefined ? list.reduce((sum, b) => sum + b.length, 0) : totalLength;
      const out = Buffer.alloc(total);
      let offset = 0;
      for (const item of list) {
        if (!(item instanceof Uint8Array)) {
          throw new TypeError('The "list" argument must contain only Buffers or Uint8Arrays');
        }
        const take = Math.min(item.length, total - offset);
        out.set(take === item.length ? item : item.subarray(0, take), offset);
        offset += take;
        if (offset >= total) {
          break;
        }
      }
      return out;
    }

    static compare(a, b) {
      return a.compare(b);
    }

    toString(encoding, start, end) {
      const from = start === undefined ? 0 : Math.max(0, start | 0);
      const to = end === undefined ? this.length : Math.min(this.length, end | 0);
      return textOf(this.subarray(from, Math.max(from, to)), encodingOf(encoding));
    }

    toJSON() {
      return { type: 'Buffer', data: Array.from(this) };
    }

    equals(other) {
      if (!(other instanceof Uint8Array)) {
        throw new TypeError('The "otherBuffer" argument must be an instance of Buffer or Uint8Array');
      }
      return this.compare(other) === 0;
    }

    compare(other) {
      const n = Math.min(this.length, other.length);
      for (let i = 0; i < n; i++) {
        if (this[i] !== other[i]) {
          return this[i] < other[i] ? -1 : 1;
        }
      }
      return this.length === other.length ? 0 : (this.length < other.length ? -1 : 1);
    }

    copy(target, targetStart = 0, sourceStart = 0, sourceEnd = this.length) {
      const bytes = this.subarray(sourceStart, Math.min(sourceEnd, sourceStart + target.length - targetStart));
      target.set(bytes, targetStart);
      return bytes.length;
    }

    // Node's slice shares memory, like subarray.
    slice(start, end) {
      return this.subarray(start, end);
    }

    write(text, offset, length, encoding) {
      if (typeof offset === 'string') {
        [encoding, offset, length] = [offset, 0, undefined];
      } else if (typeof length === 'string') {
        [encoding, length] = [length, undefined];
      }
      const at = offset === undefined ? 0 : offset;
      const bytes = bytesOf(text, encodingOf(encoding));
      const n = Math.min(bytes.length, this.length - at, length === undefined ? Infinity : length);
      this.set(bytes.subarray(0, n), at);
      return n;
    }

    fill(value, start = 0, end = this.length, encoding) {
      if (typeof start === 'string') {
        [encoding, start, end] = [start, 0, this.length];
      }
      if (typeof value === 'string') {
        const bytes = bytesOf(value, encodingOf(encoding));
        if (bytes.length === 0) {
          return super.fill(0, start, end);
        }
        for (let i = start; i < end; i++) {
          this[i] = bytes[(i - start) % bytes.length];
        }
        return this;
      }
      return super.fill(typeof value === 'number' ? value & 255 : value, start, end);
    }

    indexOf(value, byteOffset, encoding) {
      if (typeof value === 'number') {
        return super.indexOf(value & 255, byteOffset);
      }
      const needle = typeof value === 'string' ? bytesOf(value, encodingOf(encoding)) : value;
      const from = byteOffset === undefined ? 0 : byteOffset;
      outer: for (let i = Math.max(0, from); i + needle.length <= this.length; i++) {
        for (let j = 0; j < needle.length; j++) {
          if (this[i + j] !== needle[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }

    includes(value, byteOffset, encoding) {
      return this.indexOf(value, byteOffset, encoding) !== -1;
    }
  }

  function checkSize(size) {
    if (typeof size !== 'number' || size < 0 || size !== size) {
      throw new RangeError('The argument \'size\' is invalid. Received ' + String(size));
    }
    return size;
  }

  // readUInt8 .. writeDoubleBE, through a DataView of the buffer's bytes.
  const numbers = [
    ['UInt8', 'Uint8', 1], ['Int8', 'Int8', 1],
    ['UInt16', 'Uint16', 2], ['Int16', 'Int16', 2],
    ['UInt32', 'Uint32', 4], ['Int32', 'Int32', 4],
    ['Float', 'Float32', 4], ['Double', 'Float64', 8],
    ['BigUInt64', 'BigUint64', 8], ['BigInt64', 'BigInt64', 8],
  ];
  const view = (buffer) => new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  for (const [name, type, size] of numbers) {
    const ends = size === 1 ? [['', true]] : [['LE', true], ['BE', false]];
    for (const [suffix, little] of ends) {
      const check = (buffer, offset) => {
        if (offset < 0 || offset + size > buffer.length || offset !== Math.floor(offset)) {
          throw new RangeError('The value of "offset" is out of range. It must be >= 0 and <= ' +
            (buffer.length - size) + '. Received ' + offset);
        }
      };
      Buffer.prototype['read' + name + suffix] = function (offset = 0) {
        check(this, offset);
        return view(this)['get' + type](offset, little);
      };
      Buffer.prototype['write' + name + suffix] = function (value, offset = 0) {
        check(this, offset);
        view(this)['set' + type](offset, value, little);
        return offset + size;
      };
      if (name.startsWith('UInt')) {
        // Node's lowercase aliases: readUint8 and the rest.
        Buffer.prototype['readUint' + name.slice(4) + suffix] = Buffer.prototype['read' + name + suffix];
        Buffer.prototype['writeUint' + name.slice(4) + suffix] = Buffer.prototype['write' + name + suffix];
      }
    }
  }

  return Buffer;
}
