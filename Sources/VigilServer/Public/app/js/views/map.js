import { api } from '../api.js';
import { h, svg, clear, failure } from '../dom.js';

// The site plan in map-plane metres: where the people the cameras see now are, and the trail of each
// global id across cameras over the last minutes (from cameras with a homography). No map tiles: a plain
// coordinate canvas scaled to what there is to show.
export function mapView(main) {
  const minutes = h('select', { id: 'm-minutes' }, [2, 5, 15, 60].map((m) => h('option', { value: m, selected: m === 5 }, m + ' min')));
  const plan = h('div', { class: 'card map', id: 'map' });
  const legend = h('p', { class: 'muted', id: 'map-legend' });
  main.append(h('div', { class: 'filters' }, h('label', { class: 'field' }, h('span', {}, 'Trails of the last'), minutes)), plan, legend);

  async function load() {
    const after = new Date(Date.now() - Number(minutes.value) * 60000).toISOString();
    const [active, points] = await Promise.all([
      api.get('/api/v1/analytics/real-time/active-persons?window=10s&limit=500'),
      api.get('/api/v1/track-points?limit=1000&after=' + encodeURIComponent(after)),
    ]);
    const trails = new Map();
    for (const p of points.points) {
      if (p.map_x === undefined || p.map_x === null) continue;
      const key = p.global_id !== undefined && p.global_id !== null ? 'g' + p.global_id : 'c' + p.camera_id + '/' + p.track_id;
      if (!trails.has(key)) trails.set(key, []);
      trails.get(key).push([p.map_x, p.map_y, p.time]);
    }
    const now = active.tracks.filter((t) => t.map_coords);
    draw(trails, now);
    legend.textContent = now.length + ' people placed now; ' + trails.size + ' trails.' +
      (trails.size === 0 && now.length === 0 ? ' Cameras need a homography (map plane) for the plan.' : '');
  }

  function draw(trails, now) {
    const xs = [], ys = [];
    for (const trail of trails.values()) for (const [x, y] of trail) { xs.push(x); ys.push(y); }
    for (const t of now) { xs.push(t.map_coords[0]); ys.push(t.map_coords[1]); }
    const [minX, maxX] = bounds(xs), [minY, maxY] = bounds(ys);
    const width = 800, height = 500, pad = 30;
    const scale = Math.min((width - 2 * pad) / (maxX - minX), (height - 2 * pad) / (maxY - minY));
    const px = (x) => pad + (x - minX) * scale, py = (y) => pad + (y - minY) * scale;
    const palette = ['#2a6f97', '#d68c00', '#2e8b57', '#c0392b', '#6c5ce7', '#00897b', '#8e44ad', '#e67e22'];
    const colour = (key) => palette[[...key].reduce((a, c) => a + c.charCodeAt(0), 0) % palette.length];
    clear(plan).append(svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Site plan', class: 'plan' },
      svg('rect', { x: 0, y: 0, width, height, class: 'ground' }),
      svg('text', { x: pad, y: height - 8, class: 'scale' }, `${(maxX - minX).toFixed(1)} m × ${(maxY - minY).toFixed(1)} m`),
      [...trails.entries()].map(([key, trail]) => svg('polyline', {
        points: trail.map(([x, y]) => px(x).toFixed(1) + ',' + py(y).toFixed(1)).join(' '), stroke: colour(key), class: 'trail', 'data-key': key,
      }, svg('title', {}, key.startsWith('g') ? 'person ' + key.slice(1) : 'track ' + key.slice(1)))),
      now.map((t) => svg('g', { class: 'person', 'data-global-id': t.global_id ?? '' },
        svg('circle', { cx: px(t.map_coords[0]), cy: py(t.map_coords[1]), r: 6, fill: colour(t.global_id != null ? 'g' + t.global_id : 'c' + t.camera_id + '/' + t.track_id) }),
        svg('text', { x: px(t.map_coords[0]) + 8, y: py(t.map_coords[1]) - 8 }, t.global_id != null ? '#' + t.global_id : t.camera + ' ' + t.track_id)))));
  }

  minutes.addEventListener('change', () => load().catch(() => {}));
  load().catch((error) => plan.append(failure(error)));
  const timer = setInterval(() => load().catch(() => {}), 2000);
  return () => clearInterval(timer);
}

function bounds(values) {
  if (values.length === 0) return [0, 10];
  let low = Math.min(...values), high = Math.max(...values);
  if (high - low < 1) { low -= 0.5; high += 0.5; }
  return [low, high];
}
