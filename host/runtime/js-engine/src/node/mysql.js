// `mysql` and `mysql2`: createConnection, createPool, query with `?` and
// `??` placeholders (an object for `SET ?`, arrays for `IN (?)`), callback
// and promise forms, over the connection's MySQL data source (see
// `datasource` in the prelude). Values bind as parameters (never spliced
// into the statement); rows come back as mysql gives them (DATETIME as
// Date, DECIMAL as a string, TINYINT(1) as 0/1, blobs as Buffer).
(function (shared, require) {
  'use strict';

  const { native, datasource, rowObjects, attempt } = shared;
  const { Buffer } = require('buffer');

  const pad = (n, width = 2) => String(n).padStart(width, '0');

  // mysql's own text for a Date (local time, which is UTC here).
  function dateText(d) {
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }

  function param(value) {
    if (value === undefined) return null;
    if (value instanceof Date) return dateText(value);
    if (value instanceof Uint8Array || typeof value !== 'object' || value === null) return value;
    return JSON.stringify(value);
  }

  const identifier = (name) => '`' + String(name).replace(/`/g, '``') + '`';

  // Expands `??` to identifiers and `?` to parameter markers, as mysql's
  // format does, outside quoted text.
  function expand(sql, values) {
    const params = [];
    let at = 0;
    const next = () => values[at++];
    let out = '';
    let quote = null;
    for (let i = 0; i < sql.length; i++) {
      const c = sql[i];
      if (quote) {
        out += c;
        if (c === '\\') out += sql[++i] || '';
        else if (c === quote) quote = null;
        continue;
      }
      if (c === "'" || c === '"' || c === '`') {
        quote = c;
        out += c;
        continue;
      }
      if (c !== '?') {
        out += c;
        continue;
      }
      if (sql[i + 1] === '?') {
        i++;
        const name = next();
        out += Array.isArray(name) ? name.map(identifier).join(', ') : identifier(name);
        continue;
      }
      const value = next();
      if (Array.isArray(value)) {
        out += value
          .map((item) => {
            if (Array.isArray(item)) {
              params.push(...item.map(param));
              return `(${item.map(() => '?').join(', ')})`;
            }
            params.push(param(item));
            return '?';
          })
          .join(', ');
      } else if (value && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Uint8Array)) {
        const keys = Object.keys(value).filter((k) => typeof value[k] !== 'function');
        out += keys.map((k) => `${identifier(k)} = ?`).join(', ');
        params.push(...keys.map((k) => param(value[k])));
      } else {
        params.push(param(value));
        out += '?';
      }
    }
    return [out, params];
  }

  function convert(value, type) {
    if (value === null) return null;
    switch (type) {
      case 'DATETIME': case 'TIMESTAMP': return new Date(value.replace(' ', 'T'));
      case 'DATE': return new Date(`${value}T00:00:00`);
      case 'BOOLEAN': return value ? 1 : 0;
      case 'BLOB': case 'TINYBLOB': case 'MEDIUMBLOB': case 'LONGBLOB': case 'BINARY': case 'VARBINARY':
        return Buffer.from(value);
      default: return value;
    }
  }

  const RETURNS_ROWS = /^\s*(?:\(\s*)*(select|with|values|show|table|explain|describe|desc)\b/i;

  function failure(error) {
    const failed = new Error(error.message);
    failed.kind = error.kind;
    failed.fatal = false;
    if (error.kind === 'unique-violation') {
      failed.code = 'ER_DUP_ENTRY';
      failed.errno = 1062;
    } else if (error.kind === 'timeout') {
      failed.code = 'PROTOCOL_SEQUENCE_TIMEOUT';
    } else if (error.kind === 'unavailable') {
      failed.code = 'ECONNREFUSED';
      failed.fatal = true;
    }
    return failed;
  }

  function run(source, sql, values) {
    const [text, params] = expand(String(sql), values);
    try {
      if (RETURNS_ROWS.test(text)) {
        const answer = native.sqlRun(source, text, params, true);
        const rows = rowObjects(answer, convert);
        return [rows, answer.columns.map((name, i) => ({ name, type: answer.types[i] }))];
      }
      const changed = native.sqlRun(source, text, params, false);
      const ok = { fieldCount: 0, affectedRows: changed, insertId: 0, serverStatus: 2, warningCount: 0, message: '', protocol41: true, changedRows: changed };
      return [ok, undefined];
    } catch (error) {
      throw failure(error);
    }
  }

  function queryArgs(sql, values, cb) {
    if (sql && typeof sql === 'object') {
      const callback = typeof values === 'function' ? values : cb;
      return [sql.sql, sql.values !== undefined ? sql.values : Array.isArray(values) ? values : [], callback];
    }
    if (typeof values === 'function') return [sql, [], values];
    if (values === undefined) return [sql, [], cb];
    return [sql, Array.isArray(values) ? values : [values], cb];
  }

  class Connection {
    constructor(config, promises) {
      this.database = config && typeof config === 'object' ? config.database : databaseOfUrl(config);
      this.promises = promises;
      this.source = null;
    }

    _source() {
      if (this.source === null) this.source = datasource('mysql', this.database, "require('mysql')");
      return this.source;
    }

    _settle(cb, work, both) {
      const [error, result] = attempt(work);
      if (typeof cb === 'function') {
        Promise.resolve()
          .then(() => (both && result ? cb(error, result[0], result[1]) : cb(error, result)))
          .catch(shared.uncaught);
        return this.promises ? undefined : this;
      }
      if (this.promises) return error ? Promise.reject(error) : Promise.resolve(result);
      return this;
    }

    connect(cb) {
      return this._settle(cb, () => {
        this._source();
        return undefined;
      });
    }

    query(sql, values, cb) {
      const [text, params, callback] = queryArgs(sql, values, cb);
      return this._settle(callback, () => run(this._source(), text, params), true);
    }

    execute(sql, values, cb) {
      return this.query(sql, values, cb);
    }

    getConnection(cb) {
      return this._settle(cb, () => {
        this._source();
        const connection = new Connection({ database: this.database }, this.promises);
        connection.source = this.source;
        return connection;
      });
    }

    escape(value) {
      if (value === null || value === undefined) return 'NULL';
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return `'${String(value instanceof Date ? dateText(value) : value).replace(/[\0\n\r\b\t\\'"\x1a]/g, (c) => '\\' + c)}'`;
    }

    escapeId(name) {
      return identifier(name);
    }

    end(cb) {
      return this._settle(cb, () => undefined);
    }

    release() {}
    destroy() {}
    on() {
      return this;
    }
  }

  function databaseOfUrl(config) {
    if (typeof config !== 'string') return undefined;
    const match = /^[a-z0-9+.-]+:\/\/[^/]*\/([^/?#]+)/i.exec(config);
    return match ? decodeURIComponent(match[1]) : undefined;
  }

  const api = (promises) => ({
    createConnection: (config) => new Connection(config, promises),
    createPool: (config) => new Connection(config, promises),
    escape: (value) => Connection.prototype.escape(value),
    escapeId: identifier,
  });

  const mysql = api(false);
  mysql.promise = api(true);
  return mysql;
})
