// `process` in a preload, as Electron's sandboxed preloads have it: an EventEmitter
// with the facts the main process gave (platform, arch, versions, env, argv,
// execPath, pid, cwd, the system version), and what a renderer can answer itself.

/* exported voltaicProcess */

function voltaicProcess(EventEmitter, info, contextIsolated) {
  'use strict';
  const now = () => performance.now();
  const started = now();
  const process = new EventEmitter();
  const NS_PER_S = 1e9;

  function hrtime(previous) {
    const ms = now();
    let seconds = Math.floor(ms / 1000);
    let nanos = Math.round((ms - seconds * 1000) * 1e6);
    if (previous !== undefined) {
      seconds -= previous[0];
      nanos -= previous[1];
      if (nanos < 0) {
        seconds -= 1;
        nanos += NS_PER_S;
      }
    }
    return [seconds, nanos];
  }
  hrtime.bigint = () => BigInt(Math.round(now() * 1e6));

  Object.assign(process, {
    type: 'renderer',
    platform: info.platform,
    arch: info.arch,
    version: info.version,
    versions: Object.freeze(Object.assign({}, info.versions)),
    env: Object.assign({}, info.env),
    argv: info.argv.slice(),
    execPath: info.execPath,
    pid: info.pid,
    sandboxed: info.sandboxed,
    contextIsolated,
    title: 'voltaic',
    hrtime,
    cwd: () => info.cwd,
    getSystemVersion: () => info.systemVersion,
    uptime: () => (now() - started) / 1000,
    nextTick: (callback, ...args) => queueMicrotask(() => callback(...args)),
    // A preload cannot end its renderer; Electron's crash and hang are for tests.
    exit: () => {
      throw new Error('process.exit is not available in a preload');
    },
  });
  return process;
}
