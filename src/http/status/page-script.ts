/**
 * The status page's script, shipped inline as plain ES2017 (no build step, no CDN). It polls
 * /status/snapshot.json once a second (polling, not server-sent events: one cached GET per tab,
 * nothing held open through proxies) and updates the page in place. Every value goes in through
 * textContent, never innerHTML: audit reasons are free text.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var POLL_MS = 1000;
  var STALE_MS = 3500;
  var TIMEOUT_MS = 2500;
  var SPARK_POINTS = 60;
  var ORIGIN = location.origin;
  var STAGE_MEANING = {
    off: 'old only',
    shadow: 'old is primary; new gets every write',
    canary: 'of eligible users have new as primary; old gets every write',
    complete: 'everyone on new'
  };
  var STAGES = ['off', 'shadow', 'canary', 'complete'];
  var ICON = function (color) {
    return 'data:image/svg+xml,' + encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="' + color + '"/></svg>');
  };

  var lastOkAt = 0;
  var lastError = '';
  var snapshot = null;
  var spark = { old: [], new: [] };
  var rendered = { audit: '', checks: '', chips: '' };

  function $(id) { return document.getElementById(id); }
  function text(id, value) {
    var el = $(id);
    if (el && el.textContent !== value) el.textContent = value;
  }
  function cls(el, name, on) { if (el) el.classList.toggle(name, !!on); }

  function int(n) { return n == null ? '—' : Math.round(n).toLocaleString('en-US'); }
  function money(n) { return n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }); }
  function pct(share) { return (share * 100).toFixed(3) + ' %'; }
  function fixed(n, digits) {
    var out = n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    return /^-[0.,]+$/.test(out) ? out.slice(1) : out; // no "-0.00"
  }
  function rate(n) {
    if (n == null) return '—';
    return n === 0 ? '0' : n < 10 ? fixed(n, 2) : n < 100 ? fixed(n, 1) : int(n);
  }
  function ratio(r) {
    if (r == null) return '—';
    var p = r * 100;
    return p === 0 ? '0.00 %' : (p < 0.01 ? '<0.01' : fixed(p, p < 10 ? 2 : 1)) + ' %';
  }
  function ms(v) {
    if (v == null) return '—';
    if (v >= 1000) return fixed(v / 1000, 2) + ' s';
    return (v < 1 ? fixed(v, 2) : v < 10 ? fixed(v, 1) : int(v)) + ' ms';
  }
  function pct(p) { return p == null ? '—' : Number(p.toFixed(2)) + ' %'; }
  function duration(msValue) {
    if (msValue == null || !isFinite(msValue) || msValue < 0) return '—';
    if (msValue < 1000) return (Math.floor(msValue / 100) / 10).toFixed(1) + 's';
    var units = [['d', 86400000], ['h', 3600000], ['m', 60000], ['s', 1000]];
    var parts = [];
    var rest = Math.floor(msValue);
    for (var i = 0; i < units.length && parts.length < 2; i++) {
      var count = Math.floor(rest / units[i][1]);
      rest -= count * units[i][1];
      if (count > 0 || parts.length > 0) parts.push(count + units[i][0]);
    }
    return parts.filter(function (p) { return !/^0\D/.test(p); }).join(' ');
  }
  function utc(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }
  function ago(iso) { return duration(Date.now() - Date.parse(iso)) + ' ago'; }
  /** Time of day for today's events (UTC), the full date for older ones: bakes last days. */
  function when(iso) {
    var full = utc(iso);
    return full.slice(0, 10) === utc(new Date().toISOString()).slice(0, 10) ? full.slice(11) : full.slice(0, 16) + 'Z';
  }
  function where(stage, percent) { return stage === 'complete' ? 'complete' : stage + ' ' + pct(percent); }
  function unitValue(id, value, unit) {
    var el = $(id);
    if (!el) return;
    var key = value + '|' + unit;
    if (el.getAttribute('data-v') === key) return;
    el.setAttribute('data-v', key);
    el.textContent = value;
    if (unit && value !== '—') {
      var u = document.createElement('span');
      u.className = 'unit';
      u.textContent = unit;
      el.appendChild(u);
    }
  }
  function td(content, className) {
    var cell = document.createElement('td');
    if (className) cell.className = className;
    cell.textContent = content;
    return cell;
  }

  function commands() {
    text('cmd-rollback', 'cutover rollback --url ' + ORIGIN + ' --reason "..."');
    text('cmd-resume', 'cutover resume --url ' + ORIGIN + ' --reason "..."');
    text('cmd-status', 'cutover status --url ' + ORIGIN);
    text('banner-cmd', 'cutover resume --url ' + ORIGIN + ' --reason "..."');
  }

  function renderSide(side, s, windowMs) {
    unitValue(side + '-rate', rate(s.sendsPerSecond), '/s');
    text(side + '-rate-sub', s.sendsPerSecond == null ? 'measuring…' : 'last ' + duration(windowMs));
    unitValue(side + '-err', ratio(s.errorRatio).replace(' %', ''), s.errorRatio == null ? '' : '%');
    text(side + '-err-sub', s.errorRatio == null ? (s.sendsPerSecond == null ? 'measuring…' : 'no sends in window') : rate(s.errorsPerSecond) + ' failed/s');
    cls($(side + '-err-box'), 'bad', s.errorRatio != null && s.errorRatio >= 0.05);
    cls($(side + '-err-box'), 'warn', s.errorRatio != null && s.errorRatio > 0 && s.errorRatio < 0.05);
    var w = s.latency.window;
    var all = s.latency.sinceStart;
    var p50 = ms(w.p50Ms).split(' ');
    var p99 = ms(w.p99Ms).split(' ');
    unitValue(side + '-p50', p50[0], p50[1] || '');
    unitValue(side + '-p99', p99[0], p99[1] || '');
    text(side + '-p50-sub', w.samples ? int(w.samples) + ' sends' : 'since start ' + ms(all.p50Ms));
    text(side + '-p99-sub', 'since start ' + ms(all.p99Ms));
    cls($(side + '-p99-box'), 'warn', w.p99Ms != null && w.p99Ms >= 250);
    text(side + '-adapter', s.adapter);
    text(side + '-total', int(s.sends.total) + ' (' + int(s.sends.errors) + ' failed)');
    var o = s.sends.byOutcome;
    var failed = [[o.timeout, 'timeout'], [o.unavailable, 'unavailable'], [o.vendor_error, 'vendor error'], [o.rejected, 'rejected']]
      .filter(function (f) { return f[0] > 0; }).map(function (f) { return int(f[0]) + ' ' + f[1]; });
    text(side + '-outcomes', failed.length ? failed.join(' · ') : 'none');
    cls($(side + '-outcomes'), 'warn', failed.length > 0);
    text(side + '-primary', int(s.messages.accepted) + (s.messages.acceptedPerSecond == null ? '' : ' · ' + rate(s.messages.acceptedPerSecond) + '/s'));
    text(side + '-dual', int(s.dualWrite.retry) + ' · ' + int(s.dualWrite.deadLetter));
    cls($(side + '-dual'), 'bad', s.dualWrite.deadLetter > 0);
    text(side + '-outbox', int(s.outbox.owed) + ' · ' + int(s.outbox.retrying) + ' · ' + int(s.outbox.deadLetters));
    cls($(side + '-outbox'), 'bad', s.outbox.deadLetters > 0);
    cls($(side + '-outbox'), 'warn', s.outbox.deadLetters === 0 && s.outbox.retrying > 0);
    text(side + '-bridge', int(s.bridge.bridged) + ' · ' + ms(s.bridge.lag.p50Ms) + ' / ' + ms(s.bridge.lag.p99Ms) + ' · ' + int(s.bridge.rejected));
    cls($(side + '-bridge'), 'warn', s.bridge.rejected > 0);
    var u = s.usage;
    text(side + '-usage', u ? int(u.units) + ' ' + u.unit + ' · ' + int(u.peakConcurrentUsers) + ' users in a minute' : 'no usage report yet');
    var c = s.cost;
    text(side + '-cost', c ? money(c.monthToDate) + ' · ' + money(c.projected) + ' · ' + (c.budget == null ? 'no budget' : money(c.budget)) + ' ' + c.currency : 'no price table');
    cls($(side + '-cost'), 'bad', !!c && c.budget != null && c.projected > c.budget);
    var q = s.sla;
    text(side + '-sla', q ? pct(q.availability) + ' / ' + pct(q.objective) + ' · ' + (q.budgetLeft * 100).toFixed(1) + ' %' : 'no SLA');
    cls($(side + '-sla'), 'bad', !!q && q.budgetLeft < 0);
    cls($(side + '-sla'), 'warn', !!q && q.budgetLeft >= 0 && q.budgetLeft < 0.25);

    var points = spark[side];
    if (s.sendsPerSecond != null) points.push(s.sendsPerSecond);
    if (points.length > SPARK_POINTS) points.splice(0, points.length - SPARK_POINTS);
    var max = Math.max.apply(null, [1].concat(spark.old, spark.new));
    var line = points.map(function (v, i) {
      var x = (SPARK_POINTS - points.length + i) * (120 / (SPARK_POINTS - 1));
      return x.toFixed(1) + ',' + (59 - (v / max) * 54).toFixed(1);
    }).join(' ');
    $(side + '-spark').querySelector('polyline').setAttribute('points', line);
    text(side + '-spark-max', 'max ' + rate(max) + '/s');
  }

  function renderState(st) {
    var rolled = !!st.rollback;
    var pill = $('stage-pill');
    pill.className = 'pill stage ' + (rolled ? 'rolled' : st.stage);
    text('stage-pill', rolled ? st.stage + ' · rolled back' : st.stage);
    text('percent-pill', rolled ? '0 %' : st.stage === 'complete' ? '100 %' : st.stage === 'canary' ? pct(st.percent) : '0 %');
    text('version-pill', 'v' + st.version);
    document.title = (rolled ? 'ROLLED BACK · ' : where(st.stage, st.percent) + ' · ') + 'Cutover status';
    $('favicon').setAttribute('href', ICON(rolled ? '#f85149' : '#39c5cf'));

    var banner = $('banner');
    banner.hidden = !rolled;
    if (rolled) {
      var rb = st.rollback;
      text('banner-trigger', rb.trigger === 'auto' ? 'automatic (guard)' : 'manual');
      text('banner-actor', rb.actor);
      text('banner-at', when(rb.at));
      text('banner-since', ago(rb.at));
      text('banner-reason', rb.reason);
      text('banner-resume', where(rb.resumeTo.stage, rb.resumeTo.percent));
    }

    var index = STAGES.indexOf(st.stage);
    var steps = $('stepper').children;
    for (var i = 0; i < steps.length; i++) {
      cls(steps[i], 'now', i === index);
      cls(steps[i], 'past', i < index);
    }
    cls($('stepper'), 'rolled', rolled);
    text('percent-big', st.stage === 'canary' ? pct(st.percent) : st.stage);
    text('stage-meaning', rolled ? 'held while rolled back: everyone routes to old' : st.stage === 'canary' ? STAGE_MEANING.canary : STAGE_MEANING[st.stage]);
    text('dual-writing', st.dualWriting ? 'dual-writing: every message goes to both sides' : 'single-writing');

    var plan = st.plan;
    var chipsKey = JSON.stringify([plan.steps, plan.index, st.stage]);
    if (chipsKey !== rendered.chips) {
      rendered.chips = chipsKey;
      var chips = $('plan-chips');
      chips.textContent = '';
      plan.steps.forEach(function (step, i) {
        var chip = document.createElement('span');
        chip.className = 'chip' + (st.stage === 'canary' && i === plan.index ? ' current' : i < plan.index || (st.stage === 'canary' && i <= plan.index) ? ' done' : '');
        chip.textContent = pct(step.percent);
        var bake = document.createElement('small');
        bake.textContent = duration(step.bakeMs);
        chip.appendChild(bake);
        chips.appendChild(chip);
      });
    }
    var current = plan.index >= 0 ? plan.steps[plan.index] : null;
    var meter = $('bake-meter');
    if (rolled && st.stage === 'canary' && current) {
      text('bake-text', 'held while rolled back (' + duration(plan.bakedMs) + ' of ' + duration(current.bakeMs) + ')');
      meter.firstElementChild.style.width = '0%';
    } else if (st.stage !== 'canary' || !current) {
      text('bake-text', st.stage === 'canary' ? 'before the first step' : 'steps apply in canary');
      meter.firstElementChild.style.width = '0%';
    } else {
      var share = current.bakeMs > 0 ? Math.min(1, plan.bakedMs / current.bakeMs) : 1;
      text('bake-text', duration(plan.bakedMs) + ' of ' + duration(current.bakeMs) + (plan.bakeRemainingMs > 0 ? ' · ' + duration(plan.bakeRemainingMs) + ' left' : ' · baked'));
      meter.firstElementChild.style.width = (share * 100).toFixed(1) + '%';
    }
    cls(meter, 'done', !rolled && plan.bakeRemainingMs === 0 && st.stage === 'canary' && !!current);
    cls($('percent-big'), 'held', rolled);
    var next;
    if (rolled) next = 'nothing steps until someone resumes (cutover resume)';
    else if (st.stage === 'off') next = 'next: cutover stage shadow';
    else if (st.stage === 'shadow') next = 'next: cutover stage canary';
    else if (st.stage === 'complete') next = 'done: everyone is on new';
    else if (plan.next == null) next = 'last step of the plan; next: cutover stage complete';
    else if (plan.readyToStep) next = 'ready: next step ' + pct(plan.next) + (plan.autoPromote ? ' (auto-promotes while healthy)' : ' (cutover step)');
    else next = 'next step ' + pct(plan.next) + ' in ' + duration(plan.bakeRemainingMs);
    text('next-step', next);

    text('state-version', 'v' + st.version);
    text('state-age', duration(st.stateAgeMs) + ' ago');
    cls($('state-age'), 'warn', st.stateAgeMs > 5000);
    text('state-since', when(st.since) + ' · ' + ago(st.since));
    text('state-by', st.updatedBy + ' · ' + when(st.updatedAt));
    text('auto-promote', plan.autoPromote ? 'on, when the guard says healthy' : 'off');
  }

  function renderGuard(g) {
    var v = $('guard-verdict');
    var r = g.report;
    var verdict = !g.enabled ? 'disabled' : r ? r.verdict : 'not judging';
    v.className = 'verdict ' + (r ? r.verdict : '');
    text('guard-verdict', verdict);
    var rolled = !!(snapshot && snapshot.state && snapshot.state.rollback);
    text('guard-rule', rolled && r ? 'rolled back: watching, not acting' : r && r.rule ? 'rule ' + r.rule : '');
    text('guard-reason', !g.enabled ? 'guard.enabled is false: nothing rolls back by itself.' : r ? r.reason : 'The guard judges while both sides are written (shadow, canary) and after a rollback.');
    ['old', 'new'].forEach(function (side) {
      var f = r ? r[side] : null;
      text('guard-' + side + '-req', f ? int(f.requests) : '—');
      text('guard-' + side + '-err', f ? ratio(f.errorRate) : '—');
      text('guard-' + side + '-p99', f ? ms(f.p99Ms) : '—');
    });
    var seq = r ? r.sequential : null;
    text('guard-llr', seq ? fixed(seq.logLikelihoodRatio, 2) : '—');
    text('guard-llr-limit', seq ? fixed(seq.threshold, 2) : '—');
    text('guard-llr-n', seq && seq.testStart != null ? '(' + int(seq.newRequests) + ' new / ' + int(seq.oldRequests) + ' old since ' + utc(seq.testStart * 1000).slice(11) + ')' : '');
    var share = seq && seq.threshold > 0 ? Math.min(1, seq.logLikelihoodRatio / seq.threshold) : 0;
    $('guard-llr-meter').firstElementChild.style.width = (share * 100).toFixed(1) + '%';
    cls($('guard-llr-meter'), 'hot', share >= 0.5);

    var checks = r ? r.checks : [];
    var key = JSON.stringify(checks);
    if (key !== rendered.checks) {
      rendered.checks = key;
      var body = $('guard-checks').tBodies[0];
      body.textContent = '';
      checks.forEach(function (c) {
        var row = document.createElement('tr');
        var isMs = c.rule.indexOf('p99') === 0;
        var isRate = c.rule.indexOf('error-rate') === 0;
        var show = function (x) { return x == null ? '—' : isMs ? ms(x) : isRate ? ratio(x) : fixed(x, c.rule === 'min-samples' || c.rule === 'no-data-cap' ? 0 : 2); };
        row.appendChild(td(c.rule));
        row.appendChild(td(c.status + (c.consecutive ? ' ×' + c.consecutive : ''), 'st-' + c.status.replace('/', '')));
        row.appendChild(td(show(c.value), 'r'));
        row.appendChild(td(show(c.limit), 'r'));
        body.appendChild(row);
      });
      $('guard-checks').hidden = checks.length === 0;
    }
    text('guard-rollbacks', 'Rollbacks seen by this instance: ' + int(g.rollbacks.manual) + ' manual, ' + int(g.rollbacks.auto) + ' automatic.');
  }

  function renderMigration(m, windowMs) {
    $('migrate-none').hidden = !!m;
    $('migrate-job').hidden = !m;
    if (!m) return;
    $('migrate-status').className = 'verdict migrate-' + m.status;
    text('migrate-status', m.status);
    text('migrate-mode', m.mode);
    text('migrate-id', m.id);
    text('migrate-progress', int(m.done) + (m.expected > 0 ? ' of ' + int(m.expected) + ' items · ' + pct(m.progress * 100) : ' items'));
    $('migrate-meter').firstElementChild.style.width = ((m.progress || 0) * 100).toFixed(1) + '%';
    cls($('migrate-meter'), 'done', m.status === 'done');
    unitValue('migrate-rate', rate(m.itemsPerSecond), '/s');
    text('migrate-rate-sub', m.itemsPerSecond == null ? 'measuring…' : 'last ' + duration(windowMs));
    text('migrate-eta', m.status === 'done' ? 'done' : m.etaSeconds == null ? '—' : duration(m.etaSeconds * 1000));
    text('migrate-eta-sub', m.status === 'done' ? '' : m.status === 'paused' ? 'paused' : m.etaSeconds == null ? 'unknown yet' : 'at its pace so far');
    text('migrate-units', int(m.units.open));
    text('migrate-units-sub', int(m.units.leased) + ' leased');
    var unfixed = Math.max(0, m.mismatches.found - m.mismatches.fixed);
    text('migrate-mismatches', int(m.mismatches.found) + ' · ' + int(m.mismatches.fixed));
    text('migrate-mismatches-sub', unfixed > 0 ? int(unfixed) + ' unfixed: cutover migrate report' : 'found · fixed');
    var finished = m.mode === 'verify' && m.status === 'done';
    cls($('migrate-mismatches-box'), 'bad', unfixed > 0 && finished);
    cls($('migrate-mismatches-box'), 'warn', unfixed > 0 && !finished);
    text('migrate-verified', int(m.verifiedUsers));
    ['old', 'new'].forEach(function (side) {
      var e = m.errors[side];
      text('migrate-' + side + '-retries', int(e.retries));
      text('migrate-' + side + '-failed', int(e.unitsPutBack));
      cls($('migrate-' + side + '-failed'), 'st-breach', e.unitsPutBack > 0);
    });
  }

  function renderAudit(rows, error) {
    var key = JSON.stringify(rows);
    if (key !== rendered.audit) {
      rendered.audit = key;
      var body = $('audit-rows');
      body.textContent = '';
      if (rows.length === 0) {
        var empty = document.createElement('tr');
        var cell = td('no changes yet', 'empty');
        cell.colSpan = 5;
        empty.appendChild(cell);
        body.appendChild(empty);
      }
      rows.forEach(function (a) {
        var row = document.createElement('tr');
        row.appendChild(td(when(a.at), 'when'));
        var who = td(a.actor + ' ');
        var role = document.createElement('span');
        role.className = 'role';
        role.textContent = a.role;
        who.appendChild(role);
        row.appendChild(who);
        row.appendChild(td(a.action, 'act ' + a.action.replace(/[^a-z-]/g, '')));
        row.appendChild(td(a.reason || '—', 'reason'));
        row.appendChild(td(a.result, 'hide-sm muted'));
        body.appendChild(row);
      });
    }
    var line = $('audit-error');
    line.hidden = !error;
    if (error) line.textContent = error;
  }

  /** Which side answered as primary, from the accepted-send rates of both sides. */
  function renderSplit(sides) {
    var o = sides.old.messages.acceptedPerSecond;
    var n = sides.new.messages.acceptedPerSecond;
    var total = (o || 0) + (n || 0);
    var share = total > 0 ? n / total : 0;
    $('split-new').style.width = (share * 100).toFixed(1) + '%';
    $('split-old').style.width = (total > 0 ? 100 - share * 100 : 0).toFixed(1) + '%';
    text('split-text', total > 0 ? 'old ' + fixed((1 - share) * 100, 1) + ' % · new ' + fixed(share * 100, 1) + ' % of ' + rate(total) + ' accepted/s' : 'no accepted sends in the window');
  }

  function render(s) {
    text('migration', 'migration ' + s.migration);
    renderSide('old', s.sides.old, s.rateWindowMs);
    renderSide('new', s.sides.new, s.rateWindowMs);
    renderSplit(s.sides);
    if (s.state) renderState(s.state);
    else text('stage-pill', 'state not loaded');
    renderGuard(s.guard);
    renderMigration(s.migrationJob, s.rateWindowMs);
    renderAudit(s.audit, s.auditError);
    text('unconfirmed', int(s.outboxUnconfirmed));
    text('footer-window', 'Read-only. Rates and windowed latencies over the last ' + (s.rateWindowMs == null ? '…' : duration(s.rateWindowMs)) + '.');
  }

  function tick() {
    var live = $('live');
    var age = lastOkAt ? Date.now() - lastOkAt : Infinity;
    var stale = age > STALE_MS;
    cls(live, 'ok', !stale);
    cls(live, 'stale', stale);
    cls(document.body, 'stale', stale && lastOkAt > 0);
    if (!lastOkAt) text('live-text', lastError ? 'no data: ' + lastError : 'connecting…');
    else if (stale) text('live-text', 'STALE: last update ' + duration(age) + ' ago' + (lastError ? ' (' + lastError + ')' : ''));
    else text('live-text', 'live · updated ' + duration(age) + ' ago');
    if (snapshot && snapshot.state && snapshot.state.rollback) text('banner-since', ago(snapshot.state.rollback.at));
  }

  function poll() {
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, TIMEOUT_MS);
    fetch('/status/snapshot.json', { cache: 'no-store', signal: controller ? controller.signal : undefined })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (s) {
        snapshot = s;
        lastOkAt = Date.now();
        lastError = '';
        render(s);
      })
      .catch(function (err) {
        lastError = err && err.name === 'AbortError' ? 'no answer in ' + TIMEOUT_MS / 1000 + 's' : (err && err.message) || 'gateway unreachable';
      })
      .then(function () {
        clearTimeout(timer);
        tick();
        setTimeout(poll, POLL_MS);
      });
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button[data-copy]') : null;
    if (!button) return;
    var source = $(button.getAttribute('data-copy'));
    var value = source ? source.textContent : '';
    var done = function (label) {
      button.textContent = label;
      setTimeout(function () { button.textContent = 'copy'; }, 1200);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(function () { done('copied'); }, function () { done('select'); });
    } else {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      done('selected');
    }
  });

  commands();
  setInterval(tick, 250);
  poll();
})();
`;
