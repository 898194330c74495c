/** The dashboard's only stylesheet, served from the process itself (no CDN, no build step). */
export const OPS_CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --bg: #fff; --line: #d0d7de; --accent: #0b5cad; --ok: #1a7f37; --warn: #9a6700; --bad: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 2; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 24px; padding: 8px 20px; border-bottom: 1px solid var(--line); background: #f6f8fa; }
.brand { font-weight: 700; }
nav ul { display: flex; flex-wrap: wrap; gap: 4px 14px; list-style: none; margin: 0; padding: 0; }
nav a { color: var(--accent); text-decoration: none; padding: 2px 0; }
nav a[aria-current="page"] { font-weight: 700; border-bottom: 2px solid var(--accent); }
.who { margin-left: auto; display: flex; gap: 8px; align-items: center; color: var(--muted); }
main { padding: 12px 20px 40px; max-width: 1400px; }
h1 { font-size: 1.5rem; margin: 8px 0 12px; } h2 { font-size: 1.15rem; margin: 22px 0 8px; }
a { color: var(--accent); } a:focus, button:focus, input:focus, select:focus { outline: 3px solid #7aa7e0; outline-offset: 1px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.card .figure { font-size: 1.5rem; font-weight: 700; }
.card .label { color: var(--muted); }
.status-ok { color: var(--ok); } .status-warn { color: var(--warn); } .status-bad { color: var(--bad); }
.muted { color: var(--muted); }
.notice { padding: 8px 12px; border-radius: 6px; border: 1px solid var(--line); }
.notice.ok { border-color: var(--ok); background: #dafbe1; } .notice.error { border-color: var(--bad); background: #ffebe9; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: end; margin: 6px 0 12px; }
form.filters label { display: flex; flex-direction: column; font-size: 0.9rem; color: var(--muted); }
input, select, button { font: inherit; padding: 4px 8px; border: 1px solid #8c959f; border-radius: 4px; background: #fff; color: var(--fg); }
button { background: #f6f8fa; cursor: pointer; } button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { border-color: var(--bad); color: var(--bad); }
.inline { display: inline; } .actions { display: flex; gap: 6px; flex-wrap: wrap; }
.meter { margin: 4px 0; } progress { width: 100%; height: 12px; }
pre { background: #f6f8fa; padding: 8px; overflow: auto; max-height: 360px; border-radius: 4px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
figcaption { font-weight: 600; } svg.chart { width: 100%; height: 80px; }
svg.chart polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
.side-by-side { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; } dl.facts dt { color: var(--muted); }
.signin { max-width: 420px; } .signin label { display: block; margin: 10px 0 4px; } .signin input { width: 100%; }
`;
