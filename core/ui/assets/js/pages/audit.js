// Audit log (admin): every request that could change something, newest first, 100 a page.
import {get, qs} from '../api.js';
import {fmtTime, h, replace, table} from '../dom.js';

const LIMIT = 100;

export async function render(ctx) {
  const offset = Math.max(0, parseInt(ctx.query.get('offset') || '0', 10) || 0);
  const r = await get('/audit' + qs({limit: LIMIT, offset}));
  const last = Math.min(offset + r.entries.length, r.total);
  replace(ctx.main, h('h1', {}, 'Audit log'),
    table(['Time', 'Who', 'Role', 'Request', {label: 'Status', cls: 'num'}, {label: 'From', cls: 'hide-narrow'}, {label: 'Request ID', cls: 'hide-narrow'}],
      r.entries.map(e => h('tr', {},
        h('td', {}, fmtTime(e.time)), h('td', {}, e.who), h('td', {}, e.role || '–'),
        h('td', {class: 'mono'}, `${e.method} ${e.path}`), h('td', {class: 'num' + (e.status >= 400 ? ' err' : '')}, e.status),
        h('td', {class: 'hide-narrow'}, e.remote || '–'), h('td', {class: 'mono hide-narrow'}, e.request_id || '–'))),
      {label: 'Audit log', empty: 'Nothing recorded yet.'}),
    h('div', {class: 'pager'},
      h('span', {}, r.total ? `${offset + 1}–${last} of ${r.total}` : '0 entries'),
      offset > 0 ? h('a', {href: '#/audit' + qs({offset: Math.max(0, offset - LIMIT) || ''})}, '← Newer') : null,
      last < r.total ? h('a', {href: '#/audit' + qs({offset: offset + LIMIT})}, 'Older →') : null));
}
