// Webhooks (admin): list, add, delete. The daemon shows a generated secret once, in the answer
// to the registration; this page shows it then.
import {del, get, post} from '../api.js';
import {badge, fmtTime, h, replace, table, toast} from '../dom.js';
import {field, list, submitting, values} from '../forms.js';

export async function render(ctx) {
  const out = h('div');
  const secret = h('div', {role: 'status'});
  const form = h('form', {class: 'grid panel', 'aria-label': 'New webhook', novalidate: true},
    field('url', 'URL', {kind: 'url', placeholder: 'https://monitoring.example.com/hypersdk-events'}),
    field('events', 'Events', {value: 'job.completed, job.failed', hint: 'comma separated; * for every event'}),
    field('secret', 'Signing secret', {kind: 'password', hint: 'leave empty to have one generated', autocomplete: 'new-password'}),
    h('div', {class: 'actions form-actions'}, h('button', {type: 'submit', class: 'primary'}, 'Add webhook')));
  replace(ctx.main, h('h1', {}, 'Webhooks'), out,
    ctx.can('POST /webhooks/configure') ? [h('h2', {}, 'New webhook'), form, secret] : null);

  async function load() {
    const r = await get('/webhooks');
    if (ctx.stale()) return;
    replace(out, table(['URL', 'Events', 'Source', 'Created', 'Last delivery', 'Actions'], r.webhooks.map(w => h('tr', {dataset: {hook: w.id}},
      h('td', {class: 'mono'}, w.url), h('td', {}, w.events.join(', ')), h('td', {}, w.source), h('td', {}, fmtTime(w.created_at)),
      h('td', {}, lastDelivery(w.last_delivery)),
      h('td', {}, w.source === 'api' && ctx.can('DELETE /webhooks/{id}') ? h('button', {type: 'button', class: 'danger', 'aria-label': `Delete webhook ${w.url}`,
        onclick: async () => {
          if (!confirm(`Delete the webhook to ${w.url}?`)) return;
          try { await del('/webhooks/' + w.id); await load(); } catch (err) { toast(err.message, true); }
        }}, 'Delete') : h('span', {class: 'muted'}, w.source === 'config' ? 'from the config file' : '')))),
      {label: 'Webhooks', empty: 'No webhook.'}));
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = values(form);
    const r = await submitting(form, () => post('/webhooks/configure', {url: v.url, events: list(v.events), secret: v.secret || undefined}));
    if (!r) return;
    form.reset();
    replace(secret, r.secret ? h('p', {class: 'panel'}, 'Signing secret (shown once): ', h('code', {}, r.secret),
      ` — deliveries carry ${r.signature_header}.`) : null);
    await load();
  });
  await load();
}

// lastDelivery says how the latest attempt went (kept since the daemon started).
function lastDelivery(d) {
  if (!d) return h('span', {class: 'muted'}, 'none since start');
  return h('div', {}, badge(d.ok ? 'delivered' : 'failed'), ` ${d.event}, ${fmtTime(d.at)}`,
    d.attempt > 1 ? ` (attempt ${d.attempt})` : '', d.error ? h('div', {class: 'err'}, d.error) : null);
}
