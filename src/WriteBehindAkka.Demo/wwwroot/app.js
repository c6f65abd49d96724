// The live page: polls /api/stats, draws four Chart.js charts, drives the load generator and the flush.
// window.demo exposes the charts and a count of updates (the browser test reads them).
'use strict';

const points = 120;
const demo = { since: 0, updates: 0, intervalMs: 1000, charts: {}, last: null };
window.demo = demo;

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const seconds = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const $ = (id) => document.getElementById(id);

function chart(id, label, color) {
  return new Chart($(id), {
    type: 'line',
    data: { labels: [], datasets: [{ label, data: [], borderColor: color, backgroundColor: color + '33', fill: true, borderWidth: 2, pointRadius: 0, tension: 0.25 }] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { intersect: false, mode: 'index' },
      plugins: { legend: { display: false } },
      scales: {
        x: { ticks: { color: '#94a3b8', maxTicksLimit: 6, maxRotation: 0 }, grid: { color: '#1e293b' } },
        y: { beginAtZero: true, ticks: { color: '#94a3b8' }, grid: { color: '#1e293b' } },
      },
    },
  });
}

demo.charts.writes = chart('chart-writes', 'writes/s', '#38bdf8');
demo.charts.rows = chart('chart-rows', 'rows/s', '#4ade80');
demo.charts.backlog = chart('chart-backlog', 'backlog', '#f59e0b');
demo.charts.lag = chart('chart-lag', 'lag (s)', '#f472b6');

function push(chartObject, label, value) {
  chartObject.data.labels.push(label);
  chartObject.data.datasets[0].data.push(value);
  while (chartObject.data.labels.length > points) {
    chartObject.data.labels.shift();
    chartObject.data.datasets[0].data.shift();
  }
}

function render(stats) {
  for (const sample of stats.samples) {
    const label = new Date(sample.at).toLocaleTimeString('en-GB');
    push(demo.charts.writes, label, sample.writesPerSecond);
    push(demo.charts.rows, label, sample.rowsPerSecond);
    push(demo.charts.backlog, label, sample.backlog);
    push(demo.charts.lag, label, sample.lagSeconds);
    demo.since = sample.at;
  }
  for (const c of Object.values(demo.charts)) c.update('none');

  const last = stats.samples.length ? stats.samples[stats.samples.length - 1] : null;
  if (last) {
    $('writes-rate').textContent = number.format(last.writesPerSecond);
    $('rows-rate').textContent = number.format(last.rowsPerSecond);
    $('backlog').textContent = number.format(last.backlog);
    $('lag').textContent = seconds.format(last.lagSeconds) + ' s';
  }
  const t = stats.totals;
  $('total-accepted').textContent = number.format(t.writesAccepted);
  $('total-committed').textContent = number.format(t.rowsCommitted);
  $('total-coalesced').textContent = number.format(t.writesCoalesced);
  $('total-failed').textContent = number.format(t.writesFailed) + ' / ' + number.format(t.writesRejected);
  $('lag-source').textContent = '(' + stats.lagSource + ')';

  const health = $('health');
  health.textContent = stats.health.status;
  health.className = 'badge ' + stats.health.status;
  health.title = stats.health.checks.map((c) => c.name + ': ' + (c.description || c.status)).join('\n');

  const load = stats.load;
  $('load-status').textContent = load.running
    ? `running: ${number.format(load.writesPerSecond)} writes/s over ${number.format(load.players)} players, ${number.format(load.written)} written` +
      (load.secondsLeft == null ? ', until stopped' : `, ${Math.ceil(load.secondsLeft)} s left`)
    : (load.written ? `idle (last run wrote ${number.format(load.written)})` : 'idle');
}

async function poll() {
  try {
    const response = await fetch('/api/stats?since=' + demo.since, { cache: 'no-store' });
    if (response.ok) {
      const stats = await response.json();
      demo.intervalMs = stats.sampleIntervalMs || demo.intervalMs;
      demo.last = stats;
      render(stats);
      demo.updates++;
    }
  } catch (error) {
    $('health').textContent = 'unreachable';
    $('health').className = 'badge Unhealthy';
  }
  setTimeout(poll, Math.max(200, demo.intervalMs));
}

async function refreshTop() {
  try {
    const response = await fetch('/leaderboard?top=10', { cache: 'no-store' });
    if (response.ok) {
      const top = await response.json();
      $('top').innerHTML = top.entries.map((e) =>
        `<tr><td>${e.rank}</td><td>${e.playerId}</td><td>${escapeHtml(e.name)}</td><td class="num">${number.format(e.score)}</td></tr>`).join('');
    }
  } finally {
    setTimeout(refreshTop, 2000);
  }
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

$('load-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const query = new URLSearchParams({ writesPerSecond: $('load-rate').value, seconds: $('load-seconds').value, players: $('load-players').value });
  const response = await fetch('/load?' + query, { method: 'POST' });
  if (!response.ok) $('load-status').textContent = (await response.json()).detail;
});

$('load-stop').addEventListener('click', () => fetch('/load', { method: 'DELETE' }));

$('score-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const id = $('score-player').value;
  const response = await fetch('/scores/' + id, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: $('score-name').value, score: Number($('score-value').value) }),
  });
  const body = await response.json();
  $('score-result').textContent = response.ok
    ? `${response.status}: ${body.consistency}, version ${body.version} — GET /scores/${id}/status to follow it`
    : body.detail;
});

$('flush').addEventListener('click', async () => {
  $('flush-result').textContent = 'flushing…';
  const body = await (await fetch('/flush', { method: 'POST' })).json();
  $('flush-result').textContent = `flushed in ${seconds.format(body.milliseconds)} ms; ${body.allCommitted ? 'everything committed' : body.failedWrites + ' writes failed'}`;
});

poll();
refreshTop();
