// The single-call pass, on a cross-origin-isolated page (WebPreferences::
// cross_origin_isolation), whose clock is fine enough to time one invoke: the
// same page-side call as the main run (page JavaScript calling what the preload
// exposed), each timed on its own. WebKit's clock then ticks every 20 µs,
// Chromium's every 5 µs: single calls of a few hundred µs are timed to that.
window.addEventListener('DOMContentLoaded', async () => {
  const invoke = window.api.echo;
  const out = { isolated: self.crossOriginIsolated };
  try {
    for (let i = 0; i < 3000; i++) await invoke('warm');
    const times = [];
    for (let i = 0; i < 2000; i++) {
      const start = performance.now();
      await invoke('hello');
      times.push((performance.now() - start) * 1000);
    }
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
    out.invoke_single_p50_us = at(0.5);
    out.invoke_single_p99_us = at(0.99);
  } catch (error) {
    out.error = String(error);
  }
  console.log('RESULT single ' + JSON.stringify(out));
});
