// Page-world part of the Voltaic run: the cost of one contextBridge call, against a
// plain call of a page function, then the IPC benchmark in the preload.
window.addEventListener('DOMContentLoaded', () => {
  const local = () => 1;
  const calls = 20000;
  let start = performance.now();
  for (let i = 0; i < calls; i++) local();
  const localMs = performance.now() - start;
  start = performance.now();
  for (let i = 0; i < calls; i++) window.bench.noop();
  const bridgeMs = performance.now() - start;
  // The main process sets benchLastRound in the page it loads.
  window.bench.start({ bridge_call_us: ((bridgeMs - localMs) / calls) * 1000 }, window.benchLastRound === true);
});
