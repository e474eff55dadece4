// The Node.js surface Auth0 custom-database scripts rely on: the globals
// Auth0's sandbox gives them (configuration, console, Buffer, timers, the
// error classes, require), built over the engine's natives. Evaluated once
// per engine, before any call: nothing here may read or keep call data
// (configuration is read on first use in each call).
(function (native, modules) {
  'use strict';

  // ---- Auth0's error classes -------------------------------------------

  class WrongUsernameOrPasswordError extends Error {
    constructor(emailOrId, message) {
      super(message === undefined ? '' : String(message));
      this.name = 'WrongUsernameOrPasswordError';
      this.user_id = emailOrId;
    }
  }

  class ValidationError extends Error {
    constructor(code, message) {
      super(message === undefined ? '' : String(message));
      this.name = 'ValidationError';
      this.code = code;
    }
  }

  class UnauthorizedError extends Error {
    constructor(message) {
      super(message === undefined ? '' : String(message));
      this.name = 'UnauthorizedError';
    }
  }

  // ---- formatting (console, errors) -----------------------------------

  function inspect(value) {
    if (typeof value === 'string') return value;
    if (value instanceof Error) return value.stack ? `${value.name}: ${value.message}\n${value.stack}`.trim() : `${value.name}: ${value.message}`;
    if (typeof value === 'function') return `[Function: ${value.name || 'anonymous'}]`;
    if (typeof value === 'bigint') return `${value}n`;
    if (value === undefined || typeof value === 'symbol') return String(value);
    try {
      const json = JSON.stringify(value);
      return json === undefined ? String(value) : json;
    } catch (_) {
      return String(value);
    }
  }

  // Node's util.format: %s %d %i %f %j %o %O %% in a leading string.
  function format(...args) {
    if (typeof args[0] !== 'string') return args.map(inspect).join(' ');
    let rest = args.slice(1);
    const head = args[0].replace(/%([sdifjoO%])/g, (match, kind) => {
      if (kind === '%') return '%';
      if (rest.length === 0) return match;
      const value = rest.shift();
      switch (kind) {
        case 's': return typeof value === 'string' ? value : inspect(value);
        case 'd': case 'i': return String(kind === 'i' ? parseInt(value, 10) : Number(value));
        case 'f': return String(parseFloat(value));
        default: return inspect(value);
      }
    });
    return [head, ...rest.map(inspect)].join(' ');
  }

  // The first frame of a stack: " (login.js:3)" or "".
  function where(error) {
    const stack = error && typeof error.stack === 'string' ? error.stack : '';
    const frame = /\(?([^\s()]+\.js):(\d+)(?::\d+)?\)?/.exec(stack);
    return frame ? ` (${frame[1]}:${frame[2]})` : '';
  }

  function describe(error) {
    if (error instanceof Error || (error && typeof error.message === 'string')) {
      const name = error.name || 'Error';
      return `${name}: ${error.message}${where(error)}`;
    }
    return inspect(error);
  }

  const LEVELS = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };
  const console = {
    log: (...a) => native.log(LEVELS.info, format(...a)),
    info: (...a) => native.log(LEVELS.info, format(...a)),
    debug: (...a) => native.log(LEVELS.debug, format(...a)),
    trace: (...a) => native.log(LEVELS.trace, format(...a)),
    warn: (...a) => native.log(LEVELS.warn, format(...a)),
    error: (...a) => native.log(LEVELS.error, format(...a)),
  };

  // ---- timers ----------------------------------------------------------

  const timers = new Map();
  let nextTimer = 1;

  function schedule(fn, ms, args, every) {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
    const delay = Math.max(0, Number(ms) || 0);
    const id = nextTimer++;
    timers.set(id, { due: Date.now() + delay, fn, args, every: every ? Math.max(1, delay) : 0 });
    return id;
  }

  const setTimeout = (fn, ms, ...args) => schedule(fn, ms, args, false);
  const setInterval = (fn, ms, ...args) => schedule(fn, ms, args, true);
  const setImmediate = (fn, ...args) => schedule(fn, 0, args, false);
  const clearTimeout = (id) => { timers.delete(id); };

  // Runs the timer due first, waiting for it; false when none is left.
  function runTimer() {
    let first = null;
    for (const entry of timers) {
      if (first === null || entry[1].due < first[1].due) first = entry;
    }
    if (first === null) return false;
    const [id, timer] = first;
    const wait = timer.due - Date.now();
    if (wait > 0) native.sleep(wait);
    if (timer.every) timer.due = Date.now() + timer.every;
    else timers.delete(id);
    try {
      timer.fn(...timer.args);
    } catch (error) {
      uncaught(error);
    }
    return true;
  }

  // ---- the call: callback and outcome ----------------------------------

  let settled = false;

  function uncaught(error) {
    if (settled) {
      native.log(LEVELS.error, `uncaught after the callback: ${describe(error)}`);
      return;
    }
    settled = true;
    native.fail('failed', describe(error), null);
  }

  function callback(error, value) {
    if (settled) {
      native.log(LEVELS.warn, 'the callback was called again; only its first call counts');
      return;
    }
    settled = true;
    if (error !== null && error !== undefined) {
      const name = error && error.name;
      const message = error && error.message !== undefined ? String(error.message) : inspect(error);
      if (name === 'WrongUsernameOrPasswordError') {
        const id = error.user_id;
        native.fail('wrong_credentials', id === undefined || id === null ? null : String(id), message || null);
      } else if (name === 'ValidationError') {
        native.fail('validation', String(error.code === undefined ? 'invalid' : error.code), message);
      } else if (name === 'UnauthorizedError') {
        native.fail('unauthorized', message, null);
      } else {
        native.fail('failed', error instanceof Error ? describe(error) : message, null);
      }
      return;
    }
    let json;
    try {
      json = JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
    } catch (e) {
      native.fail('failed', `the value given to the callback is not JSON: ${describe(e)}`, null);
      return;
    }
    native.succeed(json === undefined ? null : json);
  }

  // Auth0's `context` argument, for scripts that declare it before the callback.
  const context = Object.freeze({ request: Object.freeze({}), connection: Object.freeze({}) });

  function invoke(fn, args, declared) {
    if (typeof fn !== 'function') {
      settled = true;
      native.fail('failed', 'the script is not a function expression (`function login(email, password, callback) { ... }`)', null);
      return;
    }
    const full = fn.length > declared + 1 ? [...args, context, callback] : [...args, callback];
    try {
      const returned = fn.apply(globalThis, full);
      if (returned && typeof returned.then === 'function') returned.then(undefined, uncaught);
    } catch (error) {
      uncaught(error);
    }
  }

  // ---- globals ---------------------------------------------------------

  let configuration;
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });

  Object.defineProperty(globalThis, 'configuration', {
    get() {
      if (configuration === undefined) configuration = Object.freeze(native.configuration());
      return configuration;
    },
    set(value) {
      configuration = value;
    },
    configurable: false,
    enumerable: false,
  });

  Math.random = native.random;
  define('global', globalThis);
  define('console', console);
  define('setTimeout', setTimeout);
  define('setInterval', setInterval);
  define('setImmediate', setImmediate);
  define('clearTimeout', clearTimeout);
  define('clearInterval', clearTimeout);
  define('clearImmediate', clearTimeout);
  define('WrongUsernameOrPasswordError', WrongUsernameOrPasswordError);
  define('ValidationError', ValidationError);
  define('UnauthorizedError', UnauthorizedError);
  define('process', Object.freeze({
    env: Object.freeze({}),
    nextTick: (fn, ...args) => { Promise.resolve().then(() => fn(...args)).catch(uncaught); },
    version: 'v18.0.0',
    versions: Object.freeze({ node: '18.0.0' }),
    platform: 'authbox',
  }));

  // The data source a `pg` or `mysql` client uses: the connection's only
  // one of that driver, or the one named like the database the script
  // names (`postgres://.../users`, `{ database: 'users' }`). The host,
  // credentials and options written in the script are never used.
  function datasource(driver, database, module) {
    const all = native.sqlDatasources();
    const mine = all.filter((d) => d.driver === driver);
    const named = mine.find((d) => d.name === database);
    if (named) return named.name;
    if (mine.length === 1) return mine[0].name;
    const listed = all.map((d) => `${d.name} (${d.driver})`).join(', ') || 'none';
    if (mine.length === 0) {
      throw new Error(`${module}: this connection has no ${driver} data source (it has: ${listed}); add one to its data sources`);
    }
    throw new Error(`${module}: this connection has ${mine.length} ${driver} data sources (${listed}); name the one to use as the database (${database === undefined ? 'none was named' : `not ${database}`})`);
  }

  // Calls a Node-style callback on a later turn, as Node's I/O does; what
  // it throws is the script's uncaught exception.
  function later(cb, error, result) {
    Promise.resolve()
      .then(() => cb(error, result))
      .catch(uncaught);
  }

  // A query's rows as objects by column name, each value through
  // `convert(value, columnType)`.
  function rowObjects(answer, convert) {
    return answer.rows.map((row) => {
      const object = {};
      answer.columns.forEach((name, i) => {
        object[name] = convert(row[i], answer.types[i]);
      });
      return object;
    });
  }

  // `[error, result]` of `work()`: what a Node-style callback gets.
  function attempt(work) {
    try {
      return [null, work()];
    } catch (error) {
      return [error, undefined];
    }
  }

  const shared = { native, format, inspect, describe, uncaught, datasource, later, attempt, rowObjects };
  const loaded = new Map();
  // Names scripts require that are part of another module: [module, export].
  const aliases = {
    bcryptjs: ['bcrypt'],
    mysql2: ['mysql'],
    'mysql2/promise': ['mysql', 'promise'],
    request: ['authbox:http', 'request'],
    axios: ['authbox:http', 'axios'],
    'node-fetch': ['authbox:http', 'fetch'],
  };

  function load(key) {
    if (!loaded.has(key)) loaded.set(key, modules[key](shared, load));
    return loaded.get(key);
  }

  function require(name) {
    const bare = typeof name === 'string' && name.startsWith('node:') ? name.slice(5) : name;
    const alias = aliases[bare];
    if (alias) return alias.length === 1 ? load(alias[0]) : load(alias[0])[alias[1]];
    if (typeof bare !== 'string' || bare.startsWith('authbox:') || typeof modules[bare] !== 'function') {
      const supported = Object.keys(modules)
        .filter((m) => !m.startsWith('authbox:'))
        .concat(Object.keys(aliases))
        .sort()
        .join(', ');
      throw new Error(`Cannot find module '${name}': authbox scripts may require ${supported}`);
    }
    return load(bare);
  }
  define('require', require);

  define('Buffer', load('buffer').Buffer);
  define('fetch', load('authbox:http').fetch);

  return { invoke, runTimer };
});
