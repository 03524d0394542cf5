// The page-side benchmark, the same code for Voltaic and for the no-framework WebKit
// baseline: each side hands it a transport with the same five operations.
//
// WebKit clamps performance.now() to 1 ms for pages that are not cross-origin
// isolated, and WebKitGTK 2.50 does not isolate custom-scheme pages (COOP and COEP
// headers on Voltaic's app:// responses leave crossOriginIsolated false). So
// latencies are means over batches of 200 sequential calls (a 5 µs resolution),
// and p50 and p99 are taken over the 100 batches.

/* exported voltaicBench */

async function voltaicBench(t) {
  'use strict';
  const now = () => performance.now();
  const percentile = (values, p) => {
    const sorted = values.slice().sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  };
  const out = {};

  // Steady state on both sides: enough calls for JavaScriptCore to have compiled
  // the hot code with its optimizing tiers, which takes longer for a runtime and a
  // bridge than for a bare postMessage.
  for (let i = 0; i < 3000; i++) await t.invoke('warm');
  const batches = [];
  for (let b = 0; b < 100; b++) {
    const start = now();
    for (let i = 0; i < 200; i++) await t.invoke('hello');
    batches.push(((now() - start) / 200) * 1000);
  }
  out.invoke_mean_us = batches.reduce((a, b) => a + b, 0) / batches.length;
  out.invoke_p50_us = percentile(batches, 0.5);
  out.invoke_p99_us = percentile(batches, 0.99);

  let start = now();
  const calls = [];
  for (let i = 0; i < 10000; i++) calls.push(t.invoke('c'));
  await Promise.all(calls);
  out.concurrent_invokes_per_s = 10000 / ((now() - start) / 1000);

  start = now();
  for (let i = 0; i < 20000; i++) t.send(i);
  out.send_loop_ms = now() - start;
  const seen = await t.count();
  out.sends_per_s = 20000 / ((now() - start) / 1000);
  out.sends_seen = seen;

  // From asking for the pushes to the last one received: batching on the way
  // counts, but so does the trip of the request.
  let unsubscribe = null;
  out.pushes_per_s = await new Promise((resolve) => {
    let count = 0;
    const asked = now();
    unsubscribe = t.onPush(() => {
      count += 1;
      if (count === 20000) resolve(20000 / ((now() - asked) / 1000));
    });
    t.startPushes(20000);
  });
  if (typeof unsubscribe === 'function') unsubscribe();

  if (t.bytes) {
    for (const mb of [1, 10, 50]) {
      const data = new Uint8Array(mb * 1024 * 1024);
      for (let i = 0; i < data.length; i += 4096) data[i] = i & 255;
      await t.bytes(data.subarray(0, 1024));
      // A median of 5 for the short round trips, which the 1 ms clock and the
      // collector make noisy; of 3 for 50 MB.
      const runs = [];
      for (let r = 0; r < (mb < 50 ? 5 : 3); r++) {
        const began = now();
        const back = await t.bytes(data);
        if (back.byteLength !== data.byteLength || back[4096] !== data[4096]) {
          throw new Error('binary round trip of ' + mb + ' MB came back wrong');
        }
        runs.push(now() - began);
      }
      out['binary_' + mb + 'mb_ms'] = percentile(runs, 0.5);
    }
  }
  return out;
}
