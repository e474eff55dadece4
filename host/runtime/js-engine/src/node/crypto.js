// `crypto`: the hashing, HMAC, key derivation and randomness legacy user
// stores need (md5, sha1, sha256, sha384, sha512; pbkdf2; randomBytes,
// randomUUID; timingSafeEqual), computed in the sandbox.
(function (shared, require) {
  'use strict';

  const { native, later, attempt } = shared;

  const { Buffer } = require('buffer');
  const bytes = (data, enc) => (typeof data === 'string' ? Buffer.from(data, enc) : Buffer.from(data));
  const out = (raw, enc) => {
    const buffer = Buffer.from(raw);
    return enc === undefined || enc === 'buffer' ? buffer : buffer.toString(enc);
  };

  class Hash {
    constructor(algorithm, key) {
      this.algorithm = String(algorithm).toLowerCase();
      this.key = key;
      this.parts = [];
      native.digest(this.algorithm, new Uint8Array(0));
    }

    update(data, enc) {
      this.parts.push(bytes(data, enc));
      return this;
    }

    digest(enc) {
      const data = Buffer.concat(this.parts);
      const raw = this.key === undefined ? native.digest(this.algorithm, data) : native.hmac(this.algorithm, this.key, data);
      return out(raw, enc);
    }
  }

  function pbkdf2Sync(password, salt, iterations, keylen, digest) {
    return out(native.pbkdf2(bytes(password), bytes(salt), Number(iterations), Number(keylen), String(digest || 'sha1').toLowerCase()));
  }

  function randomBytes(size, cb) {
    const result = out(native.randomBytes(Number(size)));
    if (typeof cb === 'function') {
      later(cb, null, result);
      return undefined;
    }
    return result;
  }

  function randomUUID() {
    const b = Buffer.from(native.randomBytes(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function timingSafeEqual(a, b) {
    if (a.byteLength !== b.byteLength) throw new RangeError('Input buffers must have the same byte length');
    let diff = 0;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
    return diff === 0;
  }

  return {
    createHash: (algorithm) => new Hash(algorithm),
    createHmac: (algorithm, key) => new Hash(algorithm, bytes(key)),
    pbkdf2Sync,
    pbkdf2: (password, salt, iterations, keylen, digest, cb) => {
      const [failure, result] = attempt(() => pbkdf2Sync(password, salt, iterations, keylen, digest));
      later(cb, failure, result);
    },
    randomBytes,
    randomUUID,
    timingSafeEqual,
    getHashes: () => ['md5', 'sha1', 'sha256', 'sha384', 'sha512'],
  };
})
