// Schedules and backup policies: list with next run, create, pause/resume, run now, delete; a
// policy's kept backups. Buttons appear only for the roles the API lets use them.
import {del, get, post} from '../api.js';
import {badge, fmtTime, h, replace, table, throttle, toast} from '../dom.js';
import {field, int, list, submitting, values} from '../forms.js';

export async function render(ctx) {
  const sched = h('div'), policies = h('div');
  replace(ctx.main, h('h1', {}, 'Schedules'), sched,
    ctx.can('POST /schedules/create') ? [h('h2', {}, 'New schedule'), scheduleForm(ctx, load)] : null,
    h('h2', {}, 'Backup policies'), policies,
    ctx.can('POST /backup-policies/create') ? [h('h2', {}, 'New backup policy'), policyForm(ctx, load)] : null);

  async function load() {
    const [s, p] = await Promise.all([get('/schedules'), get('/backup-policies')]);
    if (ctx.stale()) return;
    replace(sched, table(['Name', 'Cron', 'VM', 'Provider', 'Next run', 'Last run', 'Last job', 'State', 'Actions'],
      s.schedules.map(x => h('tr', {dataset: {schedule: x.name}},
        h('td', {}, x.name), h('td', {class: 'mono'}, x.cron + (x.timezone ? ` (${x.timezone})` : '')),
        h('td', {}, x.job_definition.vm_identifier), h('td', {}, x.job_definition.provider),
        h('td', {}, x.paused ? '–' : fmtTime(x.next_run)), h('td', {}, fmtTime(x.last_run)),
        h('td', {}, x.last_job_id ? h('a', {href: '#/jobs/' + x.last_job_id, class: 'mono'}, x.last_job_id) : '–'),
        h('td', {}, badge(x.paused ? 'paused' : 'active'), x.last_error ? h('div', {class: 'err'}, x.last_error) : null),
        h('td', {}, h('div', {class: 'actions'},
          button(ctx, 'POST /schedules/{id}/run', 'Run now', x.name, () => post(`/schedules/${x.id}/run`).then(r => toast(`Submitted ${r.job_id}`))),
          x.paused ? button(ctx, 'POST /schedules/{id}/resume', 'Resume', x.name, () => post(`/schedules/${x.id}/resume`))
            : button(ctx, 'POST /schedules/{id}/pause', 'Pause', x.name, () => post(`/schedules/${x.id}/pause`)),
          button(ctx, 'DELETE /schedules/{id}', 'Delete', x.name, () => confirm(`Delete schedule ${x.name}?`) && del(`/schedules/${x.id}`), 'danger'))))),
      {label: 'Schedules', empty: 'No schedule.'}));
    replace(policies, table(['Name', 'Provider', 'VMs', 'Schedule', 'Retention', 'Next run', 'Backups', 'Actions'],
      p.backup_policies.map(x => h('tr', {dataset: {policy: x.name}},
        h('td', {}, x.name), h('td', {}, x.provider || '–'), h('td', {}, filterText(x.vm_filter)),
        h('td', {class: 'mono'}, x.schedule), h('td', {}, `${x.retention.count} kept, ${x.retention.age_days} days`),
        h('td', {}, fmtTime(x.next_run)),
        h('td', {}, x.backups && x.backups.length ? h('details', {}, h('summary', {}, `${x.backups.filter(b => b.status !== 'pruned').length} kept, ${x.backups.filter(b => b.status === 'pruned').length} pruned`),
          h('ul', {}, x.backups.map(b => h('li', {}, h('a', {href: '#/jobs/' + b.job_id}, b.vm), ' ', fmtTime(b.created_at), ' ',
            badge(b.status === 'pruned' ? 'pruned by retention' : b.status))))) : 'none',
          x.last_error ? h('div', {class: 'err'}, x.last_error) : null),
        h('td', {}, h('div', {class: 'actions'},
          button(ctx, 'POST /backup-policies/{id}/run', 'Run now', x.name, () => post(`/backup-policies/${x.id}/run`).then(r => toast(`Submitted ${r.job_ids.length} job(s)`))),
          button(ctx, 'DELETE /backup-policies/{id}', 'Delete', x.name, () => confirm(`Delete policy ${x.name}?`) && del(`/backup-policies/${x.id}`), 'danger'))))),
      {label: 'Backup policies', empty: 'No backup policy.'}));
  }
  await load();
  const reload = throttle(() => load().catch(() => {}), 1000);
  ctx.live(ev => { if (/^(schedule|policy|backup)\./.test(ev.event) || ev.event === 'stream.resync') reload(); });
}

function filterText(f) {
  const parts = [];
  if (f.tags && f.tags.length) parts.push('tags ' + f.tags.join(', '));
  if (f.datacenter) parts.push('in ' + f.datacenter);
  if (f.folder) parts.push('folder ' + f.folder);
  for (const [k, v] of Object.entries(f)) if (!['tags', 'datacenter', 'folder'].includes(k) && v) parts.push(`${k} ${v}`);
  return parts.join('; ') || 'all';
}

// button is an action the role may take, or nothing; after it the list is re-read.
function button(ctx, route, label, name, fn, cls) {
  if (!ctx.can(route)) return null;
  return h('button', {type: 'button', class: cls, 'aria-label': `${label} ${name}`, onclick: async (e) => {
    e.target.disabled = true;
    try {
      const r = await fn();
      if (r !== false) ctx.navigate(location.hash);
    } catch (err) { toast(err.message, true); }
    e.target.disabled = false;
  }}, label);
}

function providerOptions(ctx) { return ctx.caps.providers.map(p => p.name); }

function scheduleForm(ctx, load) {
  const form = h('form', {class: 'grid panel', 'aria-label': 'New schedule', novalidate: true},
    field('name', 'Name', {placeholder: 'nightly-vm-backup'}),
    field('cron', 'Cron', {value: '0 2 * * *', hint: 'minute hour day month weekday'}),
    field('timezone', 'Time zone', {placeholder: 'UTC'}),
    field('job_definition.provider', 'Provider', {kind: 'select', options: providerOptions(ctx)}),
    field('job_definition.vm_identifier', 'VM', {placeholder: 'vm-123'}),
    field('job_definition.export_method', 'Export method', {kind: 'select', value: 'ova', options: ctx.caps.export_methods}),
    field('job_definition.export_path', 'Export path', {placeholder: 'nightly'}),
    h('div', {class: 'actions form-actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create schedule')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = values(form);
    const r = await submitting(form, () => post('/schedules/create', {name: v.name, cron: v.cron, timezone: v.timezone,
      job_definition: {provider: v['job_definition.provider'], vm_identifier: v['job_definition.vm_identifier'],
        export_method: v['job_definition.export_method'], export_path: v['job_definition.export_path']}}));
    if (r) { toast(`Created schedule ${r.name}`); await load(); form.reset(); }
  });
  return form;
}

function policyForm(ctx, load) {
  const form = h('form', {class: 'grid panel', 'aria-label': 'New backup policy', novalidate: true},
    field('name', 'Name', {placeholder: 'production-vms'}),
    field('provider', 'Provider', {kind: 'select', options: providerOptions(ctx)}),
    field('vm_filter.tags', 'VM tags', {placeholder: 'production'}),
    field('vm_filter.datacenter', 'Datacenter / region'),
    field('schedule', 'Cron', {value: '0 2 * * *'}),
    field('retention.count', 'Keep (count)', {kind: 'number', value: 7, min: 0}),
    field('retention.age_days', 'Keep (days)', {kind: 'number', value: 30, min: 0}),
    field('export_options.export_method', 'Export method', {kind: 'select', value: 'ova', options: ctx.caps.export_methods}),
    h('div', {class: 'actions form-actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create policy')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = values(form);
    const r = await submitting(form, () => post('/backup-policies/create', {name: v.name, provider: v.provider,
      vm_filter: {tags: list(v['vm_filter.tags']), datacenter: v['vm_filter.datacenter'] || undefined}, schedule: v.schedule,
      retention: {count: int(v['retention.count']) ?? 0, age_days: int(v['retention.age_days']) ?? 0},
      export_options: {export_method: v['export_options.export_method']}}));
    if (r) { toast(`Created policy ${r.name}`); await load(); form.reset(); }
  });
  return form;
}
