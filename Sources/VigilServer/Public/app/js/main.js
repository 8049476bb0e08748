import { api, ApiError } from './api.js';
import { h, clear, toast } from './dom.js';
import { loginView } from './views/login.js';
import { liveView } from './views/live.js';
import { alertsView } from './views/alerts.js';
import { analyticsView } from './views/analytics.js';
import { exportsView } from './views/exports.js';

// Pages by hash route. Each view renders into the main element and returns a function that stops what
// it started (sockets, streams, timers) when the user leaves the page.
const pages = [
  { path: 'live', title: 'Live', view: liveView },
  { path: 'alerts', title: 'Alerts', view: alertsView },
  { path: 'analytics', title: 'Analytics', view: analyticsView },
  { path: 'exports', title: 'Exports', view: exportsView },
];

const main = document.getElementById('view');
const bar = document.querySelector('header.bar');
let stop = () => {};

function route() {
  const name = location.hash.replace(/^#\/?/, '') || 'live';
  stop();
  stop = () => {};
  clear(main);
  if (!api.signedIn) {
    bar.hidden = true;
    document.title = 'Log in · Vigil';
    loginView(main, { onSignedIn: () => { showBar(); route(); } });
    return;
  }
  const page = pages.find((p) => p.path === name) || pages[0];
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

function showBar() {
  bar.hidden = false;
  document.getElementById('who').textContent = api.user.username + ' (' + api.user.role + ')';
  const nav = clear(document.getElementById('nav'));
  for (const page of pages) nav.append(h('li', {}, h('a', { href: '#/' + page.path, dataset: { page: page.path } }, page.title)));
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
