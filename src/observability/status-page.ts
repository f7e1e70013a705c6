/**
 * The status page the control port serves at `/`: one self-contained HTML document (inline CSS
 * and JS, no external assets, so it works on an air-gapped worker) that polls `api/status`
 * (StatusSnapshot in http.ts) and renders one card per product with live numbers and charts.
 *
 * The server never templates data into the HTML: the page is a constant and the script fills
 * it with textContent only, so nothing from a descriptor can inject markup.
 */
import { createHash } from 'node:crypto';

const POLL_MS = 2_000;
/** How much history the charts keep, client-side (150 points at one poll per 2 s). */
const WINDOW_MS = 5 * 60_000;

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #f6f8fa; --card: #fff; --line: #d0d7de;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --info: #0969da; --chart: #0969da; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --card: #161b22;
  --line: #30363d; --ok: #3fb950; --warn: #d29922; --bad: #f85149; --info: #58a6ff; --chart: #58a6ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
body > header { display: flex; align-items: baseline; gap: 1rem; padding: .8rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--card); }
h1 { font-size: 1.25rem; margin: 0; }
h1 span, .muted { color: var(--muted); font-weight: normal; }
main { padding: 1.2rem 1.5rem; display: grid; gap: 1.2rem; grid-template-columns: repeat(auto-fill, minmax(26rem, 1fr)); }
#error { margin: 1rem 1.5rem 0; padding: .6rem 1rem; border: 1px solid var(--bad); border-radius: 6px; color: var(--bad); }
body.stale main { opacity: .55; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.2rem; }
.card header { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
h2 { font-size: 1.1rem; margin: 0 auto 0 0; }
.badge { font-size: .8rem; padding: .05rem .55rem; border-radius: 1rem; border: 1px solid currentColor; }
.status-active, .state-running { color: var(--ok); }
.sunset { color: var(--warn); }
.status-deprecated, .state-backing-off, .state-starting, .state-draining, .state-restoring { color: var(--warn); }
.state-halted, .state-failed, .state-blocked { color: var(--bad); }
.status-draft, .state-stopped { color: var(--muted); }
.state-backfilling, .backfill { color: var(--info); }
.consumers { margin: 0; padding-left: 1.1rem; }
.reason { color: var(--bad); margin: .4rem 0; }
p { margin: .4rem 0; }
dl { margin: .6rem 0; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; }
.meta dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.numbers { display: grid; grid-template-columns: repeat(5, 1fr); gap: .5rem; }
.numbers div { border-top: 1px solid var(--line); padding-top: .3rem; }
.numbers dt, .totals, figcaption { font-size: .8rem; color: var(--muted); }
.numbers dd { font-size: 1.15rem; font-variant-numeric: tabular-nums; white-space: nowrap; }
.totals { display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; }
.totals div { display: flex; gap: .35rem; }
.totals dd { color: var(--fg); font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(3, 1fr); gap: .8rem; }
figure { margin: 0; }
figcaption { display: flex; justify-content: space-between; }
svg { display: block; width: 100%; height: 3.6rem; border-bottom: 1px solid var(--line); }
polyline { fill: none; stroke: var(--chart); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
`;

// Plain ES2020 for the browser. Written in a String.raw so backslashes reach the browser as
// they are; it must not contain backticks or dollar-brace (this is a TypeScript template).
const SCRIPT = String.raw`
'use strict';
const POLL_MS = ${POLL_MS}, WINDOW_MS = ${WINDOW_MS}, W = 300, H = 60;
const $ = (id) => document.getElementById(id);
const cards = new Map(); // product majorId (v1 and v2 of one id side by side) -> { el, f: fields, charts, history, prev }
let cardSeq = 0, lastOk = 0;

const fmt = {
  rate: (v) => v == null ? '\u2014' : (v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en')) + ' /s',
  count: (v) => v == null ? '\u2014' : Math.round(v).toLocaleString('en'),
  secs: (v) => v == null ? '\u2014' : v < 120 ? v.toFixed(1) + ' s' : (v / 60).toFixed(1) + ' min',
};

function card(p) {
  let c = cards.get(p.majorId);
  if (c) return c;
  const el = $('card-template').content.firstElementChild.cloneNode(true);
  const f = {}, charts = {};
  el.querySelectorAll('[data-f]').forEach((n) => { f[n.dataset.f] = n; });
  el.querySelectorAll('svg[data-chart]').forEach((n) => { charts[n.dataset.chart] = n; });
  f.name.id = 'product-' + (++cardSeq);
  el.setAttribute('aria-labelledby', f.name.id);
  el.dataset.product = p.majorId;
  c = { el, f, charts, history: [], prev: null };
  cards.set(p.majorId, c);
  $('products').append(el);
  return c;
}

// Counters are monotonic since the worker started; a decrease means it restarted, so no rate.
function perSecond(prev, counters, t, key) {
  if (!prev || t <= prev.t || counters[key] < prev.counters[key]) return null;
  return (counters[key] - prev.counters[key]) / ((t - prev.t) / 1000);
}

function draw(svg, history, key, now, format) {
  const pts = history.filter((h) => h[key] != null);
  const peak = Math.max(0, ...pts.map((h) => h[key]));
  const top = peak || 1; // a flat zero line sits on the baseline instead of dividing by zero
  // The x axis spans the history kept (up to 5 minutes), so a page opened a minute ago uses
  // the whole width instead of a sliver at the right edge.
  const span = Math.max(now - history[0].t, POLL_MS);
  svg.querySelector('polyline').setAttribute('points', pts.map((h) =>
    (W - ((now - h.t) / span) * W).toFixed(1) + ',' + (H - 2 - (h[key] / top) * (H - 4)).toFixed(1)).join(' '));
  svg.dataset.points = String(pts.length);
  const label = svg.dataset.label + ', last ' + fmt.secs(span / 1000) + ': ';
  svg.setAttribute('aria-label', pts.length ? label + 'latest ' + format(pts[pts.length - 1][key]) + ', peak ' + format(peak) : label + 'no data yet');
  svg.parentElement.querySelector('.peak').textContent = pts.length ? 'peak ' + format(peak) : '';
}

function update(c, p, t) {
  const f = c.f, k = p.counters;
  f.name.textContent = p.name;
  f.id.textContent = p.id;
  f.version.textContent = p.version;
  f.status.textContent = p.status;
  f.status.className = 'badge status-' + p.status;
  f.state.textContent = p.state;
  f.state.className = 'badge state-' + p.state;
  f.reason.textContent = p.reason ? p.state + ': ' + p.reason : '';
  f.reason.hidden = !p.reason;
  f.sunset.textContent = p.sunset ? 'Sunset ' + p.sunset + (p.successorTopic ? ': move to ' + p.successorTopic : '') : '';
  f.sunset.hidden = !p.sunset;
  f.purpose.textContent = (p.description && p.description.purpose) || '';
  f.owners.textContent = p.owners.length ? p.owners.join(', ') : '\u2014';
  f.inputs.textContent = p.inputTopics.join(', ');
  f.output.textContent = p.outputTopic;
  f.dlq.textContent = p.deadLetterTopic;
  f.lookups.textContent = (p.lookups || []).map((l) => l.name + ': ' + fmt.count(l.entries) + ' entries' +
    (l.restored ? ', lag ' + fmt.count(l.lagRecords) : ', restoring ' + Math.floor((100 * l.restoredRecords) / Math.max(1, l.restoreTotal)) + '%')).join('; ') || '\u2014';
  const b = p.backfill;
  f.backfill.textContent = b ? 'Backfilling: ' + fmt.count(b.recordsBehind) + ' records behind, caught up in ' +
    (b.etaSeconds == null ? 'an unknown time (rate not measured yet)' : fmt.secs(b.etaSeconds)) : '';
  f.backfill.hidden = !b;
  consumers(f.consumers, p.consumers);

  const throughput = perSecond(c.prev, k, t, 'published');
  const deadLetters = perSecond(c.prev, k, t, 'deadLettered');
  c.prev = { t, counters: k };
  f.throughput.textContent = fmt.rate(throughput);
  f.deadLetters.textContent = fmt.rate(deadLetters);
  f.lagRecords.textContent = fmt.count(p.lagRecords);
  f.lagSeconds.textContent = fmt.secs(p.lagSeconds);
  f.freshness.textContent = fmt.secs(p.freshnessSeconds);
  f.consumed.textContent = fmt.count(k.consumed);
  f.published.textContent = fmt.count(k.published);
  f.filtered.textContent = fmt.count(k.filtered);
  f.deadLettered.textContent = fmt.count(k.deadLettered);

  c.history.push({ t, throughput, lag: p.lagRecords, freshness: p.freshnessSeconds });
  while (c.history[0].t < t - WINDOW_MS) c.history.shift();
  draw(c.charts.throughput, c.history, 'throughput', t, fmt.rate);
  draw(c.charts.lag, c.history, 'lag', t, fmt.count);
  draw(c.charts.freshness, c.history, 'freshness', t, fmt.secs);
}

// Who reads the product topic: one line per group, largest lag first (see ConsumerGroupView).
function consumers(list, c) {
  const lines = !c ? ['discovery off'] : c.refreshedAt == null ? ['not discovered yet'] : c.groups.length === 0 ? ['none'] :
    c.groups.map((g) => g.group + ': lag ' + fmt.count(g.lagRecords) + ', ' +
      (g.lastCommitMovedAt == null ? 'no commit seen yet' : 'last commit seen ' + new Date(g.lastCommitMovedAt).toLocaleTimeString()) +
      (g.state ? ' (' + g.state + (g.members != null ? ', ' + g.members + (g.members === 1 ? ' member' : ' members') : '') + ')' : ''));
  if (c && c.total > c.groups.length) lines.push('and ' + (c.total - c.groups.length) + ' more with less lag');
  if (list.dataset.text === lines.join('\n')) return;
  list.dataset.text = lines.join('\n');
  list.replaceChildren(...lines.map((t) => { const li = document.createElement('li'); li.textContent = t; return li; }));
}

function render(s) {
  $('version').textContent = s.dataprod;
  const seen = new Set();
  for (const p of s.products) {
    seen.add(p.majorId);
    update(card(p), p, s.time);
  }
  for (const [id, c] of cards) if (!seen.has(id)) { c.el.remove(); cards.delete(id); }
  $('empty').hidden = s.products.length > 0;
  const at = new Date(s.time);
  $('updated').dateTime = at.toISOString();
  $('updated').textContent = 'updated ' + at.toLocaleTimeString();
}

function failing(message) {
  const text = message == null ? '' : 'Cannot reach the worker (' + message + '). Retrying every ' + POLL_MS / 1000 +
    ' s; the numbers below are ' + (lastOk ? 'from ' + new Date(lastOk).toLocaleTimeString() : 'not loaded yet') + '.';
  // Only touch the alert when its text changes, so screen readers announce it once, not every poll.
  if ($('error').textContent !== text) $('error').textContent = text;
  $('error').hidden = message == null;
  document.body.classList.toggle('stale', message != null);
}

// setTimeout after each answer rather than setInterval: a slow worker never gets stacked requests.
async function poll() {
  try {
    const res = await fetch('api/status', { cache: 'no-store' });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    render(await res.json());
    lastOk = Date.now();
    failing(null);
  } catch (err) {
    failing(err.message);
  }
  setTimeout(poll, POLL_MS);
}
poll();
`;

const BODY = `
<header>
  <h1>dataprod <span id="version"></span></h1>
  <time id="updated" class="muted">loading…</time>
</header>
<div id="error" role="alert" hidden></div>
<noscript><p>This page renders from <a href="api/status">api/status</a> and needs JavaScript.</p></noscript>
<main id="products" aria-label="Data products">
  <p id="empty" hidden>No products.</p>
</main>
<template id="card-template">
  <article class="card">
    <header>
      <h2 data-f="name"></h2>
      <span data-f="status" title="lifecycle status"></span>
      <span data-f="state" title="worker state"></span>
    </header>
    <p class="muted"><code data-f="id"></code> · version <span data-f="version"></span></p>
    <p role="status" class="reason" data-f="reason" hidden></p>
    <p class="sunset" data-f="sunset" hidden></p>
    <p class="backfill" data-f="backfill" hidden></p>
    <p data-f="purpose"></p>
    <dl class="meta">
      <dt>Owners</dt><dd data-f="owners"></dd>
      <dt>Topics</dt><dd><span data-f="inputs"></span> → <span data-f="output"></span></dd>
      <dt>Dead letters</dt><dd data-f="dlq"></dd>
      <dt>Lookups</dt><dd data-f="lookups"></dd>
      <dt>Read by</dt><dd><ul class="consumers" data-f="consumers"></ul></dd>
    </dl>
    <dl class="numbers">
      <div><dt>Throughput</dt><dd data-f="throughput"></dd></div>
      <div><dt>Dead letters</dt><dd data-f="deadLetters"></dd></div>
      <div><dt>Lag</dt><dd data-f="lagRecords"></dd></div>
      <div><dt>Lag (time)</dt><dd data-f="lagSeconds"></dd></div>
      <div><dt>Freshness</dt><dd data-f="freshness"></dd></div>
    </dl>
    <dl class="totals">
      <div><dt>Consumed</dt><dd data-f="consumed"></dd></div>
      <div><dt>Published</dt><dd data-f="published"></dd></div>
      <div><dt>Filtered</dt><dd data-f="filtered"></dd></div>
      <div><dt>Dead-lettered</dt><dd data-f="deadLettered"></dd></div>
    </dl>
    <div class="charts">
      <figure><figcaption>Throughput <span class="peak"></span></figcaption>
        <svg data-chart="throughput" data-label="Throughput (published records per second)" role="img" viewBox="0 0 300 60" preserveAspectRatio="none"><polyline/></svg></figure>
      <figure><figcaption>Lag (records) <span class="peak"></span></figcaption>
        <svg data-chart="lag" data-label="Lag in records" role="img" viewBox="0 0 300 60" preserveAspectRatio="none"><polyline/></svg></figure>
      <figure><figcaption>Freshness <span class="peak"></span></figcaption>
        <svg data-chart="freshness" data-label="Freshness (seconds since the newest event)" role="img" viewBox="0 0 300 60" preserveAspectRatio="none"><polyline/></svg></figure>
    </div>
  </article>
</template>`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

// The CSP allows exactly this page's own style and script (by hash) and fetches to its own
// origin: the page can load nothing from elsewhere even if a future edit tries to.
const CSP = [
  "default-src 'none'",
  `style-src ${hash(STYLE)}`,
  `script-src ${hash(SCRIPT)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>dataprod status</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>${BODY}
<script>${SCRIPT}</script>
</body>
</html>
`;

/** The HTML of the status page: a constant, the live data comes from `api/status`. */
export function statusPage(): string {
  return PAGE;
}
