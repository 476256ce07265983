// The dashboard's shell: who is signed in, the navigation, and a hash router (#/jobs/<id>) so
// every page has a link and reloads where it was. Each page is a module with render(ctx).
import {get, setToken, token} from './api.js';
import {h, replace, toast} from './dom.js';
import * as live from './live.js';
import * as overview from './pages/overview.js';
import * as jobs from './pages/jobs.js';
import * as job from './pages/job.js';
import * as inventory from './pages/inventory.js';
import * as vm from './pages/vm.js';
import * as schedules from './pages/schedules.js';
import * as webhooks from './pages/webhooks.js';
import * as audit from './pages/audit.js';
import * as login from './pages/login.js';

const routes = [
  {re: /^\/?$/, page: overview, nav: 'overview'},
  {re: /^\/jobs$/, page: jobs, nav: 'jobs'},
  {re: /^\/jobs\/([^/]+)$/, page: job, nav: 'jobs'},
  {re: /^\/vms$/, page: inventory, nav: 'vms'},
  {re: /^\/vms\/([^/]+)\/(.+)$/, page: vm, nav: 'vms'},
  {re: /^\/schedules$/, page: schedules, nav: 'schedules'},
  {re: /^\/webhooks$/, page: webhooks, nav: 'webhooks'},
  {re: /^\/audit$/, page: audit, nav: 'audit'},
  {re: /^\/login$/, page: login, nav: ''},
];

const navItems = [
  {key: 'overview', href: '#/', label: 'Overview'},
  {key: 'jobs', href: '#/jobs', label: 'Jobs'},
  {key: 'vms', href: '#/vms', label: 'Inventory'},
  {key: 'schedules', href: '#/schedules', label: 'Schedules'},
  {key: 'webhooks', href: '#/webhooks', label: 'Webhooks', needs: 'GET /webhooks'},
  {key: 'audit', href: '#/audit', label: 'Audit', needs: 'GET /audit'},
];

let me = null;       // GET /auth/whoami
let caps = null;     // GET /capabilities, read once per sign-in
let cleanups = [];
let renderSeq = 0;

// can says whether the caller's role may call a route ("POST /jobs/submit"); a viewer's page
// shows no control that would answer 403.
function can(route) { return !!me && me.allowed.includes(route); }

function navigate(hash) {
  if (location.hash === hash) render(); else location.hash = hash;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query] = raw.split('?');
  return {path: decodeURI(path), query: new URLSearchParams(query || '')};
}

async function whoAmI() {
  try {
    me = await get('/auth/whoami');
    caps = await get('/capabilities');
    return true;
  } catch (err) {
    me = null;
    if (err.status !== 401) toast(err.message, true);
    return false;
  }
}

function drawChrome(active) {
  const nav = document.getElementById('nav');
  replace(nav, me ? navItems.filter(i => !i.needs || can(i.needs)).map(i =>
    h('a', {href: i.href, 'aria-current': i.key === active ? 'page' : undefined}, i.label)) : []);
  const session = document.getElementById('session');
  const dot = h('span', {class: 'live-dot', title: 'event stream'});
  const state = h('span', {class: 'sr-only'}, 'event stream offline');
  replace(session, dot, state,
    me ? h('span', {}, `${me.name} (${me.role})`) : null,
    me && me.auth_enabled ? h('button', {type: 'button', onclick: logout}, 'Sign out') : null);
  cleanups.push(live.onState(up => {
    dot.classList.toggle('on', up);
    state.textContent = up ? 'live' : 'event stream offline';
    dot.title = up ? 'live: updates stream from /websocket' : 'reconnecting to /websocket';
  }));
}

function logout() {
  setToken('');
  me = null;
  live.disconnect();
  navigate('#/login');
}

async function render() {
  const seq = ++renderSeq;
  for (const fn of cleanups) fn();
  cleanups = [];
  const {path, query} = parseHash();
  const main = document.getElementById('main');
  if (!me && path !== '/login') {
    if (!(await whoAmI())) {
      if (seq === renderSeq) navigate('#/login?next=' + encodeURIComponent(location.hash || '#/'));
      return;
    }
    live.connect();
  }
  if (seq !== renderSeq) return;
  const route = routes.find(r => r.re.test(path));
  drawChrome(route ? route.nav : '');
  if (!route) {
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, path), '. ', h('a', {href: '#/'}, 'Overview')));
    return;
  }
  const params = path.match(route.re).slice(1);
  const ctx = {
    main, params, query, me, caps, can, navigate,
    live: (fn) => cleanups.push(live.onEvent(fn)),
    onLeave: (fn) => cleanups.push(fn),
    signedIn: async () => { me = null; if (await whoAmI()) live.connect(); },
    stale: () => seq !== renderSeq,
  };
  replace(main, h('p', {class: 'muted'}, 'Loading…'));
  try {
    await route.page.render(ctx);
  } catch (err) {
    if (seq !== renderSeq) return;
    if (err.status === 401) return; // the listener below goes to the sign-in page
    replace(main, h('h1', {}, 'Error'), h('p', {class: 'err', role: 'alert'}, err.message));
  }
  if (seq === renderSeq) document.title = (main.querySelector('h1')?.textContent || 'hypervisord') + ' · hypervisord';
}

window.addEventListener('hashchange', render);
window.addEventListener('hs-unauthenticated', () => {
  if (parseHash().path === '/login') return;
  me = null;
  if (token()) toast('The token was refused; sign in again.', true);
  live.disconnect();
  navigate('#/login?next=' + encodeURIComponent(location.hash || '#/'));
});
render();
