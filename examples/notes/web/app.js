// @ts-check
/// <reference path="voltaic.d.ts" />
// The notes page: plain JavaScript, type-checked by TypeScript against the
// declarations Voltaic generated from the Rust contract (`voltaic.d.ts`).

const list = /** @type {HTMLUListElement} */ (document.getElementById('notes'));
const count = /** @type {HTMLElement} */ (document.getElementById('count'));
const form = /** @type {HTMLFormElement} */ (document.getElementById('new'));
const title = /** @type {HTMLInputElement} */ (document.getElementById('title'));

/** @param {import('./voltaic').Note} note */
function show(note) {
  const item = document.createElement('li');
  item.textContent = note.body ? `${note.title}: ${note.body}` : note.title;
  list.append(item);
}

// A live value: read with no round trip, kept current by the main process.
function showCount() {
  count.textContent = `(${window.notes.stats.count})`;
}

// An event, from any window; the subscription could be undone with `unsubscribe()`.
const unsubscribe = window.notes.onAdded((note) => {
  show(note);
  showCount();
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  // A call: typed arguments and result.
  const total = await window.notes.add({ title: title.value, body: null });
  // A send: no answer.
  window.notes.log(`the page added note ${total}`);
  title.value = '';
});

window.addEventListener('DOMContentLoaded', async () => {
  for (const note of await window.notes.list()) show(note);
  showCount();
  if ((await window.notes.list()).length === 0) {
    await window.notes.add({ title: 'Declared once, in Rust', body: 'typed in the page' });
  }
  window.addEventListener('unload', unsubscribe);
});
