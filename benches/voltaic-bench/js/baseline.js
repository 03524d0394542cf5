// The no-framework baseline: the same benchmark straight on WebKit's primitives, in
// the page's own world: a reply-capable script message handler for invokes, a plain
// one for sends, evaluate_javascript for pushes, a custom URI scheme for bytes.
(function () {
  const handlers = window.webkit.messageHandlers;
  let pushed = null;
  window.__baselinePush = () => pushed();
  const transport = {
    invoke: (value) => handlers.benchReply.postMessage(value),
    send: (i) => handlers.benchSink.postMessage(i),
    count: () => handlers.benchReply.postMessage({ count: true }),
    onPush: (callback) => { pushed = callback; },
    startPushes: (n) => handlers.benchSink.postMessage({ push: n }),
    bytes: (data) => fetch('bench://host/echo', { method: 'POST', body: data })
      .then((response) => response.arrayBuffer())
      .then((buffer) => new Uint8Array(buffer)),
  };
  window.addEventListener('DOMContentLoaded', () => {
    voltaicBench(transport)
      .then((out) => handlers.benchSink.postMessage({ result: JSON.stringify(out) }))
      .catch((error) => handlers.benchSink.postMessage({ result: JSON.stringify({ error: String(error) }) }));
  });
})();
