import { api } from '../api.js';
import { h, clear, failure } from '../dom.js';
import { playMJPEG } from '../mjpeg.js';

// A grid of the caller's cameras: each shows its live preview (boxes, ids and zones drawn by the
// pipeline's preview sink), how many people it sees now and whether frames arrive. People and tracks come
// from the tracking WebSocket of each running task; clicking a camera opens it large with its tracks.
export function liveView(main) {
  const grid = h('div', { class: 'grid cameras', id: 'cameras' });
  const detail = h('section', { class: 'card detail', id: 'camera-detail', hidden: true, 'aria-live': 'polite' });
  main.append(h('p', { class: 'muted' }, 'Live previews of your cameras; select one to see its tracks.'), detail, grid);
  const stops = [];
  const cards = new Map();
  let selected = null;

  function showDetail(card) {
    selected = card;
    detail.hidden = false;
    clear(detail).append(
      h('div', { class: 'detail-head' }, h('h2', {}, card.camera.name),
        h('button', { type: 'button', onclick: () => { selected = null; detail.hidden = true; } }, 'Close')),
      h('img', { class: 'large', alt: 'Live view of ' + card.camera.name, src: card.image.src }),
      tracksTable(card.tracks));
  }

  function refreshDetail() {
    if (!selected) return;
    const image = detail.querySelector('img.large');
    if (image && selected.image.src) image.src = selected.image.src;
    const table = detail.querySelector('table');
    if (table) table.replaceWith(tracksTable(selected.tracks));
  }

  (async () => {
    const { cameras } = await api.get('/api/v1/cameras?limit=200');
    if (cameras.length === 0) grid.append(h('p', { class: 'muted' }, 'No cameras are assigned to you.'));
    for (const camera of cameras) {
      const image = h('img', { alt: 'Live view of ' + camera.name, width: 384, height: 288 });
      const count = h('span', { class: 'count', dataset: { count: '0' } }, '0');
      const status = h('span', { class: 'status waiting' }, 'waiting');
      const button = h('button', { type: 'button', class: 'camera', dataset: { cameraId: camera.id } },
        image, h('span', { class: 'caption' }, h('strong', { class: 'name' }, camera.name), ' ', status,
          h('span', { class: 'people' }, count, ' people')));
      const card = { camera, image, count, status, tracks: [], lastFrame: 0 };
      button.addEventListener('click', () => showDetail(card));
      cards.set(camera.id, card);
      grid.append(button);
      stops.push(playMJPEG('/api/v1/media/live/' + camera.id, image, {
        onFrame: () => { card.lastFrame = Date.now(); setStatus(card, 'live'); if (selected === card) refreshDetail(); },
        onEnd: () => setStatus(card, 'no preview'),
      }));
    }
    const timer = setInterval(() => {
      for (const card of cards.values()) {
        if (card.lastFrame && Date.now() - card.lastFrame > 12000) setStatus(card, 'stalled');
      }
    }, 3000);
    stops.push(() => clearInterval(timer));
    // The tracking feeds of the running tasks (one socket per task).
    const { tasks } = await api.get('/api/v1/processing-tasks?limit=100');
    for (const task of tasks.filter((t) => t.state === 'running' || t.state === 'queued')) {
      const feed = api.socket('/ws/tracking/' + task.id, {
        onMessage: (message) => {
          if (message.type !== 'tracking_update') return;
          for (const [id, frame] of Object.entries(message.payload.cameras)) {
            const card = cards.get(Number(id));
            if (!card) continue;
            card.tracks = frame.tracks;
            const people = message.payload.person_count_per_camera[id] ?? 0;
            card.count.textContent = String(people);
            card.count.dataset.count = String(people);
            card.updated = message.payload.timestamp;
            if (selected === card) refreshDetail();
          }
        },
      });
      stops.push(() => feed.close());
    }
  })().catch((error) => grid.append(failure(error)));

  return () => { for (const stop of stops) stop(); };
}

function setStatus(card, text) {
  card.status.textContent = text;
  card.status.className = 'status ' + text.replace(' ', '-');
}

function tracksTable(tracks) {
  return h('table', { class: 'tracks' },
    h('caption', {}, tracks.length + ' current tracks'),
    h('thead', {}, h('tr', {}, ['Track', 'Global id', 'Label', 'Confidence', 'Box'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, tracks.map((t) => h('tr', {},
      h('td', {}, t.track_id), h('td', {}, t.global_id ?? '—'), h('td', {}, t.label ?? ''),
      h('td', {}, (t.confidence * 100).toFixed(0) + '%'),
      h('td', {}, t.bbox_xyxy.map((v) => Math.round(v)).join(', '))))));
}

