// The notes page's own unit tests, without the app: `window.notes` comes from the
// mock Voltaic generated from the Rust declarations (voltaic-mock.js), the DOM from
// jsdom, and the page's code (app.js) runs as it is. Run by `cargo test -p notes`
// (tests/page.rs) with `node --test`.
// @ts-check
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mockApis } from './voltaic-mock.js';

// jsdom is installed with the other build-time tools, in tests/typescript.
const require = createRequire(new URL('../../../tests/typescript/', import.meta.url));
const { JSDOM } = require('jsdom');

const html = readFileSync(new URL('./index.html', import.meta.url), 'utf8')
  .replace(/<script[^>]*><\/script>/, '');
const app = readFileSync(new URL('./app.js', import.meta.url), 'utf8');

/**
 * The page, loaded with the store the test supplies behind `window.notes`.
 * @param {import('./voltaic-mock').NotesApiImplementation} store
 */
async function page(store) {
  const dom = new JSDOM(html, { runScripts: 'outside-only' });
  const mocks = mockApis({ notes: store }, dom.window);
  dom.window.eval(app);
  dom.window.document.dispatchEvent(new dom.window.Event('DOMContentLoaded'));
  await settled();
  return { dom, notes: mocks.notes, document: dom.window.document };
}

/** Lets the page's awaited calls finish. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

/** @param {Document} document */
const items = (document) => [...document.querySelectorAll('#notes li')].map((li) => li.textContent);

test('the page lists what the store holds, with the count from the live value', async () => {
  const { document, notes } = await page({
    list: () => [{ title: 'Milk', body: '2 litres' }, { title: 'Bread', body: null }],
  });
  notes.set('stats', { count: 2 });
  notes.emit('added', { title: 'Eggs', body: null });
  assert.deepEqual(items(document), ['Milk: 2 litres', 'Bread', 'Eggs']);
  assert.equal(document.getElementById('count')?.textContent, '(2)');
  // A store with notes: the page adds none of its own.
  assert.deepEqual(notes.calls.add, []);
});

test('an empty store gets the page\'s first note', async () => {
  const added = [];
  const { notes } = await page({
    list: () => [],
    add: (note) => { added.push(note); return 1; },
  });
  assert.deepEqual(added, [{ title: 'Declared once, in Rust', body: 'typed in the page' }]);
  assert.equal(notes.calls.list.length, 2);
});

test('the form adds a note, then logs the count the store answered', async () => {
  const { document, notes, dom } = await page({ list: () => [{ title: 'x', body: null }], add: () => 7 });
  const title = /** @type {HTMLInputElement} */ (document.getElementById('title'));
  title.value = 'Milk';
  document.getElementById('new')?.dispatchEvent(new dom.window.Event('submit', { cancelable: true }));
  await settled();
  assert.deepEqual(notes.calls.add, [[{ title: 'Milk', body: null }]]);
  assert.deepEqual(notes.calls.log, [['the page added note 7']]);
  assert.equal(title.value, '');
});

test('a call the test left out rejects as a channel with no handler does', async () => {
  const mocks = mockApis({ notes: {} }, {});
  await assert.rejects(mocks.notes.api.list(), /No handler registered for 'notes.list'/);
});
