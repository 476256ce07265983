// Jobs: a page of GET /jobs (filters by state and provider, 50 a page), with live progress,
// bytes, throughput and ETA from the event stream, and cancel/retry where the role allows.
import {get, post, qs} from '../api.js';
import {badge, fmtTime, h, replace, table, throttle, toast} from '../dom.js';
import {field} from '../forms.js';
import {liveCells, updateCells} from './job_row.js';

const LIMIT = 50;
const states = ['', 'pending', 'running', 'completed', 'failed', 'cancelled'];

export async function render(ctx) {
  const status = ctx.query.get('status') || '';
  const provider = ctx.query.get('provider') || '';
  const offset = Math.max(0, parseInt(ctx.query.get('offset') || '0', 10) || 0);

  const filters = h('form', {class: 'filters', 'aria-label': 'Filter jobs'},
    field('status', 'State', {kind: 'select', value: status, options: states.map(s => [s, s || 'any'])}),
    field('provider', 'Provider', {kind: 'select', value: provider,
      options: [['', 'any'], ...ctx.caps.providers.map(p => [p.name, p.name])]}));
  const go = () => {
    const f = new FormData(filters);
    ctx.navigate('#/jobs' + qs({status: f.get('status'), provider: f.get('provider')}));
  };
  filters.addEventListener('change', go);
  filters.addEventListener('submit', (e) => { e.preventDefault(); go(); });

  const list = h('div');
  const pager = h('div', {class: 'pager'});
  replace(ctx.main, h('h1', {}, 'Jobs'), filters, list, pager);

  let rows = new Map();
  async function load() {
    const page = await get('/jobs' + qs({status, provider, limit: LIMIT, offset}));
    if (ctx.stale()) return;
    rows = new Map();
    replace(list, table(
      ['Job', 'VM', 'Provider', 'State', 'Stage', 'Progress', {label: 'Bytes', cls: 'num'}, {label: 'Throughput', cls: 'num'}, {label: 'ETA', cls: 'num'}, {label: 'Created', cls: 'hide-narrow'}, 'Actions'],
      page.jobs.map(j => row(j)), {label: 'Jobs', empty: 'No job matches.'}));
    const last = Math.min(offset + page.jobs.length, page.total);
    replace(pager,
      h('span', {}, page.total ? `${offset + 1}–${last} of ${page.total}` : '0 jobs'),
      offset > 0 ? h('a', {href: '#/jobs' + qs({status, provider, offset: Math.max(0, offset - LIMIT) || ''})}, '← Newer') : null,
      last < page.total ? h('a', {href: '#/jobs' + qs({status, provider, offset: offset + LIMIT})}, 'Older →') : null);
  }

  function row(j) {
    const cells = liveCells(j);
    const state = h('td', {}, badge(j.status));
    const stage = h('td', {}, j.stage || '–');
    const tr = h('tr', {dataset: {job: j.job_id}},
      h('td', {}, h('a', {href: '#/jobs/' + j.job_id, class: 'mono'}, j.job_id)),
      h('td', {}, j.kind === 'convert' ? 'convert' : j.spec.vm_identifier),
      h('td', {}, j.spec.provider || '–'), state, stage,
      h('td', {}, cells.bar), h('td', {class: 'num'}, cells.bytes), h('td', {class: 'num'}, cells.rate), h('td', {class: 'num'}, cells.eta),
      h('td', {class: 'hide-narrow'}, fmtTime(j.created_at)),
      h('td', {}, actions(ctx, j, load)));
    rows.set(j.job_id, {cells, state, stage, status: j.status});
    return tr;
  }

  await load();
  const reload = throttle(() => load().catch(() => {}), 700);
  ctx.live(ev => {
    if (ev.event === 'stream.resync') return reload();
    const r = rows.get(ev.job_id);
    if (ev.event === 'job.progress' && r) {
      r.stage.textContent = ev.stage || '–';
      if (ev.data) updateCells(r.cells, ev.status, ev.data, ev.progress);
      else updateCells(r.cells, ev.status, {}, ev.progress);
      return;
    }
    if (ev.event === 'job.created' && offset === 0) return reload();
    if (ev.event.startsWith('job.') && r) reload();
  });
}

// actions are the buttons the caller's role may use on a job.
export function actions(ctx, j, after) {
  const out = [];
  if (ctx.can('POST /jobs/cancel/{id}') && (j.status === 'pending' || j.status === 'running')) {
    out.push(h('button', {type: 'button', class: 'danger', 'aria-label': `Cancel ${j.job_id}`, onclick: async (e) => {
      e.target.disabled = true;
      try { await post('/jobs/cancel/' + j.job_id); toast(`Cancelled ${j.job_id}`); await after(); } catch (err) { toast(err.message, true); e.target.disabled = false; }
    }}, 'Cancel'));
  }
  if (ctx.can('POST /jobs/retry/{id}') && (j.status === 'failed' || j.status === 'cancelled')) {
    out.push(h('button', {type: 'button', 'aria-label': `Retry ${j.job_id}`, onclick: async (e) => {
      e.target.disabled = true;
      try { const r = await post('/jobs/retry/' + j.job_id); toast(`Submitted ${r.job_id}`); ctx.navigate('#/jobs/' + r.job_id); } catch (err) { toast(err.message, true); e.target.disabled = false; }
    }}, 'Retry'));
  }
  return h('div', {class: 'actions'}, out);
}
