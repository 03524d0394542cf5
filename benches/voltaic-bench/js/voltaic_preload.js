// The Voltaic side of the benchmark: an ordinary preload, in the shape apps ship,
// using only the public ipcRenderer and contextBridge API. The page calls what it
// exposes (the headline figures); the same workload run inside this world is the
// breakdown, so that a regression shows on which side of the bridge it is.
const { contextBridge, ipcRenderer } = require('electron');

contextBridge.exposeInMainWorld('api', {
  echo: (value) => ipcRenderer.invoke('echo', value),
  send: (i) => ipcRenderer.send('sink', i),
  count: () => ipcRenderer.invoke('sink-count'),
  onPush: (callback) => {
    const listener = (_event, i) => callback(i);
    ipcRenderer.on('push', listener);
    return () => ipcRenderer.removeListener('push', listener);
  },
  startPushes: (n) => ipcRenderer.send('start-pushes', n),
  binEcho: (data) => ipcRenderer.invoke('bytes', data),
  // The hand-written twin of the declared API's call (same handler, same schema).
  echoTyped: (text) => ipcRenderer.invoke('echo-typed', text),
  noop: () => 1,
  // Turns the IPC timeline on or off, between the single-call pass's blocks.
  timeline: (on) => ipcRenderer.invoke('bench-timeline', on),
});

const transport = {
  invoke: (value) => ipcRenderer.invoke('echo', value),
  send: (i) => ipcRenderer.send('sink', i),
  count: () => ipcRenderer.invoke('sink-count'),
  onPush: (callback) => {
    ipcRenderer.on('push', callback);
    return () => ipcRenderer.removeListener('push', callback);
  },
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

// Bench plumbing, not part of the app's API: the breakdown run, keyed `preload_*`,
// and the RSS phase in the last round.
contextBridge.exposeInMainWorld('benchInternals', {
  resolved: () => Promise.resolve(1),
  runInPreload: async (last) => {
    const out = {};
    const inPreload = await voltaicBench(transport);
    for (const key of Object.keys(inPreload)) out['preload_' + key] = inPreload[key];
    return Object.assign(out, last ? await rssPhase() : {});
  },
});
