import { api } from '../api.js';
import { h, clear, failure } from '../dom.js';
import { barChart } from '../charts.js';

// Charts of a period (day, week, month, year) from /analytics/period: people over time, alerts by hour
// and by severity, risk scores per camera and subject, and the most common alerts; for supervisors and
// administrators also the risk score per driver (/dms/report).
const DRIVER_REPORT_READERS = new Set(['admin', 'supervisor']);

export function analyticsView(main) {
  const period = h('select', { id: 'a-period', name: 'period' }, ['day', 'week', 'month', 'year'].map((p) => h('option', { value: p }, p)));
  const date = h('input', { id: 'a-date', name: 'date', type: 'date', value: new Date().toISOString().slice(0, 10) });
  const form = h('form', { class: 'filters' },
    h('label', { class: 'field' }, h('span', {}, 'Period'), period),
    h('label', { class: 'field' }, h('span', {}, 'Date'), date),
    h('button', { type: 'submit' }, 'Show'));
  const charts = h('div', { class: 'grid charts', id: 'charts' });
  main.append(form, charts);

  async function load() {
    const q = new URLSearchParams({ period: period.value, date: date.value + 'T00:00:00Z' });
    const data = await api.get('/api/v1/analytics/period?' + q);
    const report = DRIVER_REPORT_READERS.has(api.user.role) ? await api.get('/api/v1/dms/report?' + q) : null;
    clear(charts);
    const buckets = everyBucket(data);
    const bucketLabel = (iso) => data.bucket === 'hour' ? iso.slice(11, 13) + 'h' : iso.slice(0, data.bucket === 'month' ? 7 : 10);
    charts.append(
      barChart({ id: 'people', title: 'People (tracks started) per ' + data.bucket, labels: buckets.map((b) => bucketLabel(b.bucket)),
                 values: buckets.map((b) => b.tracks.person || 0) }),
      barChart({ id: 'alerts-over-time', title: 'Alerts per ' + data.bucket, labels: buckets.map((b) => bucketLabel(b.bucket)),
                 values: buckets.map((b) => b.alerts), tone: 'warn' }),
      barChart({ id: 'hourly', title: 'Alerts by hour of day (UTC)', labels: data.hourly_distribution.map((_, i) => String(i)),
                 values: data.hourly_distribution, tone: 'warn' }),
      barChart({ id: 'severity', title: 'Alerts by severity', labels: ['info', 'warning', 'critical'],
                 values: ['info', 'warning', 'critical'].map((s) => data.severity_breakdown[s] || 0), tone: 'bad' }),
      barChart({ id: 'risk', title: 'Mean risk score per camera and subject', labels: data.risk_scores.map((r) => r.camera + (r.subject ? ' · ' + r.subject : '')),
                 values: data.risk_scores.map((r) => Math.round(r.mean_risk_score * 10) / 10) }),
      ...(report ? [barChart({ id: 'driver-risk', title: 'Risk score per driver', labels: report.drivers.map((d) => d.driver),
                               values: report.drivers.map((d) => Math.round(d.risk_score * 10) / 10), tone: 'bad' })] : []),
      h('section', { class: 'card' }, h('h2', {}, 'Most common alerts'),
        data.most_common_alerts.length === 0 ? h('p', { class: 'muted' }, 'None in this period.')
          : h('table', { id: 'common-alerts' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Alert'), h('th', { scope: 'col' }, 'Count'))),
              h('tbody', {}, data.most_common_alerts.map((a) => h('tr', {}, h('td', {}, a.rule || a.kind || ''), h('td', {}, a.count)))))));
  }

  const show = () => load().catch((error) => clear(charts).append(failure(error)));
  form.addEventListener('submit', (event) => { event.preventDefault(); show(); });
  show();
  return () => {};
}

// The period's buckets in order, those without data as zeros (the API sends only buckets with rows).
function everyBucket(data) {
  const byTime = new Map(data.counts_over_time.map((b) => [new Date(b.bucket).getTime(), b]));
  const out = [];
  const end = new Date(data.to).getTime();
  for (let t = new Date(data.from); t.getTime() < end && out.length < 400;) {
    out.push(byTime.get(t.getTime()) || { bucket: t.toISOString(), tracks: {}, alerts: 0, events: 0 });
    t = new Date(t);
    if (data.bucket === 'hour') t.setUTCHours(t.getUTCHours() + 1);
    else if (data.bucket === 'day') t.setUTCDate(t.getUTCDate() + 1);
    else t.setUTCMonth(t.getUTCMonth() + 1);
  }
  return out;
}
