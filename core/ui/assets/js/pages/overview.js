// Overview: providers and their plugin state, jobs per state, throughput now, failures of the
// last day and holds not released — from /capabilities and /jobs/summary, re-read when the
// event stream says something changed.
import {get} from '../api.js';
import {badge, fmtRate, fmtTime, h, replace, table, throttle} from '../dom.js';

const states = ['pending', 'running', 'completed', 'failed', 'cancelled'];

export async function render(ctx) {
  const cards = h('div', {class: 'cards', 'aria-label': 'Jobs'});
  const providers = h('div');
  const failures = h('div');
  replace(ctx.main, h('h1', {}, 'Overview'), cards,
    h('h2', {}, 'Providers'), providers, h('h2', {}, 'Recent failures'), failures);

  async function load() {
    const [sum, caps] = await Promise.all([get('/jobs/summary'), get('/capabilities')]);
    if (ctx.stale()) return;
    replace(cards,
      states.map(s => h('a', {class: 'card', href: '#/jobs?status=' + s, dataset: {state: s}},
        h('span', {class: 'n'}, sum.by_status[s] ?? 0), h('span', {class: 'l'}, s))),
      h('div', {class: 'card', dataset: {state: 'throughput'}}, h('span', {class: 'n'}, fmtRate(sum.throughput_bps)), h('span', {class: 'l'}, 'throughput now')),
      h('a', {class: 'card', href: '#/jobs?status=failed', dataset: {state: 'failed-day'}}, h('span', {class: 'n'}, sum.failed_last_day), h('span', {class: 'l'}, 'failed, last 24 h')),
      h('div', {class: 'card', dataset: {state: 'holds'}}, h('span', {class: 'n'}, sum.unreleased_holds), h('span', {class: 'l'}, 'holds not released')));
    replace(providers, table(
      ['Instance', 'Type', 'State', 'Version', {label: 'Holds', cls: 'num'}, {label: 'Restarts', cls: 'num'}, 'Since', 'Last error'],
      caps.providers.map(p => h('tr', {},
        h('td', {}, h('a', {href: '#/vms?provider=' + encodeURIComponent(p.name)}, p.name)),
        h('td', {}, p.type || '–'), h('td', {}, badge(p.state)), h('td', {}, p.version || '–'),
        h('td', {class: 'num'}, p.unreleased_holds), h('td', {class: 'num'}, p.restarts),
        h('td', {}, fmtTime(p.since)), h('td', {class: 'err'}, p.last_error || ''))),
      {label: 'Providers', empty: 'No provider is configured.'}));
    replace(failures, table(['Job', 'VM', 'Provider', 'Finished', 'Error'],
      sum.recent_failures.map(f => h('tr', {},
        h('td', {}, h('a', {href: '#/jobs/' + f.job_id, class: 'mono'}, f.job_id)),
        h('td', {}, f.vm_identifier || '–'), h('td', {}, f.provider || '–'),
        h('td', {}, fmtTime(f.finished_at)), h('td', {class: 'err'}, f.error))),
      {label: 'Recent failures', empty: 'No job has failed.'}));
  }
  await load();
  // A change of state re-reads the summary; progress events only move the throughput card,
  // summed from their data, so a running wave costs the daemon no summary reads.
  const reload = throttle(() => load().catch(() => {}), 1000);
  const rates = new Map();
  ctx.live(ev => {
    if (ev.event === 'job.progress') {
      if (!ev.data) return;
      rates.set(ev.job_id, ev.data.throughput_bps || 0);
      const card = cards.querySelector('[data-state=throughput] .n');
      if (card) card.textContent = fmtRate([...rates.values()].reduce((a, b) => a + b, 0));
      return;
    }
    if (ev.event.startsWith('job.') || ev.event === 'stream.resync') {
      rates.delete(ev.job_id);
      reload();
    }
  });
}
