// A page in TypeScript using every kind of member of the notes API, and a preload
// written by hand typed by channel. `tsc --noEmit` must accept it.
import type { Note, Stats, TypedIpcRenderer } from "./voltaic";

async function page(): Promise<number> {
  const note: Note = { title: "typed", body: null };
  const total: number = await window.notes.add(note);
  const all: Note[] = await window.notes.list();
  window.notes.log(`have ${all.length} notes`);
  const stop: () => void = window.notes.onAdded((added: Note) => {
    const title: string = added.title;
    console.log(title);
  });
  stop();
  const stats: Stats = window.notes.stats;
  return total + stats.count;
}

async function handWritten(ipc: TypedIpcRenderer): Promise<Note[]> {
  await ipc.invoke("notes.add", { title: "by channel" });
  return ipc.invoke("notes.list");
}

export { page, handWritten };
