import { api } from '../api.js';
import { h, formatTime, toast, failure } from '../dom.js';

// Starts tracking-data exports (the same query `vigil export` runs), follows their progress and
// downloads the finished file.
export function exportsView(main) {
  const dataset = h('select', { id: 'e-dataset', name: 'dataset' },
    ['track_points', 'tracks', 'identities', 'events', 'aggregates'].map((d) => h('option', { value: d }, d.replace('_', ' '))));
  const format = h('select', { id: 'e-format', name: 'format' }, ['csv', 'jsonl', 'json', 'mot', 'geojson'].map((f) => h('option', { value: f }, f)));
  const cameras = h('select', { id: 'e-cameras', name: 'camera_ids', multiple: true, size: 4 });
  const from = h('input', { id: 'e-from', name: 'from', type: 'datetime-local' });
  const to = h('input', { id: 'e-to', name: 'to', type: 'datetime-local' });
  const form = h('form', { class: 'filters' },
    h('label', { class: 'field' }, h('span', {}, 'Data'), dataset),
    h('label', { class: 'field' }, h('span', {}, 'Format'), format),
    h('label', { class: 'field' }, h('span', {}, 'Cameras (none: all yours)'), cameras),
    h('label', { class: 'field' }, h('span', {}, 'From'), from),
    h('label', { class: 'field' }, h('span', {}, 'To'), to),
    h('button', { type: 'submit', id: 'e-start' }, 'Start export'));
  const list = h('ul', { class: 'exports', id: 'exports' });
  main.append(form, h('h2', {}, 'This session\'s exports'), list);
  const timers = [];

  (async () => {
    const { cameras: all } = await api.get('/api/v1/cameras?limit=200');
    for (const camera of all) cameras.append(h('option', { value: camera.id }, camera.name));
  })().catch((error) => form.after(failure(error)));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { format: format.value, dataset: dataset.value };
    const ids = [...cameras.selectedOptions].map((o) => Number(o.value));
    if (ids.length) body.camera_ids = ids;
    if (from.value) body.from = new Date(from.value).toISOString();
    if (to.value) body.to = new Date(to.value).toISOString();
    try {
      follow(await api.post('/api/v1/export/tracking-data', body));
    } catch (failure) {
      toast(failure.message);
    }
  });

  function follow(job) {
    const state = h('span', { class: 'state' }, job.state);
    const progress = h('progress', { max: 1, value: 0 });
    const item = h('li', { dataset: { exportId: job.id } }, h('strong', {}, job.file_name || job.dataset + '.' + job.format), ' ', state, ' ', progress);
    list.prepend(item);
    const timer = setInterval(async () => {
      const status = await api.get(job.status_url).catch(() => null);
      if (!status) return;
      state.textContent = status.state;
      if (status.progress && status.progress.rows) progress.value = (status.progress.rows_done || 0) / status.progress.rows;
      if (status.state === 'completed') {
        clearInterval(timer);
        progress.value = 1;
        const link = h('button', { type: 'button', class: 'download', onclick: () => download(status) }, 'Download (' + status.size + ' bytes)');
        item.append(' ', link, ' ', h('span', { class: 'muted' }, 'until ' + formatTime(status.expires_at)));
      } else if (status.state === 'failed' || status.state === 'expired') {
        clearInterval(timer);
        item.append(' ', h('span', { class: 'error' }, status.error || status.state));
      }
    }, 1000);
    timers.push(timer);
  }

  async function download(status) {
    const url = await api.objectURL(status.download_url);
    const link = h('a', { href: url, download: status.file_name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  return () => { for (const timer of timers) clearInterval(timer); };
}
