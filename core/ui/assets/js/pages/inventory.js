// Inventory: POST /vms/list for one provider instance with the seed's filters (datacenter or
// region, folder, power state, tags, name pattern), kept in the address so a view has a link.
import {post, qs} from '../api.js';
import {badge, fmtBytes, h, replace, table} from '../dom.js';
import {field, list, submitting, values} from '../forms.js';

export async function render(ctx) {
  const providers = ctx.caps.providers.filter(p => p.state !== 'not_configured').map(p => p.name);
  const q = ctx.query;
  const provider = q.get('provider') || providers[0] || '';
  const form = h('form', {class: 'filters', 'aria-label': 'Filter VMs'},
    field('provider', 'Provider', {kind: 'select', value: provider, options: providers}),
    field('filter.datacenter', 'Datacenter / region', {value: q.get('datacenter') || ''}),
    field('filter.folder', 'Folder', {value: q.get('folder') || ''}),
    field('filter.status', 'Power state', {kind: 'select', value: q.get('status') || '',
      options: [['', 'any'], 'poweredOn', 'poweredOff', 'suspended']}),
    field('filter.tags', 'Tags (key or key=value)', {value: q.get('tags') || '', placeholder: 'production, env=test'}),
    field('filter.name_pattern', 'Name pattern', {value: q.get('name') || '', placeholder: 'web-*'}),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'List VMs')));
  const out = h('div');
  replace(ctx.main, h('h1', {}, 'Inventory'), form, out);
  if (!provider) { replace(out, h('p', {class: 'muted'}, 'No provider is configured.')); return; }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = values(form);
    const hash = '#/vms' + qs({provider: v.provider, datacenter: v['filter.datacenter'], folder: v['filter.folder'],
      status: v['filter.status'], tags: v['filter.tags'], name: v['filter.name_pattern']});
    if (location.hash === hash) load(); else ctx.navigate(hash);
  });

  async function load() {
    const v = values(form);
    const filter = {datacenter: v['filter.datacenter'] || undefined, folder: v['filter.folder'] || undefined,
      status: v['filter.status'] || undefined, tags: list(v['filter.tags']), name_pattern: v['filter.name_pattern'] || undefined};
    if (!filter.tags.length) delete filter.tags;
    replace(out, h('p', {class: 'muted'}, 'Listing…'));
    const res = await submitting(form, () => post('/vms/list', {provider: v.provider, filter}));
    if (!res || ctx.stale()) { if (!res) replace(out); return; }
    replace(out, h('p', {class: 'muted', role: 'status'}, `${res.total} VM${res.total === 1 ? '' : 's'} on ${res.provider}`),
      table(['Name', 'ID', 'Power', {label: 'CPUs', cls: 'num'}, {label: 'Memory', cls: 'num'}, {label: 'Disks', cls: 'num'}, 'Datacenter', {label: 'Folder', cls: 'hide-narrow'}, 'Tags'],
        res.vms.map(vm => h('tr', {dataset: {vm: vm.id}},
          h('td', {}, h('a', {href: `#/vms/${encodeURIComponent(res.provider)}/${encodeURIComponent(vm.id)}`}, vm.name)),
          h('td', {class: 'mono'}, vm.id), h('td', {}, badge(vm.power_state)), h('td', {class: 'num'}, vm.cpus),
          h('td', {class: 'num'}, fmtBytes(vm.memory_mb * 1048576)),
          h('td', {class: 'num'}, vm.disks ? `${vm.disks.length} (${fmtBytes(vm.disks.reduce((s, d) => s + d.capacity_bytes, 0))})` : '–'),
          h('td', {}, vm.datacenter || '–'), h('td', {class: 'hide-narrow'}, vm.folder || '–'), h('td', {}, (vm.tags || []).join(', ')))),
        {label: 'VMs', empty: 'No VM matches the filter.'}));
  }
  await load();
}
