import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test, type TestContext } from 'node:test';
import { parse as parseYaml, parseAllDocuments, stringify as stringifyYaml } from 'yaml';
import { parseDuration } from '../../src/config/duration.js';
import { ENV_OVERRIDES, loadConfig } from '../../src/config/load-config.js';
import { parseRedisUrl } from '../../src/infra/redis/redis-url.js';
import { OPERATOR_TOKEN, bearer, buildCutover, canaryAt, until } from '../support/build-app.js';

/**
 * The deploy and observability files (Dockerfile, deploy/, docs/alerts.md) against the gateway
 * they deploy: every file parses; every metric and label value a dashboard panel or an alert uses
 * is really exported by /metrics; the alert rules pass promtool and fire when they should;
 * compose and Kubernetes only use env keys, ports and probe paths the gateway has, and their
 * config loads. There is no Docker engine here, so images are not built: the Dockerfile is
 * checked against the build output instead.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const path = (...parts: string[]): string => join(ROOT, ...parts);
const read = (...parts: string[]): string => readFileSync(path(...parts), 'utf8');
const yamlDoc = (...parts: string[]): any => parseYaml(read(...parts), { merge: true });

/** The env keys the gateway reads: its overrides and the config file's name. */
const GATEWAY_ENV = new Set([...ENV_OVERRIDES.map((o) => o.env), 'CUTOVER_CONFIG']);
const DEFAULT_PORT = loadConfig({ env: {} }).http.port;

// ---------------------------------------------------------------------------------------------
// PromQL: the metric names and label matchers an expression uses
// ---------------------------------------------------------------------------------------------

interface Matcher { label: string; op: string; value: string }
interface Selector { metric: string; matchers: Matcher[] }

const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);
/** Aggregations may put their grouping first: `sum by (side) (...)`. */
const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
/** Series Prometheus makes itself, not the gateway. */
const PROMETHEUS_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
/** Cutover metric families deliberately left off the dashboard, each with its reason. */
const NOT_ON_DASHBOARD = new Map<string, string>([]);
/** Labels the scrape adds (static config, Prometheus operator), not in the exposition. */
const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod', 'service', 'endpoint', 'container']);

function closing(text: string, from: number, open: string, close: string): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === '`') {
      i = stringEnd(text, i);
      continue;
    }
    if (c === open) depth++;
    else if (c === close && --depth === 0) return i;
  }
  throw new Error(`unbalanced ${open} in: ${text}`);
}

function stringEnd(text: string, from: number): number {
  const quote = text[from]!;
  for (let i = from + 1; i < text.length; i++) {
    if (text[i] === '\\' && quote !== '`') i++;
    else if (text[i] === quote) return i;
  }
  throw new Error(`unterminated string in: ${text}`);
}

function parseMatchers(body: string): Matcher[] {
  const matchers: Matcher[] = [];
  const re = /([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/g;
  for (const m of body.matchAll(re)) matchers.push({ label: m[1]!, op: m[2]!, value: m[3]!.slice(1, -1).replace(/\\(.)/g, '$1') });
  return matchers;
}

/** Every series selector in a PromQL expression (Grafana's variables allowed). */
function selectorsOf(expr: string): Selector[] {
  const selectors: Selector[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"' || c === "'" || c === '`') { i = stringEnd(expr, i) + 1; continue; }
    if (c === '[') { i = closing(expr, i, '[', ']') + 1; continue; }
    if (c === '$') { // Grafana variable: $name, ${name}, ${name:format}
      i = expr[i + 1] === '{' ? closing(expr, i + 1, '{', '}') + 1 : i + 1 + (/^\w*/.exec(expr.slice(i + 1))?.[0].length ?? 0);
      continue;
    }
    if (/[0-9.]/.test(c)) { i += /^[\w.]+/.exec(expr.slice(i))![0].length; continue; }
    if (c === '{') { // a selector without a name: {__name__="..."}
      const end = closing(expr, i, '{', '}');
      const matchers = parseMatchers(expr.slice(i + 1, end));
      const name = matchers.find((m) => m.label === '__name__' && m.op === '=');
      if (name) selectors.push({ metric: name.value, matchers: matchers.filter((m) => m !== name) });
      i = end + 1;
      continue;
    }
    if (/[a-zA-Z_:]/.test(c)) {
      const word = /^[\w:]+/.exec(expr.slice(i))![0];
      i += word.length;
      let j = i;
      while (j < expr.length && /\s/.test(expr[j]!)) j++;
      if (expr[j] === '(') {
        if (GROUPING.has(word)) i = closing(expr, j, '(', ')') + 1; // a label list
        continue; // else a function or an aggregation
      }
      if (KEYWORDS.has(word.toLowerCase()) || AGGREGATIONS.has(word)) continue;
      if (expr[j] === '{') {
        const end = closing(expr, j, '{', '}');
        selectors.push({ metric: word, matchers: parseMatchers(expr.slice(j + 1, end)) });
        i = end + 1;
      } else {
        selectors.push({ metric: word, matchers: [] });
      }
      continue;
    }
    i++;
  }
  return selectors;
}

/** A Prometheus text exposition: every sample's labels, by sample name, and every family's type. */
interface Exposition { samples: Map<string, Array<Record<string, string>>>; types: Map<string, string> }

function parseExposition(text: string): Exposition {
  const samples = new Map<string, Array<Record<string, string>>>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const list = samples.get(m[1]!) ?? [];
    list.push(labels);
    samples.set(m[1]!, list);
  }
  return { samples, types };
}

/** What in `expr` the exposition does not have: unknown metrics, labels, label values. */
function problemsOf(expr: string, where: string, exposition: Exposition): string[] {
  const problems: string[] = [];
  for (const { metric, matchers } of selectorsOf(expr)) {
    if (PROMETHEUS_SERIES.has(metric)) continue;
    let series = exposition.samples.get(metric);
    if (!series) {
      const base = /^(.*)_(bucket|sum|count)$/.exec(metric)?.[1];
      const type = base ? exposition.types.get(base) : undefined;
      if (type !== 'histogram' && type !== 'summary') {
        problems.push(`${where}: metric ${metric} is not exported by /metrics`);
        continue;
      }
      series = [];
    }
    for (const { label, op, value } of matchers) {
      if (TARGET_LABELS.has(label) || label === '__name__') continue;
      const values = series.map((s) => s[label]).filter((v): v is string => v !== undefined);
      if (values.length === 0) {
        problems.push(`${where}: ${metric} has no label "${label}"`);
        continue;
      }
      if (value.includes('$')) continue; // a Grafana variable
      if (op === '=' && !values.includes(value)) problems.push(`${where}: ${metric}{${label}="${value}"} matches no series (values: ${[...new Set(values)].join(', ')})`);
      if (op === '=~' && !values.some((v) => new RegExp(`^(?:${value})$`).test(v))) problems.push(`${where}: ${metric}{${label}=~"${value}"} matches no series`);
    }
  }
  return problems;
}

/** Every PromQL expression of the dashboard (panels, rows, annotations, variables) and of the alert rules. */
function expressions(): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  const dashboard = JSON.parse(read('deploy/grafana/cutover-dashboard.json')) as unknown;
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${where}[${i}]`));
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      const title = typeof o.title === 'string' ? o.title : typeof o.name === 'string' ? o.name : '';
      if (typeof o.expr === 'string') out.push({ where: `dashboard ${where} "${title}"`, expr: o.expr });
      for (const [k, v] of Object.entries(o)) if (k !== 'expr') walk(v, `${where}.${k}`);
    }
  };
  walk((dashboard as { panels: unknown }).panels, 'panels');
  walk((dashboard as { annotations: unknown }).annotations, 'annotations');
  for (const variable of (dashboard as { templating: { list: Array<{ name: string; type: string; query: unknown }> } }).templating.list) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : (variable.query as { query: string }).query;
    const inner = /^label_values\((.*),\s*\w+\)$/.exec(query.trim())?.[1] ?? query;
    out.push({ where: `dashboard variable $${variable.name}`, expr: inner });
  }
  for (const rule of alertRules()) out.push({ where: `alert ${rule.alert}`, expr: rule.expr });
  return out;
}

interface AlertRule { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }

function alertRules(): AlertRule[] {
  const doc = yamlDoc('deploy/prometheus/alerts.yml') as { groups: Array<{ name: string; rules: AlertRule[] }> };
  return doc.groups.flatMap((g) => g.rules);
}

// ---------------------------------------------------------------------------------------------
// helpers: promtool, files, env
// ---------------------------------------------------------------------------------------------

function promtool(): string {
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();
  // Not a skip: CI installs it (scripts/test-setup.sh, Debian package `prometheus`).
  assert.ok(found, 'promtool is missing: install the Debian package "prometheus" (npm test runs scripts/test-setup.sh, which does)');
  return found;
}

function run(t: TestContext, command: string, args: string[], cwd = ROOT): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed (${result.status ?? result.signal ?? result.error?.message}):\n${output}`);
  t.diagnostic(`${command} ${args.map((a) => relative(ROOT, a) || a).join(' ')}: ok`);
  return output;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** Markdown heading anchors as GitHub makes them. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    anchors.add(m[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-'));
  }
  for (const m of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  return anchors;
}

/** docker compose's variable interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_]\w*)/g, (whole, name?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const key = (name ?? bare)!;
    const value = vars[key];
    const unset = op?.startsWith(':') ? !value : value === undefined;
    if (op?.endsWith('?') && unset) throw new Error(`compose: required variable ${key} is not set: ${arg}`);
    if (op?.endsWith('-') && unset) return arg ?? '';
    return value ?? '';
  });
}

function deepInterpolate(node: unknown, vars: Record<string, string | undefined>): unknown {
  if (typeof node === 'string') return interpolate(node, vars);
  if (Array.isArray(node)) return node.map((n) => deepInterpolate(n, vars));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deepInterpolate(v, vars)]));
  return node;
}

function parseDotEnv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_]\w*)=(.*)$/.exec(line);
    if (m) vars[m[1]!] = m[2]!.trim();
  }
  return vars;
}

function envMap(environment: unknown): Record<string, string> {
  if (!environment) return {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(environment.map((e: string) => {
      const at = e.indexOf('=');
      return at < 0 ? [e, ''] : [e.slice(0, at), e.slice(at + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(environment as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** A compose healthcheck's probe, as "port path" when it is an HTTP fetch. */
function probeOf(healthcheck: { test?: string[] | string } | undefined): string | undefined {
  const text = Array.isArray(healthcheck?.test) ? healthcheck!.test.join(' ') : healthcheck?.test;
  const m = /https?:\/\/(?:127\.0\.0\.1|localhost):(\d+)(\/[\w/-]*)/.exec(text ?? '');
  return m ? `${m[1]} ${m[2]}` : undefined;
}

// ---------------------------------------------------------------------------------------------
// the tests
// ---------------------------------------------------------------------------------------------

test('every YAML and JSON file under deploy/ parses, and the expected files are there', () => {
  const files = filesUnder(path('deploy'));
  const expected = [
    'deploy/docker-compose.yml', 'deploy/compose/cutover.json', 'deploy/compose/redis.conf', 'deploy/compose/example.env',
    'deploy/compose/new-side-memory.yml', 'deploy/compose/unleash-seed.mjs', 'deploy/prometheus/prometheus.yml', 'deploy/prometheus/alerts.yml',
    'deploy/grafana/cutover-dashboard.json', 'deploy/grafana/provisioning/datasources/prometheus.yaml', 'deploy/grafana/provisioning/dashboards/cutover.yaml',
    ...['configmap', 'secret.template', 'deployment', 'service', 'pdb', 'hpa', 'servicemonitor', 'kustomization'].map((n) => `deploy/k8s/${n}.yaml`),
  ];
  for (const file of expected) assert.ok(files.includes(path(file)), `${file} is missing`);
  let parsed = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const name = relative(ROOT, file);
    if (/\.ya?ml$/.test(file)) {
      const docs = parseAllDocuments(text, { merge: true });
      for (const doc of Array.isArray(docs) ? docs : [docs]) {
        assert.deepEqual(doc.errors.map(String), [], `${name} does not parse as YAML`);
        assert.deepEqual(doc.warnings.map(String), [], `${name} YAML warnings`);
      }
      parsed++;
    } else if (file.endsWith('.json')) {
      assert.doesNotThrow(() => JSON.parse(text), `${name} does not parse as JSON`);
      parsed++;
    }
  }
  const configJson = (yamlDoc('deploy/k8s/configmap.yaml') as { data: Record<string, string> }).data['config.json']!;
  assert.doesNotThrow(() => JSON.parse(configJson), 'deploy/k8s/configmap.yaml: data["config.json"] is not JSON');
  assert.ok(parsed >= 15, `parsed ${parsed} files`);
  const seed = spawnSync(process.execPath, ['--check', path('deploy/compose/unleash-seed.mjs')], { encoding: 'utf8' });
  assert.equal(seed.status, 0, `unleash-seed.mjs: ${seed.stderr}`);
});

test('the PromQL checker finds what is not exported (so a typo fails this file)', () => {
  const exposition = parseExposition([
    '# TYPE cutover_state_version gauge', 'cutover_state_version 3',
    '# TYPE cutover_guard_verdict gauge', 'cutover_guard_verdict{verdict="hold"} 1', 'cutover_guard_verdict{verdict="healthy"} 0',
    '# TYPE cutover_adapter_latency_seconds histogram', 'cutover_adapter_latency_seconds_bucket{side="new",op="send",le="0.1"} 1',
    '',
  ].join('\n'));
  const ok = [
    'max by (namespace, job) (cutover_state_version{job=~"$job"}) - min(cutover_state_version) > 0',
    'histogram_quantile(0.99, sum by (side, le) (rate(cutover_adapter_latency_seconds_bucket{op="send", instance=~"$instance"}[$__rate_interval])))',
    'max(cutover_guard_verdict{verdict="hold"}) == 1 unless on (job) absent(up{job="cutover"} == 1)',
    'sum(rate(cutover_adapter_latency_seconds_count[5m])) offset 5m',
  ];
  for (const expr of ok) assert.deepEqual(problemsOf(expr, 'ok', exposition), [], expr);
  const bad: Array<[string, RegExp]> = [
    ['max(cutover_state_versoin)', /cutover_state_versoin is not exported/],
    ['cutovr_state_version > 1', /cutovr_state_version is not exported/],
    ['cutover_guard_verdict{verdict="hodl"} == 1', /matches no series/],
    ['cutover_guard_verdict{verdit="hold"}', /has no label "verdit"/],
    ['rate(cutover_adapter_latency_seconds_buckets[5m])', /not exported/],
  ];
  for (const [expr, problem] of bad) {
    const problems = problemsOf(expr, 'bad', exposition);
    assert.ok(problems.some((p) => problem.test(p)), `${expr}: expected ${problem}, got ${JSON.stringify(problems)}`);
  }
});

test('every metric, label and label value the dashboard and the alerts use is exported by /metrics; probes answer 200', async (t) => {
  // A stand-in Unleash Admin API that is down, so the mirror's failure counter exists too.
  const unleash: Server = createServer((_request, response) => { response.writeHead(503).end('down'); });
  await new Promise<void>((resolve) => unleash.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => unleash.close(() => resolve())));
  const cutover = await buildCutover(t, {
    'flags.mirror': { adminUrl: `http://127.0.0.1:${(unleash.address() as AddressInfo).port}`, adminToken: 'test-admin-token' },
    // Enough new-side sends to judge, so every guard rule reports its value and limit.
    'guard.minSamples': 10,
    // A priced side with a budget, so the cost series exist.
    'billing.new': { unit: 'rtm-1kb', packageFee: 399, includedUnits: 150_000_000, overagePerUnit: 0.000003, budget: 500 },
    'sla.old': { availability: 99.9 },
  });

  for (const url of ['/healthz', '/readyz']) {
    const res = await cutover.app.inject({ url });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
  }

  await canaryAt(cutover, 50);
  for (let i = 0; i < 60; i++) {
    const res = await cutover.app.inject({ method: 'POST', url: '/v1/messages', payload: { from: `deploy-u${i}`, to: { type: 'user', id: `deploy-v${i}` }, payload: 'hi', id: `deploy-${i}` } });
    assert.equal(res.statusCode, 201, res.body);
  }
  // A verify with re-drive that finds a message missing on new and fixes it, so the migration
  // series exist with the label values the dashboard and the alerts select.
  await until(async () => {
    const counts = await cutover.services.outbox.counts();
    return counts.owed.old + counts.owed.new + counts.unconfirmed === 0;
  }, 20_000, 'the outbox to drain');
  assert.ok(cutover.services.memorySide('new')!.delete('deploy-3'), 'new held deploy-3');
  const verify = await cutover.app.inject({
    method: 'POST', url: '/admin/migration/start', headers: bearer(OPERATOR_TOKEN),
    payload: { mode: 'verify', redrive: true, settle: '0s', reason: 'deploy files: migration series' },
  });
  assert.equal(verify.statusCode, 200, verify.body);
  const scrape = async (): Promise<string> => {
    const res = await cutover.app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    return res.body;
  };
  let text = '';
  const wanted = [/^cutover_guard_p99_seconds\{side="new"\}/m, /^cutover_guard_threshold\{rule="error-rate"\}/m, /^cutover_unleash_mirror_total\{result="failed"\}/m,
    /^cutover_adapter_latency_seconds_bucket\{/m, /^cutover_dual_write_total\{side="old",result="ok"\} [1-9]/m,
    /^cutover_migration_job_status\{id="[^"]+",mode="verify",status="done"\} 1/m, /^cutover_migration_mismatches_total\{kind="message_missing_on_new",fixed="true"\} 1/m];
  await until(async () => {
    text = await scrape();
    return wanted.every((re) => re.test(text));
  }, 20_000, `labelled series: ${wanted.filter((re) => !re.test(text)).join(', ')}`);

  const exposition = parseExposition(text);
  const all = expressions();
  assert.ok(all.length > 40, `found ${all.length} expressions`);
  const problems = all.flatMap(({ where, expr }) => problemsOf(expr, where, exposition));
  assert.deepEqual(problems, [], 'the dashboard or the alerts use series the gateway does not export');
  const used = new Set(all.flatMap(({ expr }) => selectorsOf(expr).map((s) => s.metric)));
  t.diagnostic(`${all.length} expressions use ${used.size} metrics, all exported`);
  // Every Cutover metric family is on the dashboard (default Node metrics aside), so a new metric
  // is not forgotten: add a panel, or list it in NOT_ON_DASHBOARD with the reason.
  const families = [...exposition.types.keys()].filter((n) => n.startsWith('cutover_') && !/^cutover_(process|nodejs)_/.test(n));
  const shown = new Set([...used].map((m) => m.replace(/_(bucket|sum|count)$/, '')));
  const dashboardText = read('deploy/grafana/cutover-dashboard.json');
  const missing = families.filter((f) => !shown.has(f) && !dashboardText.includes(f) && !NOT_ON_DASHBOARD.has(f));
  assert.deepEqual(missing, [], 'metric families no panel of deploy/grafana/cutover-dashboard.json shows');
});

test('the Dockerfile builds what the gateway needs and runs what the build outputs', () => {
  const text = read('Dockerfile').replace(/\\\n/g, ' ');
  const instructions = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ op: l.split(/\s+/)[0]!.toUpperCase(), args: l.slice(l.split(/\s+/)[0]!.length).trim() }));
  const args = Object.fromEntries(instructions.filter((i) => i.op === 'ARG').map((i) => i.args.split('=') as [string, string]));
  const froms = instructions.filter((i) => i.op === 'FROM').map((i) => interpolate(i.args.split(/\s+/)[0]!, args));
  assert.deepEqual(froms, ['node:20-bookworm-slim', 'node:20-bookworm-slim'], 'build and runtime stages');
  const stages = text.split(/^FROM /m).slice(1);
  const [build, runtime] = stages as [string, string];
  assert.match(build, /RUN npm ci\b/);
  assert.match(build, /RUN npm run build/);
  assert.match(runtime, /RUN npm ci --omit=dev --ignore-scripts/);

  const runtimeInstr = instructions.slice(instructions.map((i) => i.op).lastIndexOf('FROM'));
  const copies = runtimeInstr.filter((i) => i.op === 'COPY').map((i) => i.args);
  assert.ok(copies.some((c) => /--from=build\s+\/app\/dist\/src\/?\s+\.\/dist\/src\/?$/.test(c)), `runtime copies dist/src: ${copies.join(' | ')}`);
  assert.ok(copies.some((c) => /src\/infra\/redis\/lua\/?\s+\.\/src\/infra\/redis\/lua\/?$/.test(c)), 'runtime copies the Lua scripts');
  assert.ok(copies.some((c) => /^config\/?\s+\.\/config\/?$/.test(c)), 'runtime copies config/');

  const cmd = JSON.parse(runtimeInstr.find((i) => i.op === 'CMD')!.args) as string[];
  assert.deepEqual(cmd, ['node', 'dist/src/server.js']);
  assert.ok(existsSync(path(cmd[1]!)), `${cmd[1]} is in the build output`);
  // The image keeps the repository's layout (/app/dist/src, /app/src/infra/redis/lua, /app/config):
  // the compiled scripts module finds its Lua files there, and they are all present.
  const luaDir = fileURLToPath(new URL('../../../../src/infra/redis/lua/', pathToFileURL(path('dist/src/infra/redis/scripts.js'))));
  assert.equal(luaDir, path('src/infra/redis/lua/'));
  const luaFiles = [...read('src/infra/redis/scripts.ts').matchAll(/'([\w/-]+\.lua)'/g)].map((m) => m[1]!);
  assert.ok(luaFiles.length > 0, 'src/infra/redis/scripts.ts names its Lua files');
  for (const file of luaFiles) assert.ok(existsSync(join(luaDir, file)), `${file} is in src/infra/redis/lua/`);
  assert.ok(existsSync(path('config/flags.json')), 'config/flags.json (the default flags.bootstrapFile)');

  const user = runtimeInstr.find((i) => i.op === 'USER')?.args;
  assert.ok(user && !/^(root|0)(:|$)/.test(user), `runs as a non-root user (USER ${user})`);
  assert.deepEqual(runtimeInstr.filter((i) => i.op === 'EXPOSE').map((i) => Number(i.args)), [DEFAULT_PORT]);
  const healthcheck = runtimeInstr.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
  assert.match(healthcheck, /fetch\(.*\/healthz/, 'HEALTHCHECK fetches /healthz with node');
  assert.match(healthcheck, /CUTOVER_PORT \|\| 8080/);
  const env = runtimeInstr.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
  assert.match(env, /NODE_ENV=production/);
  assert.match(env, /CUTOVER_HOST=0\.0\.0\.0/);
  for (const key of env.match(/CUTOVER_\w+/g) ?? []) assert.ok(GATEWAY_ENV.has(key), `Dockerfile ENV ${key} is not a gateway env key`);

  // What the build copies exists and is not excluded by .dockerignore.
  const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const source of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'config']) {
    assert.ok(existsSync(path(source)), source);
    assert.ok(!ignored.includes(source) && !ignored.includes(`${source}/`), `.dockerignore excludes ${source}`);
  }
  for (const kept of ['node_modules', 'dist', '.git', '.env']) assert.ok(ignored.includes(kept), `.dockerignore keeps ${kept} out of the context`);
});

test('docker compose: env keys, ports, probes, mounts and the gateway config match the gateway', () => {
  const raw = yamlDoc('deploy/docker-compose.yml') as { services: Record<string, any>; volumes?: Record<string, unknown> };
  const example = parseDotEnv(read('deploy/compose/example.env'));
  const withAgora = { ...example, AGORA_APP_ID: 'agora-app-id-test', AGORA_TOKEN_1: 'rtm-token-1', AGORA_TOKEN_2: 'rtm-token-2' };
  // Every required variable is in example.env (interpolation throws otherwise).
  const compose = deepInterpolate(raw, withAgora) as typeof raw;
  const services = compose.services;
  for (const name of ['gateway-1', 'gateway-2', 'legacy-im', 'redis', 'postgres', 'unleash', 'unleash-seed', 'prometheus', 'grafana']) {
    assert.ok(services[name], `service ${name}`);
  }

  for (const [name, service] of Object.entries(services)) {
    for (const key of Object.keys(envMap(service.environment))) {
      if (key.startsWith('CUTOVER_')) assert.ok(GATEWAY_ENV.has(key), `${name}: ${key} is not an env key the gateway reads (ENV_OVERRIDES)`);
    }
    for (const volume of service.volumes ?? []) {
      const source = String(volume).split(':')[0]!;
      if (source.startsWith('.')) assert.ok(existsSync(join(path('deploy'), source)), `${name}: mounts ${source}, which does not exist`);
      else assert.ok(raw.volumes && source in raw.volumes, `${name}: named volume ${source} is not declared`);
    }
    for (const [dependency, condition] of Object.entries((service.depends_on ?? {}) as Record<string, { condition: string }>)) {
      assert.ok(services[dependency], `${name} depends on unknown ${dependency}`);
      if (condition.condition === 'service_healthy') assert.ok(services[dependency].healthcheck, `${name} waits for ${dependency} to be healthy, which has no healthcheck`);
    }
  }

  const gateways = Object.entries(services).filter(([, s]) => 'CUTOVER_REDIS_URL' in envMap(s.environment));
  assert.deepEqual(gateways.map(([n]) => n).sort(), ['gateway-1', 'gateway-2']);
  const rtmUsers = new Set<string>();
  for (const [name, service] of gateways) {
    assert.equal(service.image, 'cutover:local');
    assert.equal(service.build.dockerfile, 'Dockerfile');
    assert.ok(existsSync(join(path('deploy'), service.build.context, 'Dockerfile')), `${name}: build context has the Dockerfile`);
    assert.equal(service.command, undefined, `${name} runs the image's CMD (the gateway)`);
    for (const port of service.ports) assert.equal(Number(String(port).split(':').at(-1)), DEFAULT_PORT, `${name}: container port`);
    assert.ok(['8080 /readyz', '8080 /healthz'].includes(probeOf(service.healthcheck) ?? ''), `${name}: healthcheck ${probeOf(service.healthcheck)}`);
    const env = envMap(service.environment);
    // The config as this gateway loads it: the mounted file plus the env.
    const mount = (service.volumes as string[]).find((v) => v.endsWith(`:${env.CUTOVER_CONFIG}:ro`) || v.endsWith(`:${env.CUTOVER_CONFIG}`));
    assert.ok(mount, `${name}: CUTOVER_CONFIG ${env.CUTOVER_CONFIG} is mounted`);
    const config = loadConfig({ file: join(path('deploy'), mount.split(':')[0]!), env });
    assert.equal(config.http.port, DEFAULT_PORT);
    assert.equal(config.sides.old.type, 'http-legacy');
    assert.equal(config.sides.new.type, 'agora-rtm');
    assert.ok(config.redis.url?.startsWith('redis://'));
    assert.ok(config.flags.unleashUrl && config.flags.mirror, 'Unleash eligibility and mirror');
    assert.ok(config.admin.tokens.some((tk) => tk.role === 'operator'), 'an operator token');
    assert.ok(config.api.tokens.length > 0 && !config.api.open, 'a service token closes /v1');
    const graceMs = parseDuration(String(service.stop_grace_period)) ?? 10_000;
    assert.ok(graceMs >= config.http.drainPeriodMs + config.http.shutdownTimeoutMs + 5_000, `${name}: stop_grace_period covers the drain, the close and a margin`);
    if (config.sides.new.type === 'agora-rtm') rtmUsers.add(config.sides.new.userId);
    if (config.sides.old.type === 'http-legacy') {
      const [host, port] = new URL(config.sides.old.baseUrl).host.split(':');
      assert.ok(services[host!], `old side ${host} is a compose service`);
      assert.ok(services[host!].command.includes(port), `old side port ${port}`);
    }
  }
  assert.equal(rtmUsers.size, gateways.length, 'each gateway logs into RTM as its own user');

  // The memory override: the same gateways with a memory new side, no Agora variables needed.
  const override = deepInterpolate(yamlDoc('deploy/compose/new-side-memory.yml'), example) as { services: Record<string, any> };
  const plain = deepInterpolate(raw, example) as typeof raw;
  for (const [name, service] of Object.entries(override.services)) {
    assert.ok(gateways.some(([n]) => n === name), `override targets gateway ${name}`);
    const env = { ...envMap(plain.services[name].environment), ...envMap(service.environment) };
    assert.equal(loadConfig({ file: path('deploy/compose/cutover.json'), env }).sides.new.type, 'memory');
  }

  const legacy = services['legacy-im'];
  assert.deepEqual(legacy.command, ['node', 'dist/src/sim/legacy-im-server.js', '--port', '8081', '--host', '0.0.0.0']);
  assert.ok(existsSync(path('dist/src/sim/legacy-im-server.js')));
  assert.equal(probeOf(legacy.healthcheck), '8081 /health');
  assert.deepEqual(services['unleash-seed'].command, ['node', '/seed/unleash-seed.mjs']);

  const redisConf = read('deploy/compose/redis.conf');
  assert.match(redisConf, /^appendonly yes$/m, 'Redis keeps an AOF (the outbox must survive a restart)');
  assert.match(redisConf, /^appendfsync (everysec|always)$/m);
  assert.match(redisConf, /^maxmemory-policy noeviction$/m, 'Redis never evicts outbox keys');
  assert.ok(services.redis.command.includes('/usr/local/etc/redis/redis.conf'));
  assert.match(services.redis.image, /^redis:7/);
  assert.match(services.postgres.image, /^postgres:15/);
  assert.match(services.unleash.image, /^unleashorg\/unleash-server:7\.5/);

  // Prometheus scrapes exactly the gateways, on their port; Grafana gets the dashboard where its provider looks.
  const prometheus = yamlDoc('deploy/prometheus/prometheus.yml') as { scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }>; rule_files: string[] };
  const job = prometheus.scrape_configs.find((c) => c.job_name === 'cutover')!;
  assert.equal(job.metrics_path ?? '/metrics', '/metrics');
  assert.deepEqual(job.static_configs.flatMap((c) => c.targets).sort(), gateways.map(([n]) => `${n}:${DEFAULT_PORT}`).sort());
  assert.ok(services.prometheus.volumes.includes('./prometheus:/etc/prometheus:ro'));
  assert.ok(services.prometheus.command.includes('--config.file=/etc/prometheus/prometheus.yml'));
  const provider = (yamlDoc('deploy/grafana/provisioning/dashboards/cutover.yaml') as { providers: Array<{ options: { path: string } }> }).providers[0]!;
  assert.ok((services.grafana.volumes as string[]).some((v) => v.startsWith('./grafana/cutover-dashboard.json:') && v.split(':')[1]!.startsWith(`${provider.options.path}/`)), 'dashboard mounted into the provider path');
  assert.ok((services.grafana.volumes as string[]).includes('./grafana/provisioning:/etc/grafana/provisioning:ro'));
  const datasource = (yamlDoc('deploy/grafana/provisioning/datasources/prometheus.yaml') as { datasources: Array<{ type: string; url: string }> }).datasources[0]!;
  assert.equal(datasource.type, 'prometheus');
  assert.equal(new URL(datasource.url).hostname, 'prometheus');
});

test('Kubernetes: env keys, probes, ports, selectors and the gateway config match the gateway', (t) => {
  const docs = readdirSync(path('deploy/k8s')).filter((f) => f.endsWith('.yaml')).flatMap((f) =>
    parseAllDocuments(read('deploy/k8s', f)).map((d) => ({ file: f, doc: d.toJS() as any })));
  const kind = (k: string): any => {
    const found = docs.filter((d) => d.doc?.kind === k);
    assert.equal(found.length, 1, `one ${k}`);
    return found[0]!.doc;
  };
  const kustomization = kind('Kustomization');
  for (const resource of kustomization.resources as string[]) assert.ok(existsSync(path('deploy/k8s', resource)), `kustomization resource ${resource}`);
  assert.ok(!(kustomization.resources as string[]).includes('secret.template.yaml'), 'the placeholder Secret is not applied by kustomize');
  const deployment = kind('Deployment');
  const service = kind('Service');
  const configMap = kind('ConfigMap');
  const secret = kind('Secret');
  const pdb = kind('PodDisruptionBudget');
  const hpa = kind('HorizontalPodAutoscaler');
  const monitor = kind('ServiceMonitor');

  const spec = deployment.spec;
  assert.equal(spec.replicas, 3);
  const podLabels = spec.template.metadata.labels as Record<string, string>;
  const selects = (selector: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => podLabels[k] === v);
  assert.ok(selects(spec.selector.matchLabels), 'deployment selector');
  assert.ok(selects(service.spec.selector), 'service selector');
  assert.ok(selects(pdb.spec.selector.matchLabels), 'pdb selector');
  assert.ok(Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => service.metadata.labels[k] === v), 'servicemonitor selects the service');
  assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
  assert.equal(hpa.spec.metrics[0].resource.name, 'cpu');
  assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas > hpa.spec.minReplicas);

  const pod = spec.template.spec;
  assert.equal(pod.containers.length, 1);
  const container = pod.containers[0];
  const ports = container.ports as Array<{ name: string; containerPort: number }>;
  assert.deepEqual(ports.map((p) => [p.name, p.containerPort]), [['http', DEFAULT_PORT]]);
  assert.equal(container.readinessProbe.httpGet.path, '/readyz');
  assert.equal(container.livenessProbe.httpGet.path, '/healthz');
  for (const probe of [container.readinessProbe, container.livenessProbe]) assert.ok(ports.some((p) => p.name === probe.httpGet.port || p.containerPort === probe.httpGet.port));
  assert.ok(ports.some((p) => p.name === service.spec.ports[0].targetPort || p.containerPort === service.spec.ports[0].targetPort), 'service targetPort');
  assert.equal(monitor.spec.endpoints[0].port, service.spec.ports[0].name);
  assert.equal(monitor.spec.endpoints[0].path, '/metrics');
  assert.ok(container.resources.requests.cpu, 'a CPU request (the HPA needs it)');

  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.ok(pod.securityContext.runAsUser > 0);
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
  const preStop = container.lifecycle?.preStop?.exec?.command as string[] | undefined;
  const preStopSeconds = preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0;
  const spread = pod.topologySpreadConstraints as Array<{ topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }>;
  assert.ok(spread.some((s) => s.topologyKey === 'kubernetes.io/hostname'));
  for (const s of spread) assert.ok(selects(s.labelSelector.matchLabels));

  // The env as the kubelet resolves it for a pod, from the template Secret's placeholders.
  const podName = 'cutover-7d9f8b6c5-x2x4z';
  const env: Record<string, string> = {};
  for (const entry of container.env as Array<{ name: string; value?: string; valueFrom?: any }>) {
    if (entry.name.startsWith('CUTOVER_')) assert.ok(GATEWAY_ENV.has(entry.name), `${entry.name} is not an env key the gateway reads (ENV_OVERRIDES)`);
    if (entry.value !== undefined) {
      env[entry.name] = entry.value.replace(/\$\(([A-Za-z_]\w*)\)/g, (whole, name: string) => env[name] ?? whole);
      assert.ok(!/\$\([A-Za-z_]\w*\)/.test(env[entry.name]!), `${entry.name}: refers to a variable not defined above it: ${entry.value}`);
    } else if (entry.valueFrom.fieldRef) {
      assert.equal(entry.valueFrom.fieldRef.fieldPath, 'metadata.name');
      env[entry.name] = podName;
    } else if (entry.valueFrom.secretKeyRef) {
      const ref = entry.valueFrom.secretKeyRef;
      assert.equal(ref.name, secret.metadata.name, `${entry.name}: secret name`);
      assert.ok(ref.key in secret.stringData, `${entry.name}: secret key ${ref.key} is in secret.template.yaml`);
      env[entry.name] = secret.stringData[ref.key];
    } else {
      const ref = entry.valueFrom.configMapKeyRef;
      assert.equal(ref.name, configMap.metadata.name, `${entry.name}: configmap name`);
      assert.ok(ref.key in configMap.data, `${entry.name}: configmap key ${ref.key}`);
      env[entry.name] = configMap.data[ref.key];
    }
  }
  assert.equal(container.envFrom, undefined, 'every variable is listed (and checked) one by one');
  for (const key of Object.keys(secret.stringData)) {
    assert.ok((container.env as Array<{ valueFrom?: any }>).some((e) => e.valueFrom?.secretKeyRef?.key === key), `secret key ${key} is used`);
  }
  const volume = pod.volumes.find((v: any) => v.configMap?.name === configMap.metadata.name);
  const mount = container.volumeMounts.find((m: any) => m.name === volume.name);
  const item = volume.configMap.items.find((i: any) => `${mount.mountPath}/${i.path}` === env.CUTOVER_CONFIG);
  assert.ok(item, `CUTOVER_CONFIG ${env.CUTOVER_CONFIG} is the mounted configmap key`);
  const dir = mkdtempSync(join(tmpdir(), 'cutover-k8s-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.json'), configMap.data[item.key]);
  const config = loadConfig({ file: join(dir, 'config.json'), env });
  assert.equal(config.http.port, DEFAULT_PORT);
  assert.equal(config.http.host, '0.0.0.0');
  // A stop is the preStop (if any), the gateway's drain, then its close or its own exit 1: all before the SIGKILL.
  const stopSeconds = preStopSeconds + (config.http.drainPeriodMs + config.http.shutdownTimeoutMs) / 1000;
  assert.ok(stopSeconds + 5 <= pod.terminationGracePeriodSeconds, `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} covers ${stopSeconds} s of stop and a margin`);
  const readiness = container.readinessProbe;
  assert.ok(readiness.periodSeconds * readiness.failureThreshold * 1000 < config.http.drainPeriodMs, 'readiness notices a drain before it ends');
  assert.ok(config.redis.url?.startsWith('redis'), 'Redis from the Secret');
  assert.ok(config.flags.unleashUrl && config.flags.unleashToken);
  assert.ok(config.admin.tokens.length > 0);
  assert.ok(config.api.tokens.length > 0 && !config.api.open, 'a service token closes /v1');
  assert.equal(config.sides.old.type, 'http-legacy');
  assert.equal(config.sides.new.type, 'agora-rtm');
  if (config.sides.new.type === 'agora-rtm') assert.equal(config.sides.new.userId, `cutover-${podName}`, 'each pod its own RTM user');

});

test('Kubernetes, as `kubectl kustomize deploy/k8s` renders it: every object in the namespace, env keys the gateway reads, ConfigMap and Secret references that resolve, probes on real routes and the listening port, a grace period that covers the stop', async (t) => {
  const kubectl = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();
  // A missing kubectl fails: a render check that can be skipped proves nothing.
  assert.ok(kubectl, 'kubectl is missing: install the Debian package "kubernetes-client" (scripts/test-setup.sh does) or kubectl ≥ 1.22');
  const rendered = spawnSync(kubectl, ['kustomize', path('deploy/k8s')], { encoding: 'utf8', timeout: 60_000 });
  const version = spawnSync(kubectl, ['version', '--client'], { encoding: 'utf8' }).stdout.trim().replace(/\n/g, ', ');
  // kustomization.yaml's `labels:` needs kustomize 4.1+, embedded from kubectl 1.22 on (Debian 12's kubernetes-client is 1.20).
  assert.equal(rendered.status, 0, `kubectl kustomize deploy/k8s failed with ${version} (kubectl 1.22 or later is needed):\n${rendered.stderr}`);
  t.diagnostic(`kubectl kustomize deploy/k8s: ok (${version})`);
  const objects = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as any).filter(Boolean);
  const kustomization = yamlDoc('deploy/k8s/kustomization.yaml');
  const id = (o: any): string => `${o.kind}/${o.metadata.name}`;
  const listed = (kustomization.resources as string[]).flatMap((file) => parseAllDocuments(read('deploy/k8s', file)).map((d) => id(d.toJS())));
  assert.deepEqual(objects.map(id).sort(), listed.sort(), 'every listed resource is rendered, nothing else');
  for (const o of objects) {
    assert.equal(o.metadata.namespace, kustomization.namespace, `${id(o)}: namespace`);
    assert.equal(o.metadata.labels?.['app.kubernetes.io/part-of'], 'cutover', `${id(o)}: part-of label`);
  }
  const single = (kind: string): any => {
    const found = objects.filter((o) => o.kind === kind);
    assert.equal(found.length, 1, `one ${kind} rendered`);
    return found[0];
  };
  const deployment = single('Deployment');
  const service = single('Service');
  const pod = deployment.spec.template.spec;
  const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
  for (const [what, selector] of [['deployment', deployment.spec.selector.matchLabels], ['service', service.spec.selector], ['pdb', single('PodDisruptionBudget').spec.selector.matchLabels]] as const) {
    assert.ok(Object.entries(selector as Record<string, string>).every(([k, v]) => podLabels[k] === v), `${what} selector still selects the pods after the labels kustomize adds`);
  }
  const [image] = kustomization.images as Array<{ newName: string; newTag: string }>;
  for (const container of pod.containers) assert.equal(container.image, `${image!.newName}:${image!.newTag}`, `${container.name}: the kustomization's image`);

  // The Secret is not rendered (placeholders): it is created from secret.template.yaml, whose name and keys a reference must match.
  const secret = yamlDoc('deploy/k8s/secret.template.yaml');
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name as string, o]));
  const resolved = new Set<string>();
  const resolve = (where: string, kind: 'ConfigMap' | 'Secret', name: string, key?: string): string | undefined => {
    if (kind === 'ConfigMap') {
      const configMap = configMaps.get(name);
      assert.ok(configMap, `${where}: ConfigMap ${name} is not in the rendered output`);
      if (key !== undefined) assert.ok(key in configMap.data, `${where}: ConfigMap ${name} has no key ${key}`);
    } else {
      assert.equal(name, secret.metadata.name, `${where}: Secret ${name} is not the one secret.template.yaml describes`);
      if (key !== undefined) assert.ok(key in secret.stringData, `${where}: secret.template.yaml has no key ${key}`);
    }
    resolved.add(`${kind}/${name}${key === undefined ? '' : `:${key}`}`);
    return key === undefined ? undefined : kind === 'ConfigMap' ? configMaps.get(name).data[key] : secret.stringData[key];
  };
  const container = pod.containers.find((c: any) => c.name === 'gateway');
  /** The gateway container's env as the kubelet resolves it (the Secret from the template's placeholders). */
  const env: Record<string, string> = {};
  for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
    for (const entry of c.env ?? []) {
      const where = `${c.name} env ${entry.name}`;
      const ref = entry.valueFrom?.configMapKeyRef ?? entry.valueFrom?.secretKeyRef;
      const value = ref ? resolve(where, entry.valueFrom.configMapKeyRef ? 'ConfigMap' : 'Secret', ref.name, ref.key)
        : entry.valueFrom?.fieldRef ? 'cutover-7d9f8b6c5-x2x4z'
          : (entry.value as string).replace(/\$\(([A-Za-z_]\w*)\)/g, (whole, name: string) => env[name] ?? whole);
      if (c !== container) continue;
      if (entry.name.startsWith('CUTOVER_')) assert.ok(GATEWAY_ENV.has(entry.name), `${where} is not an env key the gateway reads (ENV_OVERRIDES)`);
      if (value !== undefined) env[entry.name] = value;
    }
    for (const from of c.envFrom ?? []) {
      const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
      resolve(`${c.name} envFrom`, kind, (from.configMapRef ?? from.secretRef).name);
      const keys = kind === 'ConfigMap' ? Object.keys(configMaps.get(from.configMapRef.name).data) : Object.keys(secret.stringData);
      for (const key of keys.filter((k) => k.startsWith('CUTOVER_'))) assert.ok(GATEWAY_ENV.has(key), `${c.name} envFrom ${key} is not an env key the gateway reads`);
    }
  }
  for (const volume of pod.volumes ?? []) {
    const sources = volume.projected?.sources ?? [volume];
    for (const source of sources) {
      const configMap = source.configMap;
      const secretRef = source.secret;
      if (configMap) for (const item of configMap.items ?? [undefined]) resolve(`volume ${volume.name}`, 'ConfigMap', configMap.name, item?.key);
      if (secretRef) for (const item of secretRef.items ?? [undefined]) resolve(`volume ${volume.name}`, 'Secret', secretRef.secretName ?? secretRef.name, item?.key);
    }
  }
  t.diagnostic(`references resolved: ${[...resolved].sort().join(', ')}`);

  // The gateway's config as this pod would load it: the mounted config.json and the env set above.
  const configVolume = pod.volumes.find((v: any) => v.configMap && container.volumeMounts.some((m: any) => m.name === v.name && env.CUTOVER_CONFIG?.startsWith(`${m.mountPath}/`)));
  assert.ok(configVolume, `CUTOVER_CONFIG (${env.CUTOVER_CONFIG}) is in a mounted ConfigMap`);
  const mountPath = container.volumeMounts.find((m: any) => m.name === configVolume.name).mountPath as string;
  const item = (configVolume.configMap.items as Array<{ key: string; path: string }>).find((i) => `${mountPath}/${i.path}` === env.CUTOVER_CONFIG);
  assert.ok(item, `CUTOVER_CONFIG (${env.CUTOVER_CONFIG}) names a mounted item`);
  const dir = mkdtempSync(join(tmpdir(), 'cutover-kustomized-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.json'), configMaps.get(configVolume.configMap.name).data[item.key]);
  const config = loadConfig({ file: join(dir, 'config.json'), env: Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'CUTOVER_CONFIG')) });

  // Probes and the Service reach the port the gateway listens on, and routes it serves.
  const ports = container.ports as Array<{ name?: string; containerPort: number }>;
  const portOf = (port: string | number): number | undefined => (typeof port === 'number' ? port : ports.find((p) => p.name === port)?.containerPort);
  assert.ok(ports.some((p) => p.containerPort === config.http.port), `a containerPort is the gateway's http.port ${config.http.port}`);
  assert.equal(portOf(service.spec.ports[0].targetPort), config.http.port, 'the Service targets the listening port');
  const probes = { readinessProbe: '/readyz', livenessProbe: '/healthz' } as const;
  const cutover = await buildCutover(t);
  for (const [probe, route] of Object.entries(probes)) {
    const httpGet = container[probe]?.httpGet;
    assert.ok(httpGet, `${probe} is an HTTP GET`);
    assert.equal(httpGet.path, route, `${probe} asks ${route}`);
    assert.equal(portOf(httpGet.port), config.http.port, `${probe} on the listening port`);
    const res = await cutover.app.inject({ url: httpGet.path });
    assert.equal(res.statusCode, 200, `${probe} ${httpGet.path} is a route the gateway answers: ${res.body}`);
  }
  if (container.startupProbe) assert.equal(portOf(container.startupProbe.httpGet.port), config.http.port, 'startupProbe on the listening port');

  // A stop is the preStop sleep (if any), the drain, then the close: all before the SIGKILL.
  const preStop = container.lifecycle?.preStop?.exec?.command as string[] | undefined;
  const stopSeconds = (preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0) + (config.http.drainPeriodMs + config.http.shutdownTimeoutMs) / 1000;
  assert.ok(stopSeconds < pod.terminationGracePeriodSeconds, `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} covers http.drainPeriod + http.shutdownTimeout (${stopSeconds} s)`);
});

test('every Redis URL the Secret template and docs/deploy.md show is one the gateway parses, for one server, Sentinel and Cluster', () => {
  const section = /^## Redis: standalone, Sentinel or Cluster$([\s\S]*?)^## /m.exec(read('docs/deploy.md'))?.[1];
  assert.ok(section, 'docs/deploy.md has the section "Redis: standalone, Sentinel or Cluster"');
  for (const [where, text] of [['deploy/k8s/secret.template.yaml', read('deploy/k8s/secret.template.yaml')], ['docs/deploy.md', section]] as const) {
    const urls = [...text.matchAll(/\brediss?(?:\+sentinel|\+cluster)?:\/\/[^\s"'`|]+/g)].map((m) => m[0]);
    const modes = new Set(urls.map((url) => {
      assert.doesNotThrow(() => parseRedisUrl(url), `${where}: ${url}`);
      return parseRedisUrl(url).mode;
    }));
    assert.deepEqual([...modes].sort(), ['cluster', 'sentinel', 'standalone'], `${where} shows each mode: ${urls.join(' ')}`);
  }
});

test('alert rules and dashboard queries pass promtool; alerts link their runbook and fire when they should (promtool test rules)', (t) => {
  const bin = promtool();
  t.diagnostic(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]!);
  run(t, bin, ['check', 'rules', path('deploy/prometheus/alerts.yml')]);
  // Offline: targets are only names here; rule_files resolve next to the config.
  run(t, bin, ['check', 'config', path('deploy/prometheus/prometheus.yml')]);

  // The dashboard's PromQL is valid too: Grafana's variables filled in, each expression becomes a
  // recording rule for promtool to parse.
  const dir = mkdtempSync(join(tmpdir(), 'cutover-rules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const grafanaVars: Record<string, string> = { __rate_interval: '1m', __interval: '1m', __range: '1h', job: 'cutover', instance: '.*' };
  const dashboardRules = expressions().filter((e) => e.where.startsWith('dashboard')).map((e, i) => ({
    record: `cutover_dashboard:expr_${i}`,
    expr: e.expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => grafanaVars[name] ?? whole),
  }));
  writeFileSync(join(dir, 'dashboard.yml'), stringifyYaml({ groups: [{ name: 'dashboard', rules: dashboardRules }] }));
  run(t, bin, ['check', 'rules', join(dir, 'dashboard.yml')]);

  const rules = alertRules();
  const anchors = anchorsOf(read('docs/alerts.md'));
  const names = new Set<string>();
  for (const rule of rules) {
    assert.ok(!names.has(rule.alert), `${rule.alert} twice`);
    names.add(rule.alert);
    assert.ok(['critical', 'warning'].includes(rule.labels?.severity ?? ''), `${rule.alert}: severity`);
    for (const key of ['summary', 'description', 'runbook']) assert.ok(rule.annotations?.[key], `${rule.alert}: annotation ${key}`);
    const anchor = /^docs\/alerts\.md#([\w-]+)$/.exec(rule.annotations!.runbook!)?.[1];
    assert.ok(anchor, `${rule.alert}: runbook must be docs/alerts.md#<anchor>: ${rule.annotations!.runbook}`);
    assert.ok(anchors.has(anchor), `${rule.alert}: docs/alerts.md has no section #${anchor}`);
  }
  for (const wanted of ['CutoverRolledBack', 'CutoverOutboxGrowing', 'CutoverDeadLetters', 'CutoverGuardHolding', 'CutoverInstanceStateStale', 'CutoverStateVersionSkew']) {
    assert.ok(names.has(wanted), `alert ${wanted}`);
  }

  // Unit tests of the rules. promtool compares annotations too; the templates are checked above,
  // so the rules under test have them removed and only expressions, `for` and labels are tested.
  const stripped = yamlDoc('deploy/prometheus/alerts.yml') as { groups: Array<{ rules: AlertRule[] }> };
  for (const group of stripped.groups) for (const rule of group.rules) delete rule.annotations;
  writeFileSync(join(dir, 'rules.yml'), stringifyYaml(stripped));

  const ruleLabels = (name: string): Record<string, string> => rules.find((r) => r.alert === name)!.labels!;
  const fire = (name: string, labels: Record<string, string> = {}) => ({ exp_labels: { ...ruleLabels(name), ...labels } });
  const at = (eval_time: string, alertname: string, exp_alerts: unknown[]) => ({ eval_time, alertname, exp_alerts });
  const gw = (metric: string, instance: string, labels = '') => `${metric}{job="cutover",instance="${instance}"${labels ? `,${labels}` : ''}}`;
  const job = { job: 'cutover' };
  const tests = [
    { // rolled back at 1m, resumed at 4m: fires while rolled back and for 5 minutes after the rollback
      interval: '10s',
      input_series: [
        { series: gw('cutover_state_rolled_back', 'gateway-1'), values: '0x5 1x17 0x100' },
        { series: gw('cutover_state_rolled_back', 'gateway-2'), values: '0x5 1x17 0x100' },
        { series: gw('cutover_rollbacks_total', 'gateway-1', 'trigger="auto"'), values: '0x5 1x117' },
        { series: gw('cutover_rollbacks_total', 'gateway-2', 'trigger="auto"'), values: '0x5 1x117' },
      ],
      alert_rule_test: [
        at('50s', 'CutoverRolledBack', []),
        at('2m', 'CutoverRolledBack', [fire('CutoverRolledBack', job)]),
        at('5m', 'CutoverRolledBack', [fire('CutoverRolledBack', job)]),
        at('12m', 'CutoverRolledBack', []),
        at('2m', 'CutoverGuardHolding', []),
      ],
    },
    { // gateway-2 loses Redis at 100 s: its state grows stale; firing after a minute of it
      interval: '10s',
      input_series: [
        { series: gw('cutover_state_age_seconds', 'gateway-1'), values: '0.5x40' },
        { series: gw('cutover_state_age_seconds', 'gateway-2'), values: '0.5x9 1+10x30' },
      ],
      alert_rule_test: [
        at('2m', 'CutoverInstanceStateStale', []),
        at('4m', 'CutoverInstanceStateStale', [fire('CutoverInstanceStateStale', { ...job, instance: 'gateway-2' })]),
      ],
    },
    { // a version change seen one scrape apart is no skew; a version one instance never gets is
      interval: '10s',
      input_series: [
        { series: gw('cutover_state_version', 'gateway-1'), values: '4x3 5x20 6x20' },
        { series: gw('cutover_state_version', 'gateway-2'), values: '4x4 5x20 6x19' },
        { series: gw('cutover_state_version', 'gateway-3'), values: '4x3 5x41' },
      ],
      alert_rule_test: [
        at('4m', 'CutoverStateVersionSkew', []),
        at('7m', 'CutoverStateVersionSkew', [fire('CutoverStateVersionSkew', job)]),
      ],
    },
    { // the new side is down: owed writes grow (fleet-wide figure, same on both instances); old drains
      interval: '10s',
      input_series: [
        { series: gw('cutover_outbox_owed', 'gateway-1', 'side="new"'), values: '0+50x120' },
        { series: gw('cutover_outbox_owed', 'gateway-2', 'side="new"'), values: '0+50x120' },
        { series: gw('cutover_outbox_owed', 'gateway-1', 'side="old"'), values: '6000-50x120' },
      ],
      alert_rule_test: [
        at('10m', 'CutoverOutboxGrowing', []),
        at('18m', 'CutoverOutboxGrowing', [fire('CutoverOutboxGrowing', { ...job, side: 'new' })]),
      ],
    },
    { // 3 writes dead-lettered at 5 min: raised while new ones arrive, then quiet
      interval: '10s',
      input_series: [
        { series: gw('cutover_outbox_dead_letters', 'gateway-1', 'side="new"'), values: '0x30 3x200' },
        { series: gw('cutover_outbox_dead_letters', 'gateway-1', 'side="old"'), values: '0x230' },
      ],
      alert_rule_test: [
        at('4m', 'CutoverDeadLetters', []),
        at('6m', 'CutoverDeadLetters', [fire('CutoverDeadLetters', { ...job, side: 'new' })]),
        at('25m', 'CutoverDeadLetters', []),
      ],
    },
    { // the guard holds for lack of data: warned after 30 minutes, not while rolled back
      interval: '1m',
      input_series: [
        { series: gw('cutover_guard_verdict', 'gateway-1', 'verdict="hold"'), values: '1x60' },
        { series: gw('cutover_state_rolled_back', 'gateway-1'), values: '0x40 1x20' },
      ],
      alert_rule_test: [
        at('29m', 'CutoverGuardHolding', []),
        at('32m', 'CutoverGuardHolding', [fire('CutoverGuardHolding', job)]),
        at('50m', 'CutoverGuardHolding', []),
      ],
    },
    { // 10 % of new-side sends time out; old is clean
      interval: '10s',
      input_series: [
        { series: gw('cutover_adapter_requests_total', 'gateway-1', 'side="new",op="send",outcome="ok"'), values: '0+90x120' },
        { series: gw('cutover_adapter_requests_total', 'gateway-1', 'side="new",op="send",outcome="timeout"'), values: '0+10x120' },
        { series: gw('cutover_adapter_requests_total', 'gateway-1', 'side="old",op="send",outcome="ok"'), values: '0+100x120' },
        { series: gw('cutover_adapter_requests_total', 'gateway-1', 'side="old",op="send",outcome="timeout"'), values: '0x120' },
      ],
      alert_rule_test: [
        at('5m', 'CutoverSideErrorRatio', []),
        at('17m', 'CutoverSideErrorRatio', [fire('CutoverSideErrorRatio', { ...job, side: 'new' })]),
      ],
    },
    { // 5 % of sends fail on their primary
      interval: '10s',
      input_series: [
        { series: gw('cutover_messages_total', 'gateway-1', 'primary="old",result="accepted"'), values: '0+95x60' },
        { series: gw('cutover_messages_total', 'gateway-1', 'primary="old",result="failed"'), values: '0+5x60' },
      ],
      alert_rule_test: [
        at('3m', 'CutoverSendFailures', []),
        at('8m', 'CutoverSendFailures', [fire('CutoverSendFailures', job)]),
      ],
    },
    { // gateway-1 stops answering, later gateway-2 too
      interval: '10s',
      input_series: [
        { series: 'up{job="cutover",instance="gateway-1"}', values: '1x5 0x60' },
        { series: 'up{job="cutover",instance="gateway-2"}', values: '1x30 0x35' },
        { series: gw('cutover_nodejs_eventloop_lag_p99_seconds', 'gateway-1'), values: '0.01x65' },
      ],
      alert_rule_test: [
        at('1m', 'CutoverTargetDown', []),
        at('4m', 'CutoverTargetDown', [fire('CutoverTargetDown', { ...job, instance: 'gateway-1' })]),
        at('4m', 'CutoverNoGatewayUp', []),
        at('9m', 'CutoverNoGatewayUp', [fire('CutoverNoGatewayUp')]),
        at('9m', 'CutoverEventLoopLag', []),
      ],
    },
    { // Redis loses the state record at 2m; break-glass writes a fresh one at 3m (a new generation)
      interval: '30s',
      input_series: [
        { series: gw('cutover_state_record_missing', 'gateway-1'), values: '0x3 1x2 0x30' },
        { series: gw('cutover_state_anomalies_total', 'gateway-1', 'kind="missing"'), values: '0x3 1x40' },
        { series: gw('cutover_state_anomalies_total', 'gateway-1', 'kind="generation_changed"'), values: '0x5 1x40' },
        { series: gw('cutover_outbox_waiting_commits', 'gateway-1'), values: '0x2 40x6 0x30' },
      ],
      alert_rule_test: [
        at('1m', 'CutoverStateAnomaly', []),
        at('2m30s', 'CutoverStateAnomaly', [fire('CutoverStateAnomaly', job)]),
        at('8m', 'CutoverStateAnomaly', [fire('CutoverStateAnomaly', job)]),
        at('20m', 'CutoverStateAnomaly', []),
        at('2m', 'CutoverOutboxCommitsWaiting', []),
        at('3m30s', 'CutoverOutboxCommitsWaiting', [fire('CutoverOutboxCommitsWaiting', { ...job, instance: 'gateway-1' })]),
        at('6m', 'CutoverOutboxCommitsWaiting', []),
      ],
    },
    { // a copy job moves until 10m, then its done count stands still while 8 units stay open
      interval: '1m',
      input_series: [
        { series: gw('cutover_migration_job_status', 'gateway-1', 'id="copy-1",mode="copy",status="running"'), values: '1x40' },
        { series: gw('cutover_migration_open_units', 'gateway-1', 'state="open"'), values: '8x40' },
        { series: gw('cutover_migration_progress_items', 'gateway-1', 'of="done"'), values: '0+100x10 1000x30' },
        { series: gw('cutover_migration_progress_items', 'gateway-2', 'of="done"'), values: '0+100x10 1000x30' },
      ],
      alert_rule_test: [
        at('9m', 'CutoverMigrationStalled', []),
        at('22m', 'CutoverMigrationStalled', []),
        at('26m', 'CutoverMigrationStalled', [fire('CutoverMigrationStalled', job)]),
      ],
    },
    { // a job paused at 5m: its done count stands still, but nothing is stalled
      interval: '1m',
      input_series: [
        { series: gw('cutover_migration_job_status', 'gateway-1', 'id="copy-2",mode="copy",status="running"'), values: '1x5 0x35' },
        { series: gw('cutover_migration_job_status', 'gateway-1', 'id="copy-2",mode="copy",status="paused"'), values: '0x5 1x35' },
        { series: gw('cutover_migration_open_units', 'gateway-1', 'state="open"'), values: '8x40' },
        { series: gw('cutover_migration_progress_items', 'gateway-1', 'of="done"'), values: '0+100x5 500x35' },
      ],
      alert_rule_test: [
        at('30m', 'CutoverMigrationStalled', []),
      ],
    },
    { // a verify finds 4 mismatches and fixes 3: raised once it is done, not while it runs
      interval: '1m',
      input_series: [
        { series: gw('cutover_migration_job_status', 'gateway-1', 'id="verify-1",mode="verify",status="running"'), values: '1x10 0x20' },
        { series: gw('cutover_migration_job_status', 'gateway-1', 'id="verify-1",mode="verify",status="done"'), values: '0x10 1x20' },
        { series: gw('cutover_migration_job_mismatches', 'gateway-1', 'state="found"'), values: '0+1x4 4x25' },
        { series: gw('cutover_migration_job_mismatches', 'gateway-1', 'state="fixed"'), values: '0x6 3x23' },
      ],
      alert_rule_test: [
        at('8m', 'CutoverMigrationMismatches', []),
        at('12m', 'CutoverMigrationMismatches', [fire('CutoverMigrationMismatches', job)]),
      ],
    },
    { // a re-drive that fixed every mismatch it found
      interval: '1m',
      input_series: [
        { series: gw('cutover_migration_job_status', 'gateway-1', 'id="verify-2",mode="verify",status="done"'), values: '1x20' },
        { series: gw('cutover_migration_job_mismatches', 'gateway-1', 'state="found"'), values: '4x20' },
        { series: gw('cutover_migration_job_mismatches', 'gateway-1', 'state="fixed"'), values: '4x20' },
      ],
      alert_rule_test: [
        at('10m', 'CutoverMigrationMismatches', []),
      ],
    },
    { // the bridge healthy for 10 minutes, then every crossing takes over a second
      interval: '1m',
      input_series: [
        { series: gw('cutover_bridge_lag_seconds_bucket', 'gateway-1', 'from="old",le="0.25"'), values: '0+60x10 600x30' },
        { series: gw('cutover_bridge_lag_seconds_bucket', 'gateway-1', 'from="old",le="1"'), values: '0+60x10 600x30' },
        { series: gw('cutover_bridge_lag_seconds_bucket', 'gateway-1', 'from="old",le="2.5"'), values: '0+60x40' },
        { series: gw('cutover_bridge_lag_seconds_bucket', 'gateway-1', 'from="old",le="+Inf"'), values: '0+60x40' },
        { series: gw('cutover_bridge_lag_seconds_count', 'gateway-1', 'from="old"'), values: '0+60x40' },
      ],
      alert_rule_test: [
        at('9m', 'CutoverBridgeLagHigh', []),
        at('14m', 'CutoverBridgeLagHigh', []),
        at('28m', 'CutoverBridgeLagHigh', [fire('CutoverBridgeLagHigh', job)]),
      ],
    },
    { // old's webhooks fail their signature from 5m on; new has one stale event, which is noise
      interval: '1m',
      input_series: [
        { series: gw('cutover_bridge_rejected_total', 'gateway-1', 'side="old",reason="bad_signature"'), values: '0x5 0+5x25' },
        { series: gw('cutover_bridge_rejected_total', 'gateway-1', 'side="new",reason="stale_timestamp"'), values: '0x5 1x25' },
      ],
      alert_rule_test: [
        at('4m', 'CutoverBridgeWebhooksRefused', []),
        at('20m', 'CutoverBridgeWebhooksRefused', [fire('CutoverBridgeWebhooksRefused', { ...job, side: 'old' })]),
      ],
    },
    { // new's projection climbs past its budget at 20m; old stays under its own
      interval: '1m',
      input_series: [
        { series: gw('cutover_cost_projected', 'gateway-1', 'side="new",currency="USD"'), values: '300+10x60' },
        { series: gw('cutover_cost_budget', 'gateway-1', 'side="new",currency="USD"'), values: '500x60' },
        { series: gw('cutover_cost_projected', 'gateway-1', 'side="old",currency="EUR"'), values: '100x60' },
        { series: gw('cutover_cost_budget', 'gateway-1', 'side="old",currency="EUR"'), values: '200x60' },
      ],
      alert_rule_test: [
        at('25m', 'CutoverCostOverBudget', []),
        at('55m', 'CutoverCostOverBudget', [fire('CutoverCostOverBudget', { ...job, side: 'new', currency: 'USD' })]),
      ],
    },
    { // new fails 9 % of sends from 10m on, against a 99.9 % objective: a fast burn
      interval: '1m',
      input_series: [
        { series: gw('cutover_adapter_requests_total', 'gateway-1', 'side="new",op="send",outcome="ok"'), values: '0+600x60' },
        { series: gw('cutover_adapter_requests_total', 'gateway-1', 'side="new",op="send",outcome="unavailable"'), values: '0x10 0+60x50' },
        { series: gw('cutover_sla_objective_ratio', 'gateway-1', 'side="new"'), values: '0.999x60' },
      ],
      alert_rule_test: [
        at('9m', 'CutoverErrorBudgetBurnFast', []),
        at('30m', 'CutoverErrorBudgetBurnFast', [fire('CutoverErrorBudgetBurnFast', { ...job, side: 'new' })]),
      ],
    },
    { // old: a 3-minute spike of failures is noise for both burn rates
      interval: '1m',
      input_series: [
        { series: gw('cutover_adapter_requests_total', 'gateway-1', 'side="old",op="send",outcome="ok"'), values: '0+600x90' },
        { series: gw('cutover_adapter_requests_total', 'gateway-1', 'side="old",op="send",outcome="timeout"'), values: '0x60 0+60x3 180x26' },
        { series: gw('cutover_adapter_requests_total', 'gateway-1', 'side="old",op="send",outcome="rejected"'), values: '0+300x90' },
        { series: gw('cutover_sla_objective_ratio', 'gateway-1', 'side="old"'), values: '0.999x90' },
      ],
      alert_rule_test: [
        at('64m', 'CutoverErrorBudgetBurnFast', []),
        at('70m', 'CutoverErrorBudgetBurnFast', []),
        at('90m', 'CutoverErrorBudgetBurnSlow', []),
      ],
    },
    { // new fails 1 % of sends for 8 hours against 99.9 %: a slow burn (6×), not a fast one (14.4×)
      interval: '5m',
      input_series: [
        { series: gw('cutover_adapter_requests_total', 'gateway-1', 'side="new",op="send",outcome="ok"'), values: '0+4950x100' },
        { series: gw('cutover_adapter_requests_total', 'gateway-1', 'side="new",op="send",outcome="vendor_error"'), values: '0+50x100' },
        { series: gw('cutover_sla_objective_ratio', 'gateway-1', 'side="new"'), values: '0.999x100' },
      ],
      alert_rule_test: [
        at('7h', 'CutoverErrorBudgetBurnSlow', [fire('CutoverErrorBudgetBurnSlow', { ...job, side: 'new' })]),
        at('7h', 'CutoverErrorBudgetBurnFast', []),
      ],
    },
    { // an event loop blocked for 10 minutes; a failed Unleash mirror write
      interval: '1m',
      input_series: [
        { series: gw('cutover_nodejs_eventloop_lag_p99_seconds', 'gateway-1'), values: '0.5x20' },
        { series: gw('cutover_unleash_mirror_total', 'gateway-1', 'result="failed"'), values: '0x2 1x40' },
      ],
      alert_rule_test: [
        at('8m', 'CutoverEventLoopLag', []),
        at('12m', 'CutoverEventLoopLag', [fire('CutoverEventLoopLag', { ...job, instance: 'gateway-1' })]),
        at('5m', 'CutoverUnleashMirrorFailing', [fire('CutoverUnleashMirrorFailing', job)]),
        at('30m', 'CutoverUnleashMirrorFailing', []),
      ],
    },
  ];
  const tested = new Set(tests.flatMap((tc) => tc.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
  assert.deepEqual([...names].filter((n) => !tested.has(n)), [], 'every alert has a test where it fires');
  writeFileSync(join(dir, 'rules.test.yml'), stringifyYaml({ rule_files: [join(dir, 'rules.yml')], evaluation_interval: '10s', tests }));
  run(t, bin, ['test', 'rules', join(dir, 'rules.test.yml')]);
});

test('docs: deploy.md covers compose and Kubernetes; alerts.md has a section for every alert', () => {
  const deploy = read('docs/deploy.md');
  for (const needle of ['docker compose -f deploy/docker-compose.yml', 'kubectl apply -k deploy/k8s', 'deploy/compose/example.env', 'new-side-memory.yml']) {
    assert.ok(deploy.includes(needle), `docs/deploy.md mentions ${needle}`);
  }
  const alerts = read('docs/alerts.md');
  for (const rule of alertRules()) assert.match(alerts, new RegExp(`^#+\\s+${rule.alert}\\s*$`, 'm'), `docs/alerts.md: section ${rule.alert}`);
  for (const command of ['cutover status', 'cutover rollback --reason', 'cutover resume', 'cutover outbox', 'cutover rollback --redis']) {
    assert.ok(alerts.includes(command), `docs/alerts.md shows ${command}`);
  }
});
