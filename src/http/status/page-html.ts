import { createHash } from 'node:crypto';
import type { Side } from '../../domain/message.js';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';

/*
 * The status page: one static document, built once at startup. It holds no data (the script
 * fetches /status/snapshot.json), so it can be served to anyone and cached by nobody.
 */

function sideCard(side: Side, title: string, blurb: string): string {
  const id = (field: string) => `${side}-${field}`;
  const stat = (field: string, label: string, sub = '') =>
    `<div class="stat" id="${id(`${field}-box`)}"><div class="label">${label}</div><div class="value num" id="${id(field)}">—</div><div class="sub num" id="${id(`${field}-sub`)}">${sub}</div></div>`;
  return `
  <section class="card side ${side}" id="${side}-card" aria-label="${title}">
    <h2><span class="swatch"></span><span class="name">${title}</span><span class="adapter" id="${id('adapter')}" title="adapter"></span><span class="tag">${blurb}</span></h2>
    <div class="stats">
      ${stat('rate', 'Sends')}
      ${stat('err', 'Errors')}
      ${stat('p50', 'p50 send')}
      ${stat('p99', 'p99 send')}
    </div>
    <div class="spark-caption"><span>sends/s, last minute</span><span id="${id('spark-max')}"></span></div>
    <svg class="spark" id="${id('spark')}" viewBox="0 0 120 60" preserveAspectRatio="none" aria-hidden="true"><line x1="0" y1="59.5" x2="120" y2="59.5"></line><polyline points=""></polyline></svg>
    <dl class="kv">
      <dt>Sends since start</dt><dd id="${id('total')}">—</dd>
      <dt>Failed, by class</dt><dd id="${id('outcomes')}">—</dd>
      <dt>Accepted as primary</dt><dd id="${id('primary')}">—</dd>
      <dt>Dual-write retries · dead letters</dt><dd id="${id('dual')}">—</dd>
      <dt>Outbox owed · retrying · dead</dt><dd id="${id('outbox')}">—</dd>
      <dt>Bridged from its SDK · lag p50 / p99 · refused</dt><dd id="${id('bridge')}">—</dd>
      <dt>Metered this month · peak online</dt><dd id="${id('usage')}">—</dd>
      <dt>Bill this month · projected · budget</dt><dd id="${id('cost')}">—</dd>
      <dt>SLA measured / objective · budget left</dt><dd id="${id('sla')}">—</dd>
    </dl>
  </section>`;
}

function migrateStat(field: string, label: string, sub = ''): string {
  return `<div class="stat" id="migrate-${field}-box"><div class="label">${label}</div><div class="value num" id="migrate-${field}">—</div><div class="sub num" id="migrate-${field}-sub">${sub}</div></div>`;
}

const BODY = `
<header class="top">
  <div class="brand">Cutover <span class="mig" id="migration"></span></div>
  <div class="pills">
    <span class="pill stage" id="stage-pill">…</span>
    <span class="pill"><b class="num" id="percent-pill">—</b> on new</span>
    <span class="pill">state <b class="num" id="version-pill">—</b></span>
  </div>
  <div class="live" id="live" role="status" aria-live="polite"><span class="dot"></span><span id="live-text">connecting…</span></div>
</header>

<section id="banner" role="alert" hidden>
  <div class="title"><span class="siren"></span>ROLLED BACK — everyone is on old<span class="muted" id="banner-since"></span></div>
  <div class="facts">
    <span>trigger <b id="banner-trigger"></b></span>
    <span>by <b id="banner-actor"></b></span>
    <span>at <b id="banner-at"></b></span>
    <span>resume returns to <b id="banner-resume"></b></span>
    <span>dual-writes go on: nothing is lost</span>
  </div>
  <div class="reason" id="banner-reason"></div>
  <div class="cmd"><code id="banner-cmd"></code><button type="button" data-copy="banner-cmd">copy</button></div>
</section>

<main class="grid">
  ${sideCard('old', 'Old side', 'this instance')}
  ${sideCard('new', 'New side', 'this instance')}

  <section class="card guard-card" id="guard-card" aria-label="Guard">
    <h2>Guard <span class="tag">fleet-wide, judged each second</span></h2>
    <div><span class="verdict" id="guard-verdict">…</span> <span class="muted" id="guard-rule"></span></div>
    <div class="guard-reason" id="guard-reason"></div>
    <table id="guard-sides">
      <thead><tr><th>side</th><th class="r">requests</th><th class="r">error rate</th><th class="r">p99</th></tr></thead>
      <tbody>
        <tr><td>old</td><td class="r" id="guard-old-req">—</td><td class="r" id="guard-old-err">—</td><td class="r" id="guard-old-p99">—</td></tr>
        <tr><td>new</td><td class="r" id="guard-new-req">—</td><td class="r" id="guard-new-err">—</td><td class="r" id="guard-new-p99">—</td></tr>
      </tbody>
    </table>
    <div class="guard-seq">
      <div>Error test <span class="muted">evidence (CUSUM, nats)</span> <b class="num" id="guard-llr">—</b> <span class="muted">of</span> <b class="num" id="guard-llr-limit">—</b> <span class="muted" id="guard-llr-n"></span></div>
      <div class="meter" id="guard-llr-meter"><div></div></div>
    </div>
    <table id="guard-checks"><thead><tr><th>rule</th><th>status</th><th class="r">value</th><th class="r">limit</th></tr></thead><tbody></tbody></table>
    <div class="note" id="guard-rollbacks"></div>
  </section>

  <section class="card span-2" id="rollout-card" aria-label="Rollout">
    <h2>Rollout <span class="tag" id="dual-writing"></span></h2>
    <div class="stepper" id="stepper"><div data-stage="off">off</div><div data-stage="shadow">shadow</div><div data-stage="canary">canary</div><div data-stage="complete">complete</div></div>
    <div class="rollout-cols">
      <div>
        <div class="rollout-head"><span class="big" id="percent-big">—</span><span class="muted" id="stage-meaning"></span></div>
        <div class="chips" id="plan-chips"></div>
        <div><span class="muted">Bake</span> <b class="num" id="bake-text">—</b></div>
        <div class="meter" id="bake-meter"><div></div></div>
        <div class="muted" id="next-step"></div>
        <div class="split-label"><span class="muted">Primary split</span> <span class="num" id="split-text">—</span></div>
        <div class="split"><div class="old" id="split-old"></div><div class="new" id="split-new"></div></div>
      </div>
      <dl class="kv">
        <dt>State version</dt><dd id="state-version">—</dd>
        <dt>Confirmed against store</dt><dd id="state-age">—</dd>
        <dt>Step began</dt><dd id="state-since">—</dd>
        <dt>Last change by</dt><dd id="state-by">—</dd>
        <dt>Auto-promotion</dt><dd id="auto-promote">—</dd>
        <dt>Unconfirmed primaries</dt><dd id="unconfirmed">—</dd>
      </dl>
    </div>
  </section>

  <section class="card" id="commands-card" aria-label="Commands">
    <h2>Commands <span class="tag">operator token in CUTOVER_TOKEN</span></h2>
    <div class="cmd-label">Roll everyone back to old now</div>
    <div class="cmd"><code id="cmd-rollback"></code><button type="button" data-copy="cmd-rollback">copy</button></div>
    <div class="cmd-label">Resume after a rollback</div>
    <div class="cmd"><code id="cmd-resume"></code><button type="button" data-copy="cmd-resume">copy</button></div>
    <div class="cmd-label">Status in the terminal</div>
    <div class="cmd"><code id="cmd-status"></code><button type="button" data-copy="cmd-status">copy</button></div>
    <div class="note">No gateway answering? Break glass: <code>cutover rollback --redis &lt;redis URL&gt; --reason "..."</code></div>
  </section>

  <section class="card span-3" id="migrate-card" aria-label="Moving existing data">
    <h2>Moving existing data <span class="tag">fleet-wide; errors this instance</span></h2>
    <div class="empty" id="migrate-none" hidden>no migration job yet: <code>cutover migrate plan</code></div>
    <div id="migrate-job" hidden>
      <div class="migrate-head"><span class="verdict" id="migrate-status">…</span> <b id="migrate-mode"></b> <code class="muted" id="migrate-id"></code></div>
      <div class="split-label"><span class="muted">Progress</span> <b class="num" id="migrate-progress">—</b></div>
      <div class="meter" id="migrate-meter"><div></div></div>
      <div class="stats migrate-stats">
        ${migrateStat('rate', 'Items')}
        ${migrateStat('eta', 'ETA', 'at its pace so far')}
        ${migrateStat('units', 'Units open', 'leased')}
        ${migrateStat('mismatches', 'Mismatches', 'found · fixed')}
        ${migrateStat('verified', 'Verified users')}
      </div>
      <table id="migrate-errors">
        <thead><tr><th>side</th><th class="r">calls retried</th><th class="r">units put back</th></tr></thead>
        <tbody>
          <tr><td>old</td><td class="r" id="migrate-old-retries">—</td><td class="r" id="migrate-old-failed">—</td></tr>
          <tr><td>new</td><td class="r" id="migrate-new-retries">—</td><td class="r" id="migrate-new-failed">—</td></tr>
        </tbody>
      </table>
    </div>
  </section>

  <section class="card span-3 audit" id="audit-card" aria-label="Audit log">
    <h2>Audit log <span class="tag">newest first</span></h2>
    <table><thead><tr><th>time (UTC)</th><th>actor</th><th>action</th><th>reason</th><th class="hide-sm">result</th></tr></thead><tbody id="audit-rows"></tbody></table>
    <div class="error-line" id="audit-error" hidden></div>
  </section>
</main>

<footer>
  <span id="footer-window">Read-only.</span>
  <span>Side numbers are this instance's, read from the registry <a href="/metrics">/metrics</a> serves; the guard's are fleet-wide.</span>
  <span>Polls <a href="/status/snapshot.json">/status/snapshot.json</a> every second.</span>
</footer>`;

const FAVICON = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#39c5cf"/></svg>')}`;

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Cutover status</title>
<link rel="icon" id="favicon" href="${FAVICON}">
<style>${PAGE_STYLE}</style>
</head>
<body>
${BODY}
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * Only this page's own script and style may run, and it may talk only to this origin: a reason
 * typed into the audit log can never become markup or a request elsewhere.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(PAGE_SCRIPT)}`,
  `style-src ${sha256(PAGE_STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
