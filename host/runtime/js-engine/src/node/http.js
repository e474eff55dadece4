// Outbound HTTP for scripts: the global `fetch`, `request` (the callback
// library Auth0's templates use) and `axios`, all through the connection's
// allow-list (`wasi:http`, checked by the host). Redirects are not followed.
(function (shared, require) {
  'use strict';

  const { native, later } = shared;
  const { Buffer } = require('buffer');

  function send(method, url, headers, body) {
    const pairs = Object.entries(headers || {}).map(([k, v]) => [k, String(v)]);
    const answer = native.httpRequest(String(method || 'GET'), String(url), pairs, body);
    return {
      status: answer.status,
      headers: Object.fromEntries(answer.headers.map(([k, v]) => [k.toLowerCase(), v])),
      body: Buffer.from(answer.body),
    };
  }

  const textOf = (body) => (body === undefined || body === null ? undefined : typeof body === 'string' ? Buffer.from(body) : Buffer.from(body));

  // ---- fetch -------------------------------------------------------------

  class Headers {
    constructor(init) {
      this.map = {};
      for (const [k, v] of Object.entries(init || {})) this.map[k.toLowerCase()] = String(v);
    }
    get(name) {
      const value = this.map[String(name).toLowerCase()];
      return value === undefined ? null : value;
    }
    has(name) {
      return String(name).toLowerCase() in this.map;
    }
    forEach(fn) {
      for (const [k, v] of Object.entries(this.map)) fn(v, k, this);
    }
  }

  class Response {
    constructor(answer) {
      this.status = answer.status;
      this.ok = answer.status >= 200 && answer.status < 300;
      this.statusText = '';
      this.headers = new Headers(answer.headers);
      this._body = answer.body;
    }
    text() {
      return Promise.resolve(this._body.toString('utf8'));
    }
    json() {
      return this.text().then((text) => JSON.parse(text));
    }
    arrayBuffer() {
      return Promise.resolve(this._body.buffer.slice(this._body.byteOffset, this._body.byteOffset + this._body.length));
    }
  }

  function fetch(url, init = {}) {
    return new Promise((resolve) => {
      const headers = init.headers instanceof Headers ? init.headers.map : init.headers;
      resolve(new Response(send(init.method || 'GET', url, headers, textOf(init.body))));
    });
  }

  // ---- request -----------------------------------------------------------

  function withQuery(url, qs) {
    if (!qs) return url;
    const query = Object.entries(qs)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    return query ? `${url}${url.includes('?') ? '&' : '?'}${query}` : url;
  }

  function request(options, cb) {
    const o = typeof options === 'string' ? { url: options } : Object.assign({}, options);
    const headers = Object.assign({}, o.headers);
    let body = o.body;
    if (o.json && typeof o.json === 'object') body = o.json;
    if (o.json && body !== undefined && typeof body === 'object' && !(body instanceof Uint8Array)) {
      body = JSON.stringify(body);
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    if (o.json && !Object.keys(headers).some((k) => k.toLowerCase() === 'accept')) headers.accept = 'application/json';
    if (o.form) {
      body = Object.entries(o.form).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    if (o.auth && o.auth.bearer) headers.authorization = `Bearer ${o.auth.bearer}`;
    else if (o.auth && (o.auth.user || o.auth.username)) {
      headers.authorization = `Basic ${Buffer.from(`${o.auth.user || o.auth.username}:${o.auth.pass || o.auth.password || ''}`).toString('base64')}`;
    }
    let response;
    let error = null;
    try {
      const answer = send(o.method || 'GET', withQuery(o.url || o.uri, o.qs), headers, textOf(body));
      let parsed = answer.body.toString('utf8');
      if (o.encoding === null) parsed = answer.body;
      else if (o.json) {
        try {
          parsed = parsed === '' ? undefined : JSON.parse(parsed);
        } catch (_) {
          // request leaves a body that is not JSON as text.
        }
      }
      response = { statusCode: answer.status, headers: answer.headers, body: parsed };
    } catch (e) {
      error = e;
    }
    if (typeof cb === 'function') later((err, res) => cb(err, res, res && res.body), error, response);
    return undefined;
  }
  for (const verb of ['get', 'post', 'put', 'patch', 'head']) {
    request[verb] = (options, cb) => request(Object.assign(typeof options === 'string' ? { url: options } : options, { method: verb.toUpperCase() }), cb);
  }
  request.del = request.delete = (options, cb) => request(Object.assign(typeof options === 'string' ? { url: options } : options, { method: 'DELETE' }), cb);
  request.defaults = (defaults) => (options, cb) => request(Object.assign({}, defaults, typeof options === 'string' ? { url: options } : options), cb);

  // ---- axios -------------------------------------------------------------

  function axios(config) {
    return new Promise((resolve, reject) => {
      const c = typeof config === 'string' ? { url: config } : config;
      const headers = Object.assign({}, c.headers);
      let body = c.data;
      if (body !== undefined && typeof body === 'object' && !(body instanceof Uint8Array)) {
        body = JSON.stringify(body);
        if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
      if (c.auth) headers.authorization = `Basic ${Buffer.from(`${c.auth.username}:${c.auth.password}`).toString('base64')}`;
      const url = withQuery((c.baseURL || '') + (c.url || ''), c.params);
      const answer = send(c.method || 'GET', url, headers, textOf(body));
      let data = answer.body.toString('utf8');
      try {
        data = data === '' ? data : JSON.parse(data);
      } catch (_) {
        // axios leaves a body that is not JSON as text.
      }
      const response = { data, status: answer.status, statusText: '', headers: answer.headers, config: c };
      const valid = c.validateStatus || ((s) => s >= 200 && s < 300);
      if (valid(answer.status)) return resolve(response);
      const error = new Error(`Request failed with status code ${answer.status}`);
      error.response = response;
      error.isAxiosError = true;
      reject(error);
    });
  }
  for (const verb of ['get', 'delete', 'head']) axios[verb] = (url, config) => axios(Object.assign({}, config, { url, method: verb.toUpperCase() }));
  for (const verb of ['post', 'put', 'patch']) axios[verb] = (url, data, config) => axios(Object.assign({}, config, { url, data, method: verb.toUpperCase() }));
  axios.create = (defaults) => {
    const bound = (config) => axios(Object.assign({}, defaults, config, { headers: Object.assign({}, defaults && defaults.headers, config && config.headers) }));
    for (const verb of ['get', 'delete', 'head']) bound[verb] = (url, config) => bound(Object.assign({}, config, { url, method: verb.toUpperCase() }));
    for (const verb of ['post', 'put', 'patch']) bound[verb] = (url, data, config) => bound(Object.assign({}, config, { url, data, method: verb.toUpperCase() }));
    return bound;
  };
  axios.default = axios;

  return { fetch, Headers, Response, request, axios };
})
