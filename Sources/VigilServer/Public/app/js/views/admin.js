import { api } from '../api.js';
import { h, clear, formatTime, toast, failure } from '../dom.js';

const ROLES = ['admin', 'supervisor', 'operator', 'viewer', 'driver', 'user'];

// Administration for administrators and supervisors: users (role, status, camera assignments), tenants
// (administrators), the activity log and security alerts. The server scopes every list; the page only
// offers what the caller may do.
export function adminView(main) {
  if (api.user.role !== 'admin' && api.user.role !== 'supervisor') {
    main.append(h('p', { class: 'muted' }, 'Administration is for administrators and supervisors.'));
    return () => {};
  }
  const users = h('section', { class: 'card', id: 'admin-users' }, h('h2', {}, 'Users'));
  const assignments = h('section', { class: 'card', id: 'admin-assignments', hidden: true });
  const tenants = h('section', { class: 'card', id: 'admin-tenants', hidden: api.user.role !== 'admin' }, h('h2', {}, 'Tenants'));
  const activity = h('section', { class: 'card', id: 'admin-activity' }, h('h2', {}, 'Activity log'));
  const security = h('section', { class: 'card', id: 'admin-security' }, h('h2', {}, 'Security alerts'));
  main.append(h('div', { class: 'grid admin' }, users, assignments, tenants, security, activity));
  let cameras = [];

  async function loadUsers() {
    const { users: list } = await api.get('/api/v1/users?limit=200');
    const body = h('tbody', {}, list.map((user) => {
      const role = h('select', { 'aria-label': 'Role of ' + user.username, class: 'role' },
        ROLES.filter((r) => api.user.role === 'admin' || r !== 'admin').map((r) => h('option', { value: r, selected: r === user.role }, r)));
      role.addEventListener('change', async () => {
        try { await api.request('PATCH', '/api/v1/users/' + user.id, { role: role.value }); toast(user.username + ' is now ' + role.value); }
        catch (error) { toast(error.message); role.value = user.role; }
      });
      const active = user.status === 'active';
      return h('tr', { dataset: { userId: user.id } },
        h('td', {}, user.username), h('td', {}, user.email), h('td', {}, user.id === api.user.id ? user.role : role),
        h('td', { class: 'user-status' }, user.status),
        h('td', {}, user.id === api.user.id ? null : h('button', { type: 'button', onclick: async () => {
          await api.post('/api/v1/users/' + user.id + (active ? '/deactivate' : '/activate')).catch((error) => toast(error.message));
          await loadUsers();
        } }, active ? 'Deactivate' : 'Activate'),
        ' ', h('button', { type: 'button', class: 'assign', onclick: () => showAssignments(user) }, 'Cameras')));
    }));
    clear(users).append(h('h2', {}, 'Users'), h('div', { class: 'scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, ['User', 'E-mail', 'Role', 'Status', ''].map((t) => h('th', { scope: 'col' }, t)))), body)));
  }

  async function showAssignments(user) {
    const { camera_ids: assigned } = await api.get('/api/v1/users/' + user.id + '/cameras');
    const boxes = cameras.filter((c) => c.tenant_id === user.tenant_id).map((camera) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', value: camera.id, checked: assigned.includes(camera.id) }), ' ', camera.name));
    const save = h('button', { type: 'button', onclick: async () => {
      const ids = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => Number(i.value));
      try { await api.request('PUT', '/api/v1/users/' + user.id + '/cameras', { camera_ids: ids }); toast('Cameras of ' + user.username + ' saved'); }
      catch (error) { toast(error.message); }
    } }, 'Save');
    assignments.hidden = false;
    clear(assignments).append(h('h2', {}, 'Cameras of ' + user.username),
      ...(boxes.length ? boxes : [h('p', { class: 'muted' }, 'The tenant has no cameras.')]), h('p', {}, save));
  }

  async function loadTenants() {
    if (api.user.role !== 'admin') return;
    const { tenants: list } = await api.get('/api/v1/tenants');
    const name = h('input', { 'aria-label': 'New tenant name', placeholder: 'new tenant' });
    const form = h('form', { class: 'filters' }, name, h('button', { type: 'submit' }, 'Add tenant'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try { await api.post('/api/v1/tenants', { name: name.value.trim() }); await loadTenants(); }
      catch (error) { toast(error.message); }
    });
    clear(tenants).append(h('h2', {}, 'Tenants'), h('ul', { class: 'plain' }, list.map((t) => h('li', {}, t.name + ' (#' + t.id + ')'))), form);
  }

  async function loadActivity() {
    const { activity: list } = await api.get('/api/v1/activity?limit=30');
    clear(activity).append(h('h2', {}, 'Activity log'), h('div', { class: 'scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Time', 'User', 'Action', 'Target', 'Outcome'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((a) => h('tr', {}, h('td', {}, formatTime(a.time)), h('td', {}, a.username || ''), h('td', {}, a.action),
        h('td', {}, a.target || ''), h('td', {}, a.outcome)))))));
  }

  async function loadSecurity() {
    const { alerts } = await api.get('/api/v1/security/alerts?limit=30');
    clear(security).append(h('h2', {}, 'Security alerts'), alerts.length === 0 ? h('p', { class: 'muted' }, 'None.')
      : h('ul', { class: 'plain' }, alerts.map((a) => h('li', {}, h('span', { class: 'badge ' + a.severity }, a.severity), ' ',
        formatTime(a.time), ' ', a.message))));
  }

  (async () => {
    cameras = (await api.get('/api/v1/cameras?limit=500')).cameras;
    await Promise.all([loadUsers(), loadTenants(), loadActivity(), loadSecurity()]);
  })().catch((error) => main.append(failure(error)));
  return () => {};
}
