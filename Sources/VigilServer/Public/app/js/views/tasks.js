import { api } from '../api.js';
import { h, clear, formatTime, toast, failure } from '../dom.js';

const RUNNERS = new Set(['admin', 'supervisor', 'operator']);

// Processing tasks: start one (a pipeline over cameras, live or over their recordings), follow each
// camera's progress and frames/s, stop it. Others see the list only.
export function tasksView(main) {
  const mayRun = RUNNERS.has(api.user.role);
  const pipeline = h('input', { id: 't-pipeline', name: 'pipeline', required: true, placeholder: 'e.g. site-security' });
  const mode = h('select', { id: 't-mode', name: 'mode' }, h('option', { value: 'stream' }, 'live (stream)'), h('option', { value: 'batch' }, 'recording (batch)'));
  const cameras = h('select', { id: 't-cameras', name: 'camera_ids', multiple: true, size: 4, required: true });
  const from = h('input', { id: 't-from', name: 'from', placeholder: '0s' });
  const to = h('input', { id: 't-to', name: 'to', placeholder: 'end' });
  const start = h('form', { class: 'filters', id: 'task-form', hidden: !mayRun },
    h('label', { class: 'field' }, h('span', {}, 'Pipeline'), pipeline),
    h('label', { class: 'field' }, h('span', {}, 'Mode'), mode),
    h('label', { class: 'field' }, h('span', {}, 'Cameras'), cameras),
    h('label', { class: 'field' }, h('span', {}, 'From (batch)'), from),
    h('label', { class: 'field' }, h('span', {}, 'To (batch)'), to),
    h('button', { type: 'submit', id: 't-start' }, 'Start'));
  const body = h('tbody', { id: 'tasks-body' });
  main.append(start, h('div', { class: 'scroll' }, h('table', { class: 'tasks' },
    h('thead', {}, h('tr', {}, ['Task', 'Pipeline', 'Mode', 'State', 'Cameras', 'Created', ''].map((t) => h('th', { scope: 'col' }, t)))), body)));

  start.addEventListener('submit', async (event) => {
    event.preventDefault();
    const request = { pipeline: pipeline.value.trim(), mode: mode.value, camera_ids: [...cameras.selectedOptions].map((o) => Number(o.value)) };
    if (mode.value === 'batch' && from.value.trim()) request.from = from.value.trim();
    if (mode.value === 'batch' && to.value.trim()) request.to = to.value.trim();
    try {
      const started = await api.post('/api/v1/processing-tasks/start', request);
      toast('Task ' + started.task_id + ' started');
      await load();
    } catch (error) {
      toast(error.message);
    }
  });

  async function load() {
    const { tasks } = await api.get('/api/v1/processing-tasks?limit=50');
    clear(body);
    for (const task of tasks) {
      const running = task.state === 'running' || task.state === 'queued';
      body.append(h('tr', { dataset: { taskId: task.id, state: task.state } },
        h('td', {}, task.id), h('td', {}, task.pipeline), h('td', {}, task.mode),
        h('td', { class: 'state' }, task.state + (task.stop_requested && running ? ' (stopping)' : '')),
        h('td', {}, h('ul', { class: 'plain' }, task.cameras.map((c) => h('li', {},
          c.name + ': ' + c.state + ', ' + (c.frames_processed ?? 0) + ' frames' +
          (c.frames_per_second ? ', ' + c.frames_per_second.toFixed(1) + ' frames/s' : '') + (c.error ? ' — ' + c.error : ''))))),
        h('td', {}, formatTime(task.created_at)),
        h('td', {}, mayRun && running && !task.stop_requested ? h('button', { type: 'button', class: 'stop', onclick: async () => {
          await api.post('/api/v1/processing-tasks/' + task.id + '/stop').catch((error) => toast(error.message));
          await load();
        } }, 'Stop') : null)));
    }
    if (tasks.length === 0) body.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No processing tasks yet.')));
  }

  (async () => {
    const { cameras: all } = await api.get('/api/v1/cameras?limit=200');
    for (const camera of all) cameras.append(h('option', { value: camera.id }, camera.name));
    await load();
  })().catch((error) => main.append(failure(error)));
  const timer = setInterval(() => load().catch(() => {}), 2000);
  return () => clearInterval(timer);
}
