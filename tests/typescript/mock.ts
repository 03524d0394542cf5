// A page's unit test using the mock generated from the notes API: the store it
// supplies, the recorded calls, an event and a live value, each typed by the API's
// interface. `tsc --noEmit` must accept it.
import { mockApis } from "./voltaic-mock.js";
import type { Note } from "./voltaic";

export async function unitTest(): Promise<number> {
  const kept: Note[] = [];
  const { notes } = mockApis({
    notes: {
      list: () => kept,
      add: async (note: Note) => kept.push(note),
      log: (line: string) => console.log(line),
    },
  });
  const total: number = await notes.api.add({ title: "typed", body: null });
  const firstCall: [Note] = notes.calls.add[0];
  notes.emit("added", firstCall[0]);
  notes.set("stats", { count: total });
  return notes.api.stats.count;
}
