// require('electron').webFrame and webUtils, for the preload's frame (the window's
// top frame). WebKitGTK lets only the main process zoom a web view, add a style
// sheet the page's DOM cannot see, or run script in the page's world past its
// Content-Security-Policy, so each call is a request to the main process: an
// XMLHttpRequest carrying the window's token, which the page does not know.

/* exported voltaicWebFrame */

function voltaicWebFrame(config) {
  'use strict';
  const apply = Reflect.apply;
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const freeze = Object.freeze;
  const log = Math.log;
  const pow = Math.pow;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const PromiseCtor = Promise;
  const XHRCtor = XMLHttpRequest;
  const xhrOpen = XMLHttpRequest.prototype.open;
  const xhrSetHeader = XMLHttpRequest.prototype.setRequestHeader;
  const xhrSend = XMLHttpRequest.prototype.send;
  const listen = EventTarget.prototype.addEventListener;
  const FileCtor = File;
  const isArray = Array.isArray;
  // Electron's zoom levels: each level scales by 1.2, level 0 being 100 %.
  const ZOOM_STEP = 1.2;

  function open(async) {
    const request = new XHRCtor();
    apply(xhrOpen, request, ['POST', config.webFrameUrl, async]);
    apply(xhrSetHeader, request, ['X-Voltaic-Token', config.syncToken]);
    return request;
  }

  function outcome(request) {
    if (request.status !== 200) {
      throw new ErrorCtor('webFrame: the main process refused the request (HTTP ' + request.status + ')');
    }
    const answer = parse(request.responseText);
    if (answer.err !== undefined) {
      throw new ErrorCtor(answer.err);
    }
    return answer.ok;
  }

  // Zoom and CSS: answered by the main process at once, without the web process.
  function now(message) {
    const request = open(false);
    apply(xhrSend, request, [stringify(message)]);
    return outcome(request);
  }

  function later(message) {
    return new PromiseCtor((resolve, reject) => {
      const request = open(true);
      apply(listen, request, ['loadend', () => {
        try {
          resolve(outcome(request));
        } catch (error) {
          reject(error);
        }
      }]);
      apply(xhrSend, request, [stringify(message)]);
    });
  }

  function setZoomFactor(factor) {
    if (typeof factor !== 'number' || !(factor > 0) || factor === Infinity) {
      throw new ErrorCtor("'zoomFactor' must be a double greater than 0.0");
    }
    now({ op: 'set-zoom', factor });
  }

  let nextSheet = 1;

  const webFrame = freeze({
    /** Sets the window's zoom factor (1 is 100 %), clamped to 0.25–5 as in Chromium. */
    setZoomFactor,
    /** The window's zoom factor. */
    getZoomFactor() {
      return now({ op: 'get-zoom' });
    },
    /** Sets the zoom level: 0 is 100 %, each step up or down scales by 1.2. */
    setZoomLevel(level) {
      if (typeof level !== 'number' || level !== level) {
        throw new TypeErrorCtor('webFrame.setZoomLevel: the level must be a number');
      }
      setZoomFactor(pow(ZOOM_STEP, level));
    },
    /** The zoom level: 0 is 100 %. */
    getZoomLevel() {
      return log(now({ op: 'get-zoom' })) / log(ZOOM_STEP);
    },
    /**
     * Inserts CSS into the document as a style sheet the page's DOM does not see;
     * returns the key that removeInsertedCSS takes. It goes with the document.
     */
    insertCSS(css, options) {
      if (typeof css !== 'string') {
        throw new TypeErrorCtor('webFrame.insertCSS: the CSS must be a string');
      }
      const origin = options === undefined || options === null ? 'author' : options.cssOrigin;
      if (origin !== undefined && origin !== 'author' && origin !== 'user') {
        throw new TypeErrorCtor("webFrame.insertCSS: cssOrigin must be 'user' or 'author'");
      }
      const key = 'voltaic-css-' + nextSheet++;
      now({ op: 'insert-css', key, css, user: origin === 'user' });
      return key;
    },
    /** Removes CSS that insertCSS inserted. */
    removeInsertedCSS(key) {
      if (typeof key !== 'string') {
        throw new TypeErrorCtor('webFrame.removeInsertedCSS: the key must be a string');
      }
      now({ op: 'remove-css', key });
    },
    /**
     * Runs `code` in the page's world; the promise settles with its result (a
     * promise it gives is awaited), copied as JSON, or with its exception. The
     * callback, if any, gets (result, error) as in Electron.
     */
    executeJavaScript(code, userGesture, callback) {
      if (typeof code !== 'string') {
        return PromiseCtor.reject(new TypeErrorCtor('webFrame.executeJavaScript: the code must be a string'));
      }
      return withCallback(later({ op: 'execute', code }), userGesture, callback);
    },
    /**
     * Runs each of `scripts` ({ code }) in isolated world `worldId`, one after the
     * other; the promise settles with the last one's result, as executeJavaScript's
     * does. The world must be one the window names in WebPreferences::isolated_worlds
     * (0 is the page's own).
     */
    executeJavaScriptInIsolatedWorld(worldId, scripts, userGesture, callback) {
      if (typeof worldId !== 'number' || !isArray(scripts)) {
        return PromiseCtor.reject(new TypeErrorCtor('webFrame.executeJavaScriptInIsolatedWorld: expected (worldId, [{ code }])'));
      }
      const codes = [];
      for (let i = 0; i < scripts.length; i++) {
        const code = scripts[i] !== null && typeof scripts[i] === 'object' ? scripts[i].code : undefined;
        if (typeof code !== 'string') {
          return PromiseCtor.reject(new TypeErrorCtor('webFrame.executeJavaScriptInIsolatedWorld: each script needs its code as a string'));
        }
        codes.push(code);
      }
      let result = PromiseCtor.resolve(undefined);
      for (let i = 0; i < codes.length; i++) {
        result = apply(PromiseCtor.prototype.then, result, [() => later({ op: 'execute', code: codes[i], world: worldId })]);
      }
      return withCallback(result, userGesture, callback);
    },
    /**
     * Accepted for Electron's preloads, and does nothing: a WebKitGTK script world
     * has no name, origin or Content-Security-Policy of its own to set.
     */
    setIsolatedWorldInfo(worldId, info) {
      if (typeof worldId !== 'number' || info === null || typeof info !== 'object') {
        throw new TypeErrorCtor('webFrame.setIsolatedWorldInfo: expected (worldId, { name, securityOrigin, csp })');
      }
    },
  });

  // Electron's optional callback, given (result, error).
  function withCallback(result, userGesture, callback) {
    const done = typeof userGesture === 'function' ? userGesture : callback;
    if (typeof done === 'function') {
      apply(PromiseCtor.prototype.then, result, [(value) => done(value, undefined), (error) => done(undefined, error)]);
    }
    return result;
  }

  const webUtils = freeze({
    /**
     * The path of a file the user picked or dropped. WebKitGTK keeps a File's path
     * in the web process, out of script's reach, and does not tell the main process
     * which file a File object is, so Voltaic cannot answer: this throws, saying so.
     */
    getPathForFile(file) {
      if (!(file instanceof FileCtor)) {
        throw new TypeErrorCtor('webUtils.getPathForFile: the argument must be a File');
      }
      throw new ErrorCtor('webUtils.getPathForFile: WebKitGTK keeps a File\'s path in the web process, ' +
        'where script cannot read it, and does not tell the main process which file a File object is, ' +
        'so Voltaic cannot answer. Pick files in the main process (a dialog there) and send their paths to the page.');
    },
  });

  return { webFrame, webUtils };
}
