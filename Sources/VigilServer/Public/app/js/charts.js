import { h, svg } from './dom.js';

// A bar chart as SVG, drawn from the numbers given: each bar carries its label and value
// (data-label, data-value) so what is drawn can be read back and checked against the API.
export function barChart({ id, title, labels, values, unit = '', tone = 'accent' }) {
  const width = 560, height = 220, left = 40, bottom = 36, top = 12, right = 8;
  const max = Math.max(1, ...values);
  const step = (width - left - right) / Math.max(1, values.length);
  const scale = (v) => (height - top - bottom) * (v / max);
  const ticks = niceTicks(max);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title, 'data-chart': id, class: 'chart' },
    ticks.map((t) => svg('g', { class: 'tick' },
      svg('line', { x1: left, x2: width - right, y1: height - bottom - scale(t), y2: height - bottom - scale(t) }),
      svg('text', { x: left - 4, y: height - bottom - scale(t) + 4, 'text-anchor': 'end' }, String(t)))),
    values.map((v, i) => svg('rect', {
      x: left + i * step + step * 0.12, width: step * 0.76, y: height - bottom - scale(v), height: scale(v),
      class: 'bar ' + tone, 'data-label': labels[i], 'data-value': v,
    }, svg('title', {}, `${labels[i]}: ${v}${unit}`))),
    labels.map((label, i) => (values.length <= 12 || i % Math.ceil(values.length / 12) === 0)
      ? svg('text', { x: left + i * step + step / 2, y: height - bottom + 16, 'text-anchor': 'middle', class: 'label' }, label) : null));
  return h('figure', { class: 'card chart-card' }, h('figcaption', {}, title), chart,
    values.every((v) => v === 0) ? h('p', { class: 'muted' }, 'Nothing in this period.') : null);
}

function niceTicks(max) {
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) || magnitude;
  const out = [];
  for (let t = 0; t <= max + 1e-9; t += step) out.push(Math.round(t * 100) / 100);
  return out;
}
