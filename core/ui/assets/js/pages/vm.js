// A VM: its hardware (disks, NICs, firmware) from GET /vms/info, and the Export and Migrate to
// KVM (the seed's Pattern 1) forms, which submit to POST /jobs/submit and show the API's error
// next to the control its field names.
import {get, post} from '../api.js';
import {badge, fmtBytes, h, replace, table, toast} from '../dom.js';
import {field, int, submitting, values} from '../forms.js';

export async function render(ctx) {
  const [provider, id] = ctx.params.map(decodeURIComponent);
  const info = await get(`/vms/info?identifier=${encodeURIComponent(id)}&provider=${encodeURIComponent(provider)}`);
  const vm = info.vm;
  const methods = ctx.caps.provider_methods.find(m => m.provider === provider);
  const methodList = methods ? [...methods.native, ...methods.completed_by_host] : ctx.caps.export_methods;
  const safe = vm.name.replace(/[^A-Za-z0-9._-]+/g, '-');
  replace(ctx.main,
    h('h1', {}, vm.name),
    h('div', {class: 'two'},
      h('section', {class: 'panel', 'aria-label': 'VM'},
        h('dl', {class: 'kv'},
          h('dt', {}, 'ID'), h('dd', {class: 'mono'}, vm.id),
          h('dt', {}, 'Provider'), h('dd', {}, provider),
          h('dt', {}, 'Power'), h('dd', {}, badge(vm.power_state)),
          h('dt', {}, 'Guest OS'), h('dd', {}, vm.guest_os || '–'),
          h('dt', {}, 'CPUs'), h('dd', {}, vm.cpus),
          h('dt', {}, 'Memory'), h('dd', {}, fmtBytes(vm.memory_mb * 1048576)),
          h('dt', {}, 'Firmware'), h('dd', {}, (vm.firmware || '–') + (vm.secure_boot ? ' (secure boot)' : '')),
          h('dt', {}, 'Datacenter'), h('dd', {}, vm.datacenter || '–'),
          h('dt', {}, 'Folder'), h('dd', {}, vm.folder || '–'),
          h('dt', {}, 'Tags'), h('dd', {}, vm.tags.join(', ') || '–'))),
      h('section', {'aria-label': 'Devices'},
        h('h2', {}, 'Disks'),
        table(['Key', 'Label', {label: 'Capacity', cls: 'num'}, 'Controller', 'Unit'], vm.disks.map(d => h('tr', {},
          h('td', {class: 'mono'}, d.key), h('td', {}, d.label || '–'), h('td', {class: 'num'}, fmtBytes(d.capacity_bytes)),
          h('td', {}, [d.controller, d.controller_model].filter(Boolean).join(' / ') || '–'), h('td', {}, d.unit))), {label: 'Disks', empty: 'No disk.'}),
        h('h2', {}, 'NICs'),
        table(['Label', 'MAC', 'Network', 'Adapter'], vm.nics.map(n => h('tr', {},
          h('td', {}, n.label || '–'), h('td', {class: 'mono'}, n.mac || '–'), h('td', {}, n.network || '–'), h('td', {}, n.adapter_type || '–'))),
          {label: 'NICs', empty: 'No NIC.'}))),
    ctx.can('POST /jobs/submit') ? [
      h('h2', {id: 'migrate'}, 'Migrate to KVM'), migrateForm(ctx, provider, vm, methodList, safe),
      h('h2', {id: 'export'}, 'Export'), exportForm(ctx, provider, vm, methodList, safe)] :
      h('p', {class: 'muted'}, `Your role (${ctx.me.role}) may not submit jobs.`));
}

function methodField(methodList, value) {
  return field('export_method', 'Export method', {kind: 'select', value, options: methodList});
}

function exportForm(ctx, provider, vm, methodList, safe) {
  const form = h('form', {class: 'grid panel', 'aria-label': 'Export', novalidate: true},
    methodField(methodList, 'ova'),
    field('export_path', 'Export path', {value: safe, hint: 'relative to export.base_path'}),
    field('options.shutdown_vm', 'Shut the VM down first', {kind: 'check'}),
    field('options.remove_cdrom', 'Remove CD-ROMs', {kind: 'check'}),
    field('options.compress', 'Compress', {kind: 'check'}),
    h('div', {class: 'actions form-actions'}, h('button', {type: 'submit', class: 'primary'}, 'Export')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = values(form);
    submit(ctx, form, {vm_identifier: vm.id, provider, export_method: v.export_method, export_path: v.export_path,
      options: {shutdown_vm: v['options.shutdown_vm'], remove_cdrom: v['options.remove_cdrom'], compress: v['options.compress']}});
  });
  return form;
}

function migrateForm(ctx, provider, vm, methodList, safe) {
  const form = h('form', {class: 'grid panel', 'aria-label': 'Migrate to KVM', novalidate: true},
    methodField(methodList, methodList.includes('ovf') ? 'ovf' : methodList[0]),
    field('export_path', 'Export path', {value: safe + '-kvm', hint: 'relative to export.base_path'}),
    field('import.network', 'libvirt network', {value: 'default'}),
    field('import.memory_mb', 'Memory (MiB)', {kind: 'number', value: vm.memory_mb || '', min: 1, inputmode: 'numeric'}),
    field('import.vcpus', 'vCPUs', {kind: 'number', value: vm.cpus || '', min: 1, inputmode: 'numeric'}),
    field('import.format', 'Disk format', {kind: 'select', value: 'qcow2', options: ctx.caps.conversion_formats}),
    field('import.autostart', 'Start with the host (autostart)', {kind: 'check'}),
    field('hyper2kvm_integration.keep_export', 'Keep the exported files', {kind: 'check', value: true}),
    field('options.shutdown_vm', 'Shut the source VM down first', {kind: 'check'}),
    h('div', {class: 'actions form-actions'}, h('button', {type: 'submit', class: 'primary'}, 'Migrate to KVM')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = values(form);
    submit(ctx, form, {vm_identifier: vm.id, provider, export_method: v.export_method, export_path: v.export_path,
      options: {shutdown_vm: v['options.shutdown_vm']},
      hyper2kvm_integration: {enabled: true, auto_convert: true, daemon_mode: false, keep_export: v['hyper2kvm_integration.keep_export']},
      import: {network: v['import.network'], memory_mb: int(v['import.memory_mb']), vcpus: int(v['import.vcpus']),
        format: v['import.format'], autostart: v['import.autostart']}});
  });
  return form;
}

async function submit(ctx, form, spec) {
  const r = await submitting(form, () => post('/jobs/submit', spec));
  if (!r) return;
  toast(`Submitted ${r.job_id}`);
  ctx.navigate('#/jobs/' + r.job_id);
}
