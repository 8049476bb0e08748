import { api } from '../api.js';
import { h, clear, formatTime, toast, failure } from '../dom.js';

const ACKNOWLEDGERS = new Set(['admin', 'supervisor', 'operator']);

// The alerts of the caller's cameras, newest first, with filters; alerts that start, update or end while
// the page is open arrive over the WebSocket and take their place without a reload. Each alert shows its
// snapshot and clip when its pipeline wrote them; operators and above acknowledge.
export function alertsView(main) {
  const mayAcknowledge = ACKNOWLEDGERS.has(api.user.role);
  const cameraSelect = h('select', { id: 'f-camera', name: 'cameras' }, h('option', { value: '' }, 'All cameras'));
  const severity = h('select', { id: 'f-severity', name: 'severity' },
    ['', 'info', 'warning', 'critical'].map((s) => h('option', { value: s }, s || 'Any severity')));
  const kind = h('input', { id: 'f-kind', name: 'kinds', placeholder: 'e.g. dwell, crowd' });
  const zone = h('input', { id: 'f-zone', name: 'zones', placeholder: 'zone name' });
  const acknowledged = h('select', { id: 'f-ack', name: 'acknowledged' },
    h('option', { value: '' }, 'Any'), h('option', { value: 'false' }, 'Open'), h('option', { value: 'true' }, 'Acknowledged'));
  const after = h('input', { id: 'f-after', name: 'after', type: 'datetime-local' });
  const before = h('input', { id: 'f-before', name: 'before', type: 'datetime-local' });
  const filters = h('form', { class: 'filters', 'aria-label': 'Filters' },
    field('Camera', cameraSelect), field('Severity', severity), field('Kind', kind), field('Zone', zone),
    field('State', acknowledged), field('After', after), field('Before', before),
    h('button', { type: 'submit' }, 'Apply'));
  const status = h('p', { class: 'muted', id: 'alerts-status' }, 'Loading…');
  const body = h('tbody', { id: 'alerts-body' });
  const table = h('table', { class: 'alerts' },
    h('thead', {}, h('tr', {}, ['Time', 'Camera', 'Alert', 'Severity', 'State', 'Evidence', ''].map((t) => h('th', { scope: 'col' }, t)))), body);
  const more = h('button', { type: 'button', hidden: true }, 'Older alerts');
  main.append(filters, status, h('div', { class: 'scroll' }, table), more);

  const cameraNames = new Map();
  const rows = new Map();
  let cursor = null;
  const urls = [];

  function query() {
    const q = new URLSearchParams({ limit: '50' });
    if (cameraSelect.value) q.set('cameras', cameraSelect.value);
    if (severity.value) q.set('severity', severity.value);
    if (kind.value.trim()) q.set('kinds', kind.value.trim().replace(/\s+/g, ''));
    if (zone.value.trim()) q.set('zones', zone.value.trim());
    if (acknowledged.value) q.set('acknowledged', acknowledged.value);
    if (after.value) q.set('after', new Date(after.value).toISOString());
    if (before.value) q.set('before', new Date(before.value).toISOString());
    return q;
  }

  // Whether a live alert passes the filters on screen (the server has already scoped it).
  function matches(event) {
    if (cameraSelect.value && String(event.camera_id) !== cameraSelect.value) return false;
    if (severity.value && event.severity !== severity.value) return false;
    if (kind.value.trim() && !kind.value.split(',').map((k) => k.trim()).includes(event.kind)) return false;
    if (zone.value.trim() && event.zone !== zone.value.trim()) return false;
    if (acknowledged.value && String(event.acknowledged) !== acknowledged.value) return false;
    return true;
  }

  async function load(reset) {
    if (reset) { clear(body); rows.clear(); cursor = null; }
    const q = query();
    if (cursor) q.set('cursor', cursor);
    const page = await api.get('/api/v1/events?' + q);
    for (const event of page.events) put(event, false);
    cursor = page.next_cursor || null;
    more.hidden = !cursor;
    status.textContent = rows.size === 0 ? 'No alerts match.' : rows.size + ' alerts shown; new ones appear as they happen.';
  }

  function put(event, live) {
    const row = render(event);
    const old = rows.get(event.id);
    if (old) old.replaceWith(row);
    else if (live) body.prepend(row);
    else body.append(row);
    rows.set(event.id, row);
    if (live) row.classList.add('fresh');
  }

  function render(event) {
    const evidence = h('td', { class: 'evidence' });
    if (event.evidence && event.evidence.snapshot_url) {
      const image = h('img', { alt: 'Snapshot of alert ' + event.id, class: 'thumb', width: 96, height: 72 });
      api.objectURL(event.evidence.snapshot_url).then((url) => { urls.push(url); image.src = url; }).catch(() => image.remove());
      evidence.append(image);
    }
    if (event.evidence && event.evidence.clip_url) {
      evidence.append(h('button', { type: 'button', class: 'link', onclick: () => playClip(event) }, 'Clip'));
    }
    const state = event.acknowledged ? 'acknowledged' : (event.phase === 'end' ? 'ended' : (event.phase || 'open'));
    const actions = h('td', {});
    if (mayAcknowledge && !event.acknowledged) {
      actions.append(h('button', { type: 'button', class: 'acknowledge', onclick: async (e) => {
        e.target.disabled = true;
        try {
          put(await api.post('/api/v1/events/' + event.id + '/acknowledge'), false);
          toast('Alert acknowledged');
        } catch (failure) {
          e.target.disabled = false;
          toast(failure.message);
        }
      } }, 'Acknowledge'));
    }
    return h('tr', { dataset: { eventId: event.id, phase: event.phase || '', acknowledged: String(event.acknowledged) },
                     class: 'severity-' + event.severity },
      h('td', {}, h('time', { datetime: event.time }, formatTime(event.time))),
      h('td', {}, cameraNames.get(event.camera_id) || '#' + event.camera_id),
      h('td', {}, h('strong', {}, event.kind), ' ', event.message),
      h('td', {}, h('span', { class: 'badge ' + event.severity }, event.severity)),
      h('td', { class: 'state' }, state),
      evidence, actions);
  }

  async function playClip(event) {
    const url = await api.objectURL(event.evidence.clip_url);
    urls.push(url);
    const dialog = h('dialog', { class: 'clip' },
      h('video', { src: url, controls: true, autoplay: true, width: 640 }),
      h('form', { method: 'dialog' }, h('button', {}, 'Close')));
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
  }

  filters.addEventListener('submit', (event) => { event.preventDefault(); load(true).catch((error) => status.replaceChildren(failure(error))); });
  more.addEventListener('click', () => load(false));

  const feed = api.socket('/ws', {
    onOpen: (socket) => socket.send(JSON.stringify({ type: 'subscribe', channel: 'alerts' })),
    onMessage: (message) => {
      if (message.type !== 'alert' || !matches(message.event)) return;
      put(message.event, true);
      status.textContent = rows.size + ' alerts shown; new ones appear as they happen.';
    },
  });

  (async () => {
    const { cameras } = await api.get('/api/v1/cameras?limit=200');
    for (const camera of cameras) {
      cameraNames.set(camera.id, camera.name);
      cameraSelect.append(h('option', { value: camera.id }, camera.name));
    }
    await load(true);
  })().catch((error) => status.replaceChildren(failure(error)));

  return () => {
    feed.close();
    for (const url of urls) URL.revokeObjectURL(url);
  };
}

function field(label, control) {
  return h('label', { class: 'field' }, h('span', {}, label), control);
}
