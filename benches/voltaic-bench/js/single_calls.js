// The single-call pass, on a cross-origin-isolated page (WebPreferences::
// cross_origin_isolation), whose clock is fine enough to time one invoke: the
// same page-side call as the main run (page JavaScript calling what the preload
// exposed), each timed on its own. WebKit's clock then ticks every 20 µs,
// Chromium's every 5 µs: single calls of a few hundred µs are timed to that.
// Blocks of calls alternate with the IPC timeline off and on, so that its cost is
// measured on the same machine at the same moment.
window.addEventListener('DOMContentLoaded', async () => {
  const invoke = window.api.echo;
  const out = { isolated: self.crossOriginIsolated };
  try {
    for (let i = 0; i < 3000; i++) await invoke('warm');
    const times = { off: [], on: [] };
    for (let block = 0; block < 20; block++) {
      const side = block % 2 ? 'on' : 'off';
      await window.api.timeline(side === 'on');
      for (let i = 0; i < 200; i++) {
        const start = performance.now();
        await invoke('hello');
        times[side].push((performance.now() - start) * 1000);
      }
    }
    await window.api.timeline(false);
    const at = (list, p) => {
      list.sort((a, b) => a - b);
      return list[Math.min(list.length - 1, Math.floor(p * list.length))];
    };
    out.invoke_single_p50_us = at(times.off, 0.5);
    out.invoke_single_p99_us = at(times.off, 0.99);
    out.traced_single_p50_us = at(times.on, 0.5);
    out.traced_single_p99_us = at(times.on, 0.99);
  } catch (error) {
    out.error = String(error);
  }
  console.log('RESULT single ' + JSON.stringify(out));
});
