// The no-framework Chromium baseline: the same benchmark straight on the DevTools
// protocol's primitives, in the page's own world: a binding for invokes and sends
// (one string each), Runtime.evaluate for answers and pushes, a Fetch-fulfilled
// request for bytes.
(function () {
  const binding = window.benchBinding;
  const pending = new Map();
  let nextId = 1;
  let pushed = null;
  window.__baselinePush = () => pushed();
  window.__baselineAnswer = (id, value) => {
    const resolve = pending.get(id);
    pending.delete(id);
    resolve(value);
  };
  const call = (kind, value) => new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    binding(kind + id + ' ' + JSON.stringify(value));
  });
  const transport = {
    invoke: (value) => call('i', value),
    send: (i) => binding('s' + i),
    count: () => call('c', null),
    onPush: (callback) => { pushed = callback; },
    startPushes: (n) => binding('p' + n),
    bytes: (data) => fetch('https://bench.localhost/echo', { method: 'POST', body: data })
      .then((response) => response.arrayBuffer())
      .then((buffer) => new Uint8Array(buffer)),
  };
  window.addEventListener('DOMContentLoaded', () => {
    voltaicBench(transport)
      .then((out) => binding('r' + JSON.stringify(out)))
      .catch((error) => binding('r' + JSON.stringify({ error: String(error) })));
  });
})();
