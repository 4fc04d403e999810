// `--report FILE.html`: one self-contained page per scenario run. Chart.js (the npm package this
// project depends on) is read from node_modules when the report is written and inlined, with the
// run's data as JSON beside it: the file opens offline, from a CI artifact or a mail attachment,
// and loads nothing. Charts: answers per pod for each traffic step, the latency histogram, and a
// timeline of ready endpoints, requests and failures. Nothing in the page depends on when it was
// written, so the same seed gives the same page, wall-clock figures aside.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ScenarioResult } from './run.js';

/** Chart.js's UMD build, as installed. */
export function chartLibrary(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('chart.js');
  return readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// JSON inside <script>: nothing in it may close the element or open a comment.
function scriptJSON(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

const style = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1f2328}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{text-align:left;padding:.2rem .8rem .2rem 0;vertical-align:top}
th{font-weight:600;border-bottom:1px solid #d0d7de}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}.muted{color:#656d76}
.chart{position:relative;height:260px;margin:.5rem 0 1rem}
`;

/** The report page for a run. */
export function renderReport(r: ScenarioResult, chartJs = chartLibrary()): string {
  const all = r.steps.flatMap((s) => s.expects);
  const failed = all.filter((e) => !e.passed).length;
  const body: string[] = [];
  body.push(`<h1>Scenario ${esc(r.name)}</h1>`);
  if (r.description) body.push(`<p>${esc(r.description)}</p>`);
  body.push(
    `<p class="${failed === 0 ? 'pass' : 'fail'}">${all.length - failed} expects passed, ${failed} failed</p>`,
    `<p class="muted">seed ${r.seed}; one lab second lasted ${r.second} ms. Latencies and the timeline are wall-clock figures and differ from run to run.</p>`,
  );
  body.push('<h2>Timeline</h2><div class="chart"><canvas id="timeline"></canvas></div>');
  body.push(
    '<table><tr><th>at</th><th>step</th><th>what happened</th></tr>',
    ...r.steps.map(
      (s) => `<tr><td>${s.start.toFixed(1)}s</td><td>${esc(s.name)}</td><td>${esc(s.detail)}</td></tr>`,
    ),
    '</table>',
  );
  r.steps.forEach((s, i) => {
    if (!s.traffic && !s.dns && s.expects.length === 0) return;
    body.push(`<h2>${esc(s.name)}</h2>`);
    if (s.traffic) {
      const t = s.traffic;
      body.push(
        `<p>${esc(t.from)} &rarr; ${esc(t.to)}: ${t.requests} requests on ${t.connections} connections, ${t.errors} failed; latency p50 ${t.latencyMs.p50} ms, p99 ${t.latencyMs.p99} ms.</p>`,
        `<div class="chart"><canvas id="step-${i}" data-step="${i}"></canvas></div>`,
        ...(t.notes ?? []).map((n) => `<p class="note">${esc(n)}</p>`),
      );
    }
    if (s.dns) {
      const d = s.dns;
      if (d.records !== undefined)
        body.push(
          `<p>${esc(d.name)} SRV from ${esc(d.from)}: <b>${esc(d.status)}</b>, ${d.records.length} records</p>`,
          `<pre>${[...d.records, ...(d.addresses.length > 0 ? [`additional: ${d.addresses.join(', ')}`] : [])].map(esc).join('\n')}</pre>`,
        );
      else
        body.push(
          `<p>${esc(d.name)} from ${esc(d.from)} (${d.libc}, ndots ${d.ndots}): <b>${esc(d.status)}</b> ${esc(d.addresses.join(', '))} after ${d.queries.length} queries</p>`,
          `<pre>${d.queries.map((q, k) => `${String(k + 1).padStart(2)}. ${esc(q)}`).join('\n')}${d.conntrack ? `\nconntrack before: ${esc(d.conntrack.before)} [${d.conntrack.state}]\nconntrack after:  ${esc(d.conntrack.after)}` : ''}</pre>`,
        );
    }
    if (s.expects.length > 0) {
      body.push(
        '<table><tr><th></th><th>expect</th><th>expected</th><th>got</th></tr>',
        ...s.expects.map(
          (e) =>
            `<tr><td class="${e.passed ? 'pass' : 'fail'}">${e.passed ? 'PASS' : 'FAIL'}</td><td>${esc(e.check)}</td><td>${esc(e.expected)}</td><td>${esc(e.actual)}</td></tr>`,
        ),
        '</table>',
      );
    }
  });
  body.push('<h2>Latency</h2><div class="chart"><canvas id="latency"></canvas></div>');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>netlab scenario ${esc(r.name)}</title><style>${style}</style></head>
<body>
${body.join('\n')}
<script type="application/json" id="netlab-data">${scriptJSON(r)}</script>
<script>${chartJs}</script>
<script>${drawScript}</script>
</body></html>
`;
}

// Runs in the page: one Chart per canvas, animation off so the first frame is the final one.
const drawScript = `(function(){
var r=JSON.parse(document.getElementById('netlab-data').textContent);
Chart.defaults.animation=false;Chart.defaults.maintainAspectRatio=false;
var palette=['#0969da','#1a7f37','#bf8700','#8250df','#cf222e','#1b7c83','#953800','#6e7781'];
var charts=[];
document.querySelectorAll('canvas[data-step]').forEach(function(c){
  var t=r.steps[Number(c.dataset.step)].traffic;
  var labels=t.responders.map(function(x){return x.node?x.response+' ('+x.node+')':x.response});
  var data=t.responders.map(function(x){return x.count});
  Object.keys(t.errorKinds).forEach(function(k){labels.push('failed: '+k);data.push(t.errorKinds[k])});
  var colors=labels.map(function(l,i){return l.indexOf('failed: ')===0?'#cf222e':palette[i%palette.length]});
  charts.push(new Chart(c,{type:'bar',data:{labels:labels,datasets:[{label:'requests answered',data:data,backgroundColor:colors}]},
    options:{indexAxis:'y',plugins:{legend:{display:false},title:{display:true,text:'Answers per pod (or source seen)'}}}}));
});
var tl=document.getElementById('timeline');
var ds=[{type:'bar',label:'requests',data:r.timeline.map(function(p){return{x:p.t,y:p.requests}}),backgroundColor:'#54aeff',yAxisID:'y'},
        {type:'bar',label:'failed',data:r.timeline.map(function(p){return{x:p.t,y:p.errors}}),backgroundColor:'#cf222e',yAxisID:'y'}];
r.endpoints.forEach(function(e,i){
  var pts=e.points.map(function(p){return{x:p.t,y:p.ready}});
  var end=r.steps.length?r.steps[r.steps.length-1].end:0;
  if(pts.length&&end>pts[pts.length-1].x)pts.push({x:end,y:pts[pts.length-1].y});
  ds.push({type:'line',label:'ready endpoints '+e.service,data:pts,stepped:true,borderColor:palette[(i+1)%palette.length],pointRadius:0,yAxisID:'y2'});
});
charts.push(new Chart(tl,{data:{datasets:ds},options:{parsing:true,scales:{x:{type:'linear',title:{display:true,text:'lab seconds'}},
  y:{beginAtZero:true,title:{display:true,text:'requests per bucket'}},y2:{position:'right',beginAtZero:true,grid:{drawOnChartArea:false},ticks:{precision:0},title:{display:true,text:'ready endpoints'}}},
  plugins:{title:{display:true,text:'Endpoints, requests and failures over time'}}}}));
var h=r.latencyHistogram;
charts.push(new Chart(document.getElementById('latency'),{type:'bar',data:{labels:h.boundsMs.map(function(b){return b<0?'more':'<= '+b+' ms'}),
  datasets:[{label:'requests',data:h.counts,backgroundColor:'#8250df'}]},options:{plugins:{legend:{display:false},title:{display:true,text:'Latency histogram (wall clock)'}}}}));
window.netlabCharts=charts.length;
})();`;
