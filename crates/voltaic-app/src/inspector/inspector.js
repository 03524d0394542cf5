// The inspector's page: the app's IPC timeline, from `window.voltaicInspector`, a
// declared API (its `watch` call, its `entries` event, its `stats` live value).
'use strict';
const inspector = window.voltaicInspector;
const SHOWN = 2000;
// The most entries the page keeps; the oldest go first.
const KEPT = 20000;
let entries = [];
const $ = (id) => document.getElementById(id);

function describe(entry) {
  switch (entry.kind) {
    case 'invoke':
      return entry.error ? 'error: ' + entry.error : entry.preview || '';
    case 'send':
    case 'push':
      return (entry.sync ? 'sync ' : '') + (entry.ports ? entry.ports + ' port(s) ' : '') +
        (entry.preview || '');
    case 'port':
      return entry.action + ' ' + entry.port;
    case 'refused':
      return entry.reason + ': ' + entry.detail;
    case 'console':
      return entry.level + ': ' + entry.text;
    case 'lifecycle':
      return entry.what;
    default:
      return '';
  }
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(entry) {
  const tr = document.createElement('tr');
  tr.className = entry.kind;
  const took = entry.kind === 'invoke' ? entry.queued_us + entry.handler_us + entry.reply_us : '';
  tr.append(
    cell((entry.at_us / 1000).toFixed(1), 'num'),
    cell(entry.window === 0 ? 'app' : String(entry.window)),
    cell(entry.kind, 'kind'),
    cell(entry.channel || ''),
    cell(entry.size === undefined ? '' : String(entry.size), 'num'),
    cell(String(took), 'num'),
    cell(describe(entry), 'detail'),
  );
  tr.dataset.text = [entry.kind, entry.channel, 'window ' + entry.window, describe(entry)]
    .join(' ').toLowerCase();
  return tr;
}

function render() {
  const filter = $('filter').value.trim().toLowerCase();
  const rows = entries.slice(-SHOWN).map(row)
    .filter((tr) => !filter || tr.dataset.text.includes(filter));
  $('entries').replaceChildren(...rows.reverse());
  $('count').textContent = rows.length + ' of ' + entries.length;
  const stats = inspector.stats || [];
  $('stats').replaceChildren(...stats.map((s) => {
    const tr = document.createElement('tr');
    tr.append(cell(s.channel), cell(String(s.invokes), 'num'), cell(String(s.errors), 'num'),
      cell(String(s.p50_us), 'num'), cell(String(s.p99_us), 'num'),
      cell(String(s.max_us), 'num'), cell(String(s.mean_handler_us), 'num'));
    return tr;
  }));
}

/** @param {object[]} more */
function keep(more) {
  for (const entry of more) entries.push(entry);
  if (entries.length > KEPT) entries.splice(0, entries.length - KEPT);
}

inspector.onEntries((batch) => {
  keep(batch);
  render();
});
$('filter').addEventListener('input', render);
$('clear').addEventListener('click', async () => {
  await inspector.clear();
  entries = [];
  render();
});
inspector.watch().then((kept) => {
  const later = entries;
  entries = [];
  keep(kept);
  keep(later);
  render();
});
