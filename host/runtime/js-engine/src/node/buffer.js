// `buffer`: Node's Buffer as a Uint8Array subclass, with the encodings
// scripts use to move hashes and salts around (utf8, hex, base64,
// base64url, latin1/binary, ascii).
(function (shared) {
  'use strict';

  const { native } = shared;

  const ENCODINGS = ['utf8', 'utf-8', 'hex', 'base64', 'base64url', 'latin1', 'binary', 'ascii'];

  function encoding(name) {
    const lower = name === undefined ? 'utf8' : String(name).toLowerCase();
    if (!ENCODINGS.includes(lower)) throw new TypeError(`Unknown encoding: ${name}`);
    return lower === 'utf-8' ? 'utf8' : lower === 'binary' ? 'latin1' : lower;
  }

  class Buffer extends Uint8Array {
    static from(value, encodingOrOffset, length) {
      if (typeof value === 'string') return wrap(native.encode(value, encoding(encodingOrOffset)));
      if (value instanceof ArrayBuffer) {
        const offset = encodingOrOffset === undefined ? 0 : Number(encodingOrOffset);
        return new Buffer(value, offset, length === undefined ? value.byteLength - offset : Number(length));
      }
      if (ArrayBuffer.isView(value)) {
        const copy = new Buffer(value.byteLength);
        copy.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        return copy;
      }
      if (Array.isArray(value) || (value && typeof value.length === 'number')) {
        const copy = new Buffer(value.length);
        for (let i = 0; i < value.length; i++) copy[i] = Number(value[i]) & 255;
        return copy;
      }
      if (value && value.type === 'Buffer' && Array.isArray(value.data)) return Buffer.from(value.data);
      throw new TypeError('The first argument must be a string, Buffer, ArrayBuffer, Array, or array-like object.');
    }

    static alloc(size, fill, enc) {
      const buffer = new Buffer(Number(size));
      if (fill !== undefined) buffer.fill(typeof fill === 'string' ? Buffer.from(fill, enc)[0] : fill);
      return buffer;
    }

    static allocUnsafe(size) {
      return new Buffer(Number(size));
    }

    static isBuffer(value) {
      return value instanceof Buffer;
    }

    static isEncoding(name) {
      return typeof name === 'string' && ENCODINGS.includes(name.toLowerCase());
    }

    static byteLength(value, enc) {
      if (typeof value === 'string') return native.encode(value, encoding(enc)).length;
      return value.byteLength;
    }

    static concat(list, totalLength) {
      const total = totalLength === undefined ? list.reduce((n, b) => n + b.length, 0) : Number(totalLength);
      const out = new Buffer(total);
      let at = 0;
      for (const part of list) {
        if (at >= total) break;
        out.set(part.subarray(0, total - at), at);
        at += part.length;
      }
      return out;
    }

    static compare(a, b) {
      return a.compare(b);
    }

    toString(enc, start, end) {
      const view = start === undefined && end === undefined ? this : this.subarray(start || 0, end === undefined ? this.length : end);
      return native.decode(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), encoding(enc));
    }

    toJSON() {
      return { type: 'Buffer', data: Array.from(this) };
    }

    equals(other) {
      return this.compare(other) === 0;
    }

    compare(other) {
      const n = Math.min(this.length, other.length);
      for (let i = 0; i < n; i++) {
        if (this[i] !== other[i]) return this[i] < other[i] ? -1 : 1;
      }
      return this.length === other.length ? 0 : this.length < other.length ? -1 : 1;
    }

    slice(start, end) {
      return this.subarray(start, end);
    }

    write(string, offset, length, enc) {
      const bytes = Buffer.from(string, enc);
      const at = offset === undefined ? 0 : Number(offset);
      const count = Math.min(bytes.length, length === undefined ? this.length - at : Number(length), this.length - at);
      this.set(bytes.subarray(0, count), at);
      return count;
    }

    readUInt8(offset = 0) { return this[offset]; }
    readUInt32BE(offset = 0) { return new DataView(this.buffer, this.byteOffset).getUint32(offset, false); }
    readUInt32LE(offset = 0) { return new DataView(this.buffer, this.byteOffset).getUint32(offset, true); }
    readInt32BE(offset = 0) { return new DataView(this.buffer, this.byteOffset).getInt32(offset, false); }
    readInt32LE(offset = 0) { return new DataView(this.buffer, this.byteOffset).getInt32(offset, true); }
  }

  function wrap(bytes) {
    return new Buffer(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  return { Buffer, isBuffer: Buffer.isBuffer, constants: { MAX_LENGTH: 2 ** 31 - 1 } };
})
