import { api, ApiError } from './api.js';
import { h, clear, toast } from './dom.js';
import { loginView, signUpView } from './views/login.js';
import { liveView } from './views/live.js';
import { alertsView } from './views/alerts.js';
import { analyticsView } from './views/analytics.js';
import { exportsView } from './views/exports.js';
import { tasksView } from './views/tasks.js';
import { mapView } from './views/map.js';
import { adminView } from './views/admin.js';

// Pages by hash route. Each view renders into the main element and returns a function that stops what
// it started (sockets, streams, timers) when the user leaves the page.
const pages = [
  { path: 'live', title: 'Live', view: liveView },
  { path: 'alerts', title: 'Alerts', view: alertsView },
  { path: 'analytics', title: 'Analytics', view: analyticsView },
  { path: 'map', title: 'Map', view: mapView },
  { path: 'tasks', title: 'Tasks', view: tasksView },
  { path: 'exports', title: 'Exports', view: exportsView },
  { path: 'admin', title: 'Administration', view: adminView, roles: ['admin', 'supervisor'] },
];

const main = document.getElementById('view');
const bar = document.querySelector('header.bar');
let stop = () => {};
let pendingNotice = '';

function route() {
  const name = location.hash.replace(/^#\/?/, '') || 'live';
  stop();
  stop = () => {};
  clear(main);
  if (!api.signedIn) {
    bar.hidden = true;
    if (name === 'signup') {
      document.title = 'Sign up · Vigil';
      signUpView(main, { onDone: (notice) => { pendingNotice = notice || ''; location.hash = '#/live'; } });
      return;
    }
    document.title = 'Log in · Vigil';
    loginView(main, { onSignedIn, notice: pendingNotice });
    pendingNotice = '';
    return;
  }
  const allowed = pages.filter((p) => !p.roles || p.roles.includes(api.user.role));
  const page = allowed.find((p) => p.path === name) || allowed[0];
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.page === page.path) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = page.title + ' · Vigil';
  main.append(h('h1', {}, page.title));
  try {
    stop = page.view(main) || (() => {});
  } catch (error) {
    main.append(h('p', { class: 'error' }, String(error.message || error)));
  }
  main.focus({ preventScroll: true });
}

function onSignedIn() {
  showBar();
  if (location.hash === '#/signup') location.hash = '#/live';
  route();
}

function showBar() {
  bar.hidden = false;
  document.getElementById('who').textContent = api.user.username + ' (' + api.user.role + ')';
  const nav = clear(document.getElementById('nav'));
  for (const page of pages.filter((p) => !p.roles || p.roles.includes(api.user.role))) nav.append(h('li', {}, h('a', { href: '#/' + page.path, dataset: { page: page.path } }, page.title)));
}

document.getElementById('logout').addEventListener('click', async () => {
  await api.logout().catch(() => {});
  location.hash = '#/live';
  route();
});

api.onSignedOut = () => {
  stop();
  stop = () => {};
  route();
};

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (event) => {
  if (event.reason instanceof ApiError) {
    toast(event.reason.message);
    event.preventDefault();
  }
});

// A reload keeps the session: the refresh cookie gives a new access token.
(async () => {
  if (await api.resume()) showBar();
  route();
})();
