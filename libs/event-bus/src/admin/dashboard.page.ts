import { createHash } from 'node:crypto';

/**
 * The dashboard: one static HTML page, the same for everyone, with no data in
 * it (every figure comes from the guarded JSON API) and no build step. Its
 * script builds the DOM with `textContent` only: payloads, errors and names are
 * whatever publishers and handlers put there, so none is ever parsed as HTML.
 * The strict CSP allows only this page's own script and style (by hash) and
 * requests to this origin, so even a slip would run nothing.
 */

const STYLE = `
:root { color-scheme: light dark; --fg: #1d2430; --muted: #5d6878; --bg: #f6f7f9; --card: #fff; --line: #dde1e7; --accent: #2458c6; --warn: #b55d00; --bad: #b3261e; --ok: #1f7a3d; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ee; --muted: #9aa4b2; --bg: #14171c; --card: #1c2027; --line: #2e343e; --accent: #7aa2ff; --warn: #f0a040; --bad: #ff7b72; --ok: #56d364; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; justify-content: space-between; padding: 12px 20px; background: var(--card); border-bottom: 1px solid var(--line); }
h1 { font-size: 17px; margin: 0; }
h2 { font-size: 15px; margin: 0 0 8px; }
main { display: grid; gap: 16px; padding: 16px 20px; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; overflow-x: auto; }
section.wide { grid-column: 1 / -1; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.warn { color: var(--warn); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.ok { color: var(--ok); }
pre { margin: 0; white-space: pre-wrap; word-break: break-all; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; max-height: 9em; overflow: auto; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
button { font: inherit; padding: 3px 10px; border-radius: 5px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); }
button:disabled { opacity: .5; cursor: default; }
input, select { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 5px; background: var(--bg); color: var(--fg); }
form { display: flex; gap: 6px; align-items: center; margin: 0; }
#status { font-size: 13px; }
#status.error { color: var(--bad); font-weight: 600; }
.bar { display: flex; gap: 8px; align-items: center; justify-content: space-between; margin-bottom: 8px; flex-wrap: wrap; }
.actions { display: flex; gap: 4px; }
.empty { color: var(--muted); padding: 6px 0; }
.consumer { display: block; white-space: nowrap; }
`;

const SCRIPT = `
(() => {
  'use strict';
  const base = location.pathname.replace(/\\/+$/, '');
  const api = base + '/api';
  const TOKEN_KEY = 'event-bus-admin-token';
  const state = { after: null, next: null, previous: [], stream: '', refreshMs: 2000, readOnly: false, timer: 0, notice: null, again: false };
  const byId = id => document.getElementById(id);

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    for (const child of children || []) node.append(child instanceof Node ? child : String(child ?? ''));
    return node;
  }

  function table(head, rows, empty) {
    if (rows.length === 0) return el('p', { class: 'empty' }, [empty]);
    return el('table', {}, [
      el('thead', {}, [el('tr', {}, head.map(h => el('th', h.num ? { class: 'num' } : {}, [h.label || h])))]),
      el('tbody', {}, rows),
    ]);
  }

  const td = (value, cls) => el('td', cls ? { class: cls } : {}, [value]);
  const num = value => td(value === null || value === undefined ? '?' : String(value), 'num');
  const ms = value => value < 1000 ? value + ' ms' : value < 60000 ? (value / 1000).toFixed(1) + ' s' : Math.round(value / 60000) + ' min';

  function status(text, isError) {
    const node = byId('status');
    node.textContent = text;
    node.className = isError ? 'error' : 'muted';
  }

  async function call(method, path, query) {
    const headers = { accept: 'application/json' };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.authorization = 'Bearer ' + token;
    if (method !== 'GET') headers['x-event-bus-admin'] = '1';
    const search = query ? '?' + new URLSearchParams(Object.entries(query).filter(([, v]) => v)) : '';
    const response = await fetch(api + path + search, { method, headers, credentials: 'same-origin', cache: 'no-store' });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
      throw new Error(response.status + ': ' + (message || response.statusText));
    }
    return body;
  }

  function renderInstances(instances) {
    const now = Date.now();
    byId('instances').replaceChildren(table(
      ['Instance', 'Service', { label: 'Sockets', num: 1 }, { label: 'Users', num: 1 }, { label: 'Rooms', num: 1 }, { label: 'Published/s', num: 1 }, { label: 'Delivered/s', num: 1 }, { label: 'In flight', num: 1 }, 'Reported'],
      instances.map(i => el('tr', { 'data-instance': i.instanceId }, [
        td(el('code', {}, [i.instanceId])),
        td(i.service + ' · ' + i.host + ':' + i.pid),
        num(i.gateway ? i.gateway.sockets : '–'),
        num(i.gateway ? i.gateway.users : '–'),
        num(i.gateway ? i.gateway.activeRooms : '–'),
        num(i.bus.publishedPerSecond),
        num(i.bus.deliveredPerSecond),
        num(i.bus.inFlight),
        td(ms(Math.max(0, now - i.reportedAt)) + ' ago', i.bus.connected ? 'muted' : 'bad'),
      ])),
      'No instance has reported yet.',
    ));
  }

  function renderStreams(streams) {
    byId('streams').replaceChildren(table(
      ['Stream', { label: 'Length', num: 1 }, { label: 'Groups', num: 1 }, { label: 'Dead letters', num: 1 }],
      streams.map(s => el('tr', { 'data-stream': s.stream }, [
        td(el('code', {}, [s.stream])), num(s.length), num(s.groups.length),
        td(String(s.deadLetters), s.deadLetters > 0 ? 'num bad' : 'num'),
      ])),
      'No durable stream yet.',
    ));
    const groups = streams.flatMap(s => s.groups);
    byId('groups').replaceChildren(table(
      ['Stream', 'Group', { label: 'Lag', num: 1 }, { label: 'Pending', num: 1 }, 'Consumers (pending, idle)'],
      groups.map(g => el('tr', { 'data-group': g.stream + '/' + g.group }, [
        td(el('code', {}, [g.stream])), td(el('code', {}, [g.group])),
        td(g.lag === null ? '?' : String(g.lag), g.lag ? 'num warn' : 'num'),
        td(String(g.pending), g.pending ? 'num warn' : 'num'),
        td(el('span', {}, g.consumers.length === 0 ? ['none'] : g.consumers.map(c =>
          el('span', { class: 'consumer' }, [el('code', {}, [c.name]), ' · ' + c.pending + ' · ' + ms(c.idleMs)])))),
      ])),
      'No consumer group yet.',
    ));
    const select = byId('stream-filter');
    const known = new Set(Array.from(select.options).map(o => o.value));
    for (const s of streams) if (!known.has(s.stream)) select.append(el('option', { value: s.stream }, [s.stream]));
  }

  function renderRates(rates) {
    byId('rates').replaceChildren(rates === null
      ? el('p', { class: 'empty' }, ['Rates per type need the bus option metrics: { enabled: true }.'])
      : table(
        ['Type', { label: 'Published/s', num: 1 }, { label: 'Delivered/s', num: 1 }, { label: 'Failed/s', num: 1 }],
        rates.map(r => el('tr', { 'data-type': r.type }, [
          td(el('code', {}, [r.type])), num(r.publishedPerSecond), num(r.deliveredPerSecond),
          td(String(r.failedPerSecond), r.failedPerSecond ? 'num bad' : 'num'),
        ])),
        'No event counted yet.',
      ));
  }

  function pretty(letter) {
    if (letter.payloadTruncated) return letter.payload + '… (' + letter.payloadLength + ' characters)';
    try { return JSON.stringify(JSON.parse(letter.payload), null, 2); } catch { return letter.payload; }
  }

  async function act(button, method, path, done) {
    button.disabled = true;
    try {
      await call(method, path);
      state.notice = { text: done, error: false };
      await refresh();
    } catch (error) {
      state.notice = { text: error.message, error: true };
      status(error.message, true);
      button.disabled = false;
    }
  }

  function renderDeadLetters(page) {
    byId('dead-total').textContent = page.total + ' in all';
    byId('older').disabled = !page.next;
    byId('newer').disabled = state.previous.length === 0;
    state.next = page.next;
    byId('dead-letters').replaceChildren(table(
      ['Id', 'Type', 'Group · handler', { label: 'Attempts', num: 1 }, 'Last failure', 'Error', 'Payload', ''],
      page.letters.map(l => {
        const address = '/dead-letters/' + encodeURIComponent(l.stream) + '/' + encodeURIComponent(l.id);
        const replay = el('button', { class: 'primary', 'data-action': 'replay' }, ['Replay']);
        const remove = el('button', { class: 'danger', 'data-action': 'delete' }, ['Delete']);
        replay.disabled = remove.disabled = state.readOnly;
        replay.addEventListener('click', () => act(replay, 'POST', address + '/replay', 'Replayed ' + l.id + ' to group ' + l.group + '.'));
        remove.addEventListener('click', () => {
          if (confirm('Delete dead letter ' + l.id + ' of stream ' + l.stream + ' for good?'))
            act(remove, 'DELETE', address, 'Deleted ' + l.id + '.');
        });
        const error = el('pre', { class: 'bad' }, [l.error]);
        if (l.stack) error.title = l.stack;
        return el('tr', { 'data-dead-letter': l.id, 'data-stream': l.stream }, [
          td(el('code', {}, [l.stream + ' ' + l.id])),
          td(el('code', {}, [l.type || '?'])),
          td(el('span', {}, [el('code', {}, [l.group]), el('br'), el('span', { class: 'muted' }, [l.handler])])),
          num(l.attempts),
          td(new Date(l.lastFailureAt).toLocaleString()),
          td(error),
          td(el('pre', { class: 'payload' }, [pretty(l)])),
          td(el('span', { class: 'actions' }, [replay, remove])),
        ]);
      }),
      'No dead letters' + (state.stream ? ' in stream ' + state.stream : '') + '.',
    ));
  }

  // One loop: a refresh asked for while one runs (after a replay) runs once more after it.
  let running = null;
  function refresh() {
    clearTimeout(state.timer);
    if (running) { state.again = true; return running; }
    running = (async () => {
      do { state.again = false; await load(); } while (state.again);
    })().finally(() => {
      running = null;
      state.timer = setTimeout(refresh, state.refreshMs);
    });
    return running;
  }

  async function load() {
    try {
      const [overview, page] = await Promise.all([
        call('GET', '/overview'),
        call('GET', '/dead-letters', { stream: state.stream, after: state.after, limit: '25' }),
      ]);
      state.refreshMs = overview.refreshMs;
      state.readOnly = overview.readOnly;
      renderInstances(overview.instances);
      renderStreams(overview.streams);
      renderRates(overview.rates);
      renderDeadLetters(page);
      byId('summary').textContent = overview.transport + ' transport · ' + overview.streams.length + ' streams · ' + overview.deadLetters + ' dead letters · ' + overview.instances.length + ' instances' + (overview.readOnly ? ' · read-only' : '');
      const notice = state.notice ? state.notice.text + ' · ' : '';
      status(notice + 'Updated ' + new Date().toLocaleTimeString() + (overview.connected ? '' : ' · bus disconnected'),
        !overview.connected || Boolean(state.notice && state.notice.error));
    } catch (error) {
      status(error.message, true);
    }
  }

  byId('token-form').addEventListener('submit', event => {
    event.preventDefault();
    const value = byId('token').value.trim();
    if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
    byId('token').value = '';
    refresh();
  });
  byId('stream-filter').addEventListener('change', event => {
    state.stream = event.target.value; state.after = null; state.previous = []; refresh();
  });
  byId('older').addEventListener('click', () => { state.previous.push(state.after); state.after = state.next; refresh(); });
  byId('newer').addEventListener('click', () => { state.after = state.previous.pop() || null; refresh(); });
  refresh();
})();
`;

const BODY = `
<header>
  <div><h1>Event bus</h1><div id="summary" class="muted">Loading…</div></div>
  <div id="status" class="muted" role="status" aria-live="polite"></div>
  <form id="token-form" autocomplete="off">
    <input id="token" type="password" placeholder="Bearer token (if your guard wants one)" aria-label="Bearer token" size="34">
    <button type="submit">Use token</button>
  </form>
</header>
<main>
  <section class="wide"><h2>Instances</h2><div id="instances"></div></section>
  <section><h2>Streams</h2><div id="streams"></div></section>
  <section><h2>Fan-out rates per type</h2><div id="rates"></div></section>
  <section class="wide"><h2>Consumer groups</h2><div id="groups"></div></section>
  <section class="wide">
    <div class="bar">
      <h2>Dead letters <span id="dead-total" class="muted"></span></h2>
      <div class="actions">
        <select id="stream-filter" aria-label="Stream"><option value="">All streams</option></select>
        <button id="newer" type="button">← Newer</button>
        <button id="older" type="button">Older →</button>
      </div>
    </div>
    <div id="dead-letters"></div>
  </section>
</main>
`;

const sha256 = (text: string) =>
  `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The page's Content-Security-Policy: its own script and style only, requests to this origin only. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Event bus · admin</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;
