/** The status page's stylesheet: system fonts only (production has no internet), dark, dense, tabular numbers. */
export const PAGE_STYLE = `
:root {
  --bg: #0d1117; --panel: #151b23; --panel-2: #1b232d; --line: #2a3441; --text: #e6edf3; --muted: #8d99a8; --faint: #5d6875;
  --green: #3fb950; --amber: #d29922; --red: #f85149; --red-bg: #3d1418; --blue: #58a6ff;
  --old: #c297ff; --new: #39c5cf;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Helvetica Neue", Arial, sans-serif;
  --mono: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace;
  color-scheme: dark;
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 var(--sans); }
body { padding: 0 20px 24px; max-width: 1440px; margin: 0 auto; }
[hidden] { display: none !important; }
.num { font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.mono, code { font-family: var(--mono); }

header.top { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; padding: 14px 0 12px; border-bottom: 1px solid var(--line); margin-bottom: 14px; }
.brand { font-weight: 700; font-size: 18px; letter-spacing: .2px; display: flex; align-items: baseline; gap: 10px; }
.brand .mig { font-weight: 400; font-size: 13px; color: var(--muted); }
.pills { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
.pill { display: inline-flex; align-items: center; gap: 6px; padding: 3px 10px; border-radius: 999px; border: 1px solid var(--line); background: var(--panel); font-size: 13px; white-space: nowrap; }
.pill b { font-weight: 600; }
.pill.stage { text-transform: uppercase; letter-spacing: .6px; font-weight: 700; font-size: 12px; }
.pill.stage.canary { border-color: #1f6feb; color: var(--blue); }
.pill.stage.shadow { border-color: #6e7681; }
.pill.stage.complete { border-color: var(--green); color: var(--green); }
.pill.stage.rolled { border-color: var(--red); color: #fff; background: #8e1519; }
.live { margin-left: auto; display: flex; align-items: center; gap: 8px; font-size: 13px; color: var(--muted); }
.dot { width: 9px; height: 9px; border-radius: 50%; background: var(--faint); flex: none; }
.live.ok .dot { background: var(--green); box-shadow: 0 0 0 3px rgba(63,185,80,.18); }
.live.stale { color: var(--amber); font-weight: 600; }
.live.stale .dot { background: var(--amber); box-shadow: 0 0 0 3px rgba(210,153,34,.22); }
body.stale main, body.stale #banner { opacity: .55; filter: grayscale(.4); }

#banner { border: 1px solid var(--red); background: linear-gradient(180deg, #5a1116, var(--red-bg)); border-radius: 10px; padding: 14px 18px; margin-bottom: 14px; display: grid; gap: 8px; }
#banner .title { font-size: 18px; font-weight: 800; letter-spacing: .4px; color: #fff; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
#banner .title .siren { width: 12px; height: 12px; border-radius: 50%; background: var(--red); box-shadow: 0 0 0 4px rgba(248,81,73,.3); }
#banner .facts { display: flex; gap: 6px 22px; flex-wrap: wrap; color: #ffd7d5; font-size: 13px; }
#banner .facts b { color: #fff; font-weight: 600; }
#banner .reason { font-size: 15px; color: #fff; background: rgba(0,0,0,.25); border-left: 3px solid var(--red); padding: 6px 10px; border-radius: 4px; overflow-wrap: anywhere; }
#banner .cmd { background: rgba(0,0,0,.35); border-color: rgba(248,81,73,.5); }

main.grid { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 14px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; min-width: 0; }
.card h2 { margin: 0 0 10px; font-size: 12px; font-weight: 700; letter-spacing: 1px; text-transform: uppercase; color: var(--muted); display: flex; align-items: center; gap: 8px; }
.card h2 .tag { margin-left: auto; text-transform: none; letter-spacing: 0; font-weight: 500; color: var(--faint); }
.span-2 { grid-column: span 2; }
.span-3 { grid-column: 1 / -1; }

.side h2 .swatch { width: 10px; height: 10px; border-radius: 3px; }
.adapter { text-transform: none; letter-spacing: 0; font-weight: 500; font-family: var(--mono); font-size: 11.5px; color: var(--muted); background: var(--panel-2); border: 1px solid var(--line); border-radius: 4px; padding: 0 6px; }
.side.old h2 .swatch { background: var(--old); }
.side.new h2 .swatch { background: var(--new); }
.side.old h2 .name { color: var(--old); }
.side.new h2 .name { color: var(--new); }
.stats { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; margin-bottom: 8px; }
.stat { background: var(--panel-2); border-radius: 8px; padding: 8px 10px; min-width: 0; }
.stat .label { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .6px; white-space: nowrap; }
.stat .value { font-size: 24px; font-weight: 650; line-height: 1.2; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.stat .value .unit { font-size: 12px; font-weight: 500; color: var(--muted); margin-left: 2px; }
.stat .sub { font-size: 11px; color: var(--faint); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.stat.bad .value { color: var(--red); }
.stat.warn .value { color: var(--amber); }
svg.spark { width: 100%; height: 64px; display: block; margin: 2px 0 10px; }
.spark-caption { display: flex; justify-content: space-between; font-size: 11px; color: var(--faint); margin-top: 4px; }
svg.spark polyline { fill: none; stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.side.old svg.spark polyline { stroke: var(--old); }
.side.new svg.spark polyline { stroke: var(--new); }
svg.spark line { stroke: var(--line); stroke-width: 1; vector-effect: non-scaling-stroke; }

dl.kv { display: grid; grid-template-columns: auto 1fr; gap: 4px 14px; margin: 0; font-size: 13px; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
dl.kv dd.bad { color: var(--red); font-weight: 600; }
dl.kv dd.warn { color: var(--amber); font-weight: 600; }

.verdict { display: inline-block; padding: 3px 10px; border-radius: 6px; font-weight: 800; letter-spacing: .8px; font-size: 13px; text-transform: uppercase; background: var(--panel-2); color: var(--muted); border: 1px solid var(--line); }
.verdict.healthy { background: rgba(63,185,80,.15); color: var(--green); border-color: rgba(63,185,80,.5); }
.verdict.hold { background: rgba(139,148,158,.15); color: #c9d1d9; }
.verdict.breach { background: rgba(210,153,34,.15); color: var(--amber); border-color: rgba(210,153,34,.5); }
.verdict.rollback { background: rgba(248,81,73,.18); color: var(--red); border-color: rgba(248,81,73,.6); }
.guard-reason { margin: 8px 0 10px; font-size: 12.5px; color: #c9d1d9; font-family: var(--mono); overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; font-size: 12.5px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .5px; padding: 4px 6px; border-bottom: 1px solid var(--line); }
td { padding: 4px 6px; border-bottom: 1px solid #202833; vertical-align: top; font-variant-numeric: tabular-nums; }
td.r, th.r { text-align: right; }
tr:last-child td { border-bottom: 0; }
.st-ok { color: var(--green); }
.st-breach, .st-shared { color: var(--amber); font-weight: 600; }
.st-fired { color: var(--red); font-weight: 700; }
.st-na { color: var(--faint); }
.meter { height: 6px; border-radius: 3px; background: var(--panel-2); overflow: hidden; margin: 4px 0 2px; }
.meter > div { height: 100%; width: 0; background: var(--blue); transition: width .4s ease; }
.meter.hot > div { background: var(--red); }
.meter.done > div { background: var(--green); }
.guard-seq { margin: 10px 0; font-size: 12.5px; }

.migrate-head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.migrate-head code { font-size: 12px; overflow-wrap: anywhere; }
.verdict.migrate-running, .verdict.migrate-finalizing { background: rgba(31,111,235,.2); color: var(--blue); border-color: rgba(88,166,255,.5); }
.verdict.migrate-paused { background: rgba(210,153,34,.15); color: var(--amber); border-color: rgba(210,153,34,.5); }
.verdict.migrate-done { background: rgba(63,185,80,.15); color: var(--green); border-color: rgba(63,185,80,.5); }
.stats.migrate-stats { grid-template-columns: repeat(5, minmax(0, 1fr)); margin-top: 10px; }

.stepper { display: grid; grid-template-columns: repeat(4, 1fr); gap: 4px; margin-bottom: 12px; }
.stepper div { text-align: center; padding: 6px 4px; font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .6px; background: var(--panel-2); color: var(--faint); border-radius: 4px; }
.stepper div.past { color: var(--muted); background: #1f2a36; }
.stepper div.now { background: #1f6feb; color: #fff; }
.stepper.rolled div.now { background: #8e1519; }
.rollout-head { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; margin-bottom: 6px; }
.big { font-size: 34px; font-weight: 700; line-height: 1; font-variant-numeric: tabular-nums; }
.big.held { color: var(--muted); text-decoration: line-through; text-decoration-color: var(--red); }
.big .unit { font-size: 16px; color: var(--muted); font-weight: 500; }
.chips { display: flex; gap: 6px; flex-wrap: wrap; margin: 10px 0; }
.chip { border: 1px solid var(--line); border-radius: 6px; padding: 3px 8px; font-size: 12.5px; color: var(--muted); background: var(--panel-2); }
.chip small { color: var(--faint); margin-left: 4px; }
.chip.done { color: var(--text); border-color: #2f3d4d; }
.chip.current { border-color: var(--blue); color: #fff; background: rgba(31,111,235,.3); font-weight: 600; }
.split-label { margin-top: 12px; font-size: 13px; }
.split { display: flex; height: 8px; border-radius: 4px; overflow: hidden; background: var(--panel-2); margin-top: 4px; }
.split .old { background: var(--old); width: 0; transition: width .4s ease; }
.split .new { background: var(--new); width: 0; transition: width .4s ease; }
.rollout-cols { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 14px 24px; }

.cmd { display: flex; align-items: center; gap: 8px; background: #0a0e13; border: 1px solid var(--line); border-radius: 6px; padding: 6px 6px 6px 10px; min-width: 0; }
.cmd code { flex: 1; font-size: 12.5px; white-space: normal; overflow-wrap: anywhere; color: #e6edf3; }
.cmd button { flex: none; font: 600 11.5px var(--sans); color: var(--text); background: var(--panel-2); border: 1px solid var(--line); border-radius: 5px; padding: 4px 9px; cursor: pointer; }
.cmd button:hover { border-color: var(--blue); }
.cmd-label { font-size: 12px; color: var(--muted); margin: 10px 0 4px; }
.cmd-label:first-of-type { margin-top: 0; }
.note { font-size: 12px; color: var(--faint); margin-top: 10px; }
.note code { color: var(--muted); }

.audit td.when { white-space: nowrap; color: var(--muted); }
.audit td.reason { overflow-wrap: anywhere; }
.audit .role { color: var(--faint); }
.audit .act { font-weight: 600; }
.audit .act.rollback { color: var(--red); }
.audit .act.resume { color: var(--green); }
.empty { color: var(--faint); font-style: italic; padding: 8px 0; }
.error-line { color: var(--amber); font-size: 12px; margin-top: 6px; }

footer { margin-top: 16px; font-size: 12px; color: var(--faint); display: flex; gap: 6px 18px; flex-wrap: wrap; }
footer a { color: var(--muted); }

@media (max-width: 1100px) {
  main.grid { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .guard-card { grid-column: 1 / -1; }
}
@media (max-width: 720px) {
  body { padding: 0 10px 18px; }
  main.grid { grid-template-columns: minmax(0, 1fr); }
  .span-2, .span-3, .guard-card { grid-column: auto; }
  .stats.migrate-stats { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .split-label { margin-top: 12px; font-size: 13px; }
.split { display: flex; height: 8px; border-radius: 4px; overflow: hidden; background: var(--panel-2); margin-top: 4px; }
.split .old { background: var(--old); width: 0; transition: width .4s ease; }
.split .new { background: var(--new); width: 0; transition: width .4s ease; }
.rollout-cols { grid-template-columns: 1fr; }
  .live { margin-left: 0; width: 100%; }
  .audit .hide-sm, .audit thead { display: none; }
  .audit tr { display: grid; grid-template-columns: auto auto 1fr; gap: 2px 10px; padding: 6px 0; border-bottom: 1px solid #202833; }
  .audit td { border: 0; padding: 0; }
  .audit td.reason { grid-column: 1 / -1; }
  #banner .title { font-size: 16px; }
}
`;
