// The Voltaic side of the benchmark: an ordinary preload, using only the public
// ipcRenderer and contextBridge API.
const { contextBridge, ipcRenderer } = require('electron');

const transport = {
  invoke: (value) => ipcRenderer.invoke('echo', value),
  send: (i) => ipcRenderer.send('sink', i),
  count: () => ipcRenderer.invoke('sink-count'),
  onPush: (callback) => ipcRenderer.on('push', callback),
  startPushes: (n) => ipcRenderer.send('start-pushes', n),
  bytes: (data) => ipcRenderer.invoke('bytes', data).then((back) => new Uint8Array(back)),
};

async function sendMany(count) {
  for (let chunk = 0; chunk < count / 10000; chunk++) {
    for (let i = 0; i < 10000; i++) ipcRenderer.send('sink', i);
    await ipcRenderer.invoke('sink-count');
  }
}

// RSS before and after a million messages, after a warm-up so that one-time
// allocations (buffers, caches) are not counted as growth.
async function rssPhase() {
  await sendMany(100000);
  const before = await ipcRenderer.invoke('rss');
  await sendMany(1000000);
  const after = await ipcRenderer.invoke('rss');
  return { rss_before_kb: before, rss_after_kb: after, rss_messages: 1000000 };
}

contextBridge.exposeInMainWorld('bench', {
  noop: () => 1,
  // The page measures the bridge first, then starts the IPC part here. The RSS
  // phase runs in the last round only.
  start: (bridge, last) => {
    voltaicBench(transport)
      .then(async (out) => Object.assign(out, bridge, last ? await rssPhase() : {}))
      .then((out) => console.log('RESULT voltaic ' + JSON.stringify(out)))
      .catch((error) => console.log('RESULT voltaic ' + JSON.stringify({ error: String(error) })));
  },
});
