// The page of the Voltaic run: the benchmark from where apps stand, page JavaScript
// calling the API its preload exposed; then the cost of one bare contextBridge call
// against a plain call of a page function; then the breakdown run in the preload.
window.addEventListener('DOMContentLoaded', async () => {
  const api = window.api;
  const transport = {
    invoke: api.echo,
    send: api.send,
    count: api.count,
    onPush: api.onPush,
    startPushes: api.startPushes,
    bytes: (data) => api.binEcho(data).then((back) => new Uint8Array(back)),
  };
  try {
    const out = await voltaicBench(transport);
    const local = () => 1;
    const calls = 20000;
    let start = performance.now();
    for (let i = 0; i < calls; i++) local();
    const localMs = performance.now() - start;
    start = performance.now();
    for (let i = 0; i < calls; i++) api.noop();
    out.bridge_call_us = ((performance.now() - start - localMs) / calls) * 1000;
    // A call whose promise the preload resolves at once: the bridge's share of an
    // invoke, without the trip to the main process.
    const resolved = window.benchInternals.resolved;
    start = performance.now();
    for (let i = 0; i < calls; i++) await resolved();
    out.bridge_promise_us = ((performance.now() - start) / calls) * 1000;
    // A call of the API declared in Rust against the same call written by hand
    // (contextBridge + ipcRenderer.invoke, same handler and schema), in alternating
    // batches so that neither gets the warmer machine; then a read of its live value
    // against a read of a plain property.
    const declared = window.declared;
    let handMs = 0;
    let declaredMs = 0;
    for (let round = 0; round < 20; round++) {
      start = performance.now();
      for (let i = 0; i < 200; i++) await api.echoTyped('hello');
      handMs += performance.now() - start;
      start = performance.now();
      for (let i = 0; i < 200; i++) await declared.echo('hello');
      declaredMs += performance.now() - start;
    }
    out.hand_written_call_us = (handMs / 4000) * 1000;
    out.declared_call_us = (declaredMs / 4000) * 1000;
    const reads = 1000000;
    const plain = { level: 1 };
    let sum = 0;
    start = performance.now();
    for (let i = 0; i < reads; i++) sum += plain.level;
    out.plain_read_ns = ((performance.now() - start) / reads) * 1e6;
    start = performance.now();
    for (let i = 0; i < reads; i++) sum += declared.level;
    out.live_read_ns = ((performance.now() - start) / reads) * 1e6;
    out.reads_checksum = sum;
    // The main process sets benchLastRound in the page it loads.
    Object.assign(out, await window.benchInternals.runInPreload(window.benchLastRound === true));
    console.log('RESULT voltaic ' + JSON.stringify(out));
  } catch (error) {
    console.log('RESULT voltaic ' + JSON.stringify({ error: String(error) }));
  }
});
