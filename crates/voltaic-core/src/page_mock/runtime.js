/**
 * Puts each declared API on `target` (`globalThis` by default: `window` in a
 * browser or a DOM stand-in), its calls and sends backed by the functions given,
 * and returns a handle on each: what was called, and a way to fire events and
 * change live values. Values cross as structured clones, as they do between the
 * page and the main process; a call with no function rejects as a channel with
 * no handler does.
 */
export function mockApis(implementations = {}, target = globalThis) {
  const mocks = {};
  for (const [name, members] of Object.entries(APIS)) {
    const implementation = implementations[name] ?? {};
    const calls = {};
    const subscribers = {};
    const live = structuredClone(LIVE[name] ?? {});
    const api = {};
    for (const [member, [kind, exposed]] of Object.entries(members)) {
      const channel = `${name}.${member}`;
      if (kind === 'call') {
        calls[member] = [];
        api[member] = async (...args) => {
          calls[member].push(structuredClone(args));
          const run = implementation[member];
          if (typeof run !== 'function') {
            throw new Error(
              `Error invoking remote method '${channel}': No handler registered for '${channel}'`);
          }
          try {
            return structuredClone(await run(...structuredClone(args)));
          } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            throw new Error(`Error invoking remote method '${channel}': ${reason}`);
          }
        };
      } else if (kind === 'send') {
        calls[member] = [];
        api[member] = (...args) => {
          calls[member].push(structuredClone(args));
          implementation[member]?.(...structuredClone(args));
        };
      } else if (kind === 'event') {
        subscribers[member] = new Set();
        api[exposed] = (callback) => {
          const subscriber = (payload) => callback(payload);
          subscribers[member].add(subscriber);
          return () => subscribers[member].delete(subscriber);
        };
      } else if (kind === 'live') {
        Object.defineProperty(api, member, { get: () => live[member], enumerable: true });
      }
    }
    Object.freeze(api);
    Object.defineProperty(target, name, { value: api, configurable: true, enumerable: true });
    mocks[name] = {
      api,
      calls,
      emit(event, payload) {
        if (!subscribers[event]) throw new Error(`${name} has no event '${event}'`);
        for (const subscriber of [...subscribers[event]]) subscriber(structuredClone(payload));
      },
      set(member, value) {
        if (!(member in live)) throw new Error(`${name} has no live value '${member}'`);
        live[member] = structuredClone(value);
      },
    };
  }
  return mocks;
}
