// `pg` (node-postgres): Client, Pool and the old `pg.connect`, in callback
// and promise forms, over the connection's PostgreSQL data source (see
// `datasource` in the prelude). Parameters go untyped, as node-postgres
// sends them, so PostgreSQL types them from the statement; values come back
// as node-postgres gives them (int8 and numeric as strings, timestamps as
// Date, json parsed, bytea as Buffer).
(function (shared, require) {
  'use strict';

  const { native, datasource, rowObjects, later, attempt } = shared;
  const { Buffer } = require('buffer');

  // The database a connection string or config names, if any.
  function databaseOf(config) {
    if (config && typeof config === 'object') {
      return config.database !== undefined ? String(config.database) : databaseOf(config.connectionString);
    }
    if (typeof config !== 'string') return undefined;
    const path = config.replace(/^[a-z0-9+.-]+:\/\/[^/]*/i, '');
    const match = /^\/([^/?#]+)/.exec(path);
    return match ? decodeURIComponent(match[1]) : undefined;
  }

  function arrayLiteral(values) {
    const items = values.map((v) => {
      if (v === null || v === undefined) return 'NULL';
      if (Array.isArray(v)) return arrayLiteral(v);
      const text = prepare(v);
      return `"${String(text).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    });
    return `{${items.join(',')}}`;
  }

  // node-postgres's prepareValue.
  function prepare(value) {
    if (value === null || value === undefined) return null;
    if (value instanceof Uint8Array) return value;
    if (value instanceof Date) return value.toISOString();
    if (Array.isArray(value)) return arrayLiteral(value);
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  function convert(value, type) {
    if (value === null) return null;
    switch (type) {
      case 'INT8': return String(value);
      case 'TIMESTAMPTZ': case 'TIMESTAMP': return new Date(value);
      case 'DATE': return new Date(`${value}T00:00:00`);
      case 'JSON': case 'JSONB': return JSON.parse(value);
      case 'BYTEA': return Buffer.from(value);
      default: return value;
    }
  }

  const RETURNS_ROWS = /^\s*(?:\(\s*)*(select|with|values|show|table|explain)\b/i;

  function failure(error) {
    const failed = new Error(error.message);
    failed.severity = 'ERROR';
    if (error.kind === 'unique-violation') failed.code = '23505';
    else if (error.kind === 'timeout') failed.code = '57014';
    failed.kind = error.kind;
    return failed;
  }

  function execute(source, text, values) {
    const params = (values || []).map(prepare);
    const command = (/^\s*(?:\(\s*)*([a-z]+)/i.exec(text) || [])[1];
    const upper = command ? command.toUpperCase() : '';
    try {
      if (RETURNS_ROWS.test(text) || /\breturning\b/i.test(text)) {
        const answer = native.sqlRun(source, text, params, true);
        const rows = rowObjects(answer, convert);
        const fields = answer.columns.map((name, i) => ({ name, dataTypeName: answer.types[i].toLowerCase() }));
        return { command: upper, rowCount: rows.length, rows, fields };
      }
      const changed = native.sqlRun(source, text, params, false);
      return { command: upper, rowCount: changed, rows: [], fields: [] };
    } catch (error) {
      throw failure(error);
    }
  }

  // Node calls back on a later turn; so do these.
  function settle(cb, work) {
    const [error, result] = attempt(work);
    if (typeof cb === 'function') {
      later(cb, error, result);
      return undefined;
    }
    return error ? Promise.reject(error) : Promise.resolve(result);
  }

  function queryArgs(config, values, cb) {
    if (typeof config === 'object' && config !== null) {
      const callback = typeof values === 'function' ? values : cb || config.callback;
      return [config.text, config.values || (Array.isArray(values) ? values : []), callback];
    }
    if (typeof values === 'function') return [config, [], values];
    return [config, values || [], cb];
  }

  class Client {
    constructor(config) {
      this.database = databaseOf(config);
      this.source = null;
    }

    _source() {
      if (this.source === null) this.source = datasource('postgres', this.database, "require('pg')");
      return this.source;
    }

    connect(cb) {
      return settle(cb, () => {
        this._source();
        return this;
      });
    }

    query(config, values, cb) {
      const [text, params, callback] = queryArgs(config, values, cb);
      return settle(callback, () => execute(this._source(), String(text), params));
    }

    end(cb) {
      return settle(cb, () => undefined);
    }

    release() {}

    on() {
      return this;
    }
  }

  class Pool extends Client {
    connect(cb) {
      return settle(cb, () => {
        this._source();
        const client = new Client();
        client.source = this.source;
        return client;
      });
    }
  }

  // pg's old module-level `connect(config, (err, client, done) => ...)`.
  function connect(config, cb) {
    const client = new Client(config);
    const [error] = attempt(() => client._source());
    Promise.resolve()
      .then(() => cb(error, error ? undefined : client, () => {}))
      .catch(shared.uncaught);
  }

  // Callable as `pg(conString, cb)` too: Auth0's own `delete` template
  // calls the module that way.
  const pg = (config, cb) => connect(config, cb);
  return Object.assign(pg, {
    Client,
    Pool,
    connect,
    defaults: {},
    types: { setTypeParser() {}, getTypeParser() { return (v) => v; } },
  });
})
