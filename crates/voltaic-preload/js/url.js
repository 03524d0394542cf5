// require('url') in a preload: the WHATWG URL classes, and Node's helpers between
// file URLs and paths (POSIX paths: WebKitGTK runs on Linux).

/* exported voltaicUrl */

function voltaicUrl() {
  'use strict';
  const URLCtor = URL;

  function fileURLToPath(value) {
    const url = typeof value === 'string' ? new URLCtor(value) : value;
    if (!(url instanceof URLCtor)) {
      throw new TypeError('The "path" argument must be of type string or an instance of URL. Received ' + typeof value);
    }
    if (url.protocol !== 'file:') {
      throw new TypeError('The URL must be of scheme file');
    }
    if (url.hostname !== '') {
      throw new TypeError('File URL host must be "localhost" or empty on linux');
    }
    if (/%2f/i.test(url.pathname)) {
      throw new TypeError('File URL path must not include encoded / characters');
    }
    return decodeURIComponent(url.pathname);
  }

  function pathToFileURL(path) {
    if (typeof path !== 'string') {
      throw new TypeError('The "path" argument must be of type string. Received ' + typeof path);
    }
    if (!path.startsWith('/')) {
      throw new TypeError('pathToFileURL in a preload needs an absolute path; there is no working directory to resolve ' + JSON.stringify(path) + ' against');
    }
    // Percent-encode what a URL would otherwise read as syntax.
    const encoded = path.replace(/%/g, '%25').replace(/\\/g, '%5C').replace(/\n/g, '%0A')
      .replace(/\r/g, '%0D').replace(/\t/g, '%09').replace(/#/g, '%23').replace(/\?/g, '%3F');
    return new URLCtor('file://' + encoded);
  }

  function format(value) {
    if (value instanceof URLCtor || typeof value === 'string') {
      return String(value);
    }
    const protocol = value.protocol ? (value.protocol.endsWith(':') ? value.protocol : value.protocol + ':') : '';
    const slashes = value.slashes || /^(https?|ftp|file|wss?):$/.test(protocol) ? '//' : '';
    const auth = value.auth ? value.auth + '@' : '';
    const host = value.host || (value.hostname ? value.hostname + (value.port ? ':' + value.port : '') : '');
    const search = value.search || (value.query && typeof value.query === 'object'
      ? '?' + new URLSearchParams(value.query).toString() : (value.query ? '?' + value.query : ''));
    return protocol + slashes + auth + host + (value.pathname || '') + search + (value.hash || '');
  }

  // The legacy url.parse, for absolute URLs, through the WHATWG parser.
  function parse(text) {
    const url = new URLCtor(text);
    return {
      protocol: url.protocol, slashes: true, auth: url.username ? url.username + (url.password ? ':' + url.password : '') : null,
      host: url.host, port: url.port || null, hostname: url.hostname, hash: url.hash || null,
      search: url.search || null, query: url.search ? url.search.slice(1) : null,
      pathname: url.pathname, path: url.pathname + url.search, href: url.href,
    };
  }

  return {
    URL: URLCtor,
    URLSearchParams,
    fileURLToPath,
    pathToFileURL,
    format,
    parse,
    domainToASCII: (domain) => new URLCtor('http://' + domain).hostname,
  };
}
