// A job: its request, stages (the plan's steps), per-disk progress, result (artifacts with
// checksums, domain XML), holds, and its log following live; cancel and retry.
import {authHeaders, get} from '../api.js';
import {badge, bar, fmtBytes, fmtDuration, fmtTime, h, replace, setBar, table, throttle} from '../dom.js';
import {actions} from './jobs.js';
import {liveCells, updateCells} from './job_row.js';

export async function render(ctx) {
  const id = ctx.params[0];
  const top = h('div');
  const body = h('div');
  const logBox = h('pre', {class: 'log', tabindex: 0, 'aria-label': 'Job log', 'aria-live': 'off'});
  replace(ctx.main, top, body, h('h2', {id: 'log'}, 'Log'), logBox);

  let cells = null, disks = null, state = null;
  async function load() {
    const j = await get('/jobs/query?job_id=' + encodeURIComponent(id));
    if (ctx.stale()) return;
    state = j.status;
    cells = liveCells(j);
    replace(top,
      h('h1', {}, 'Job ', h('span', {class: 'mono'}, j.job_id)),
      h('div', {class: 'actions'}, badge(j.status), j.stage ? h('span', {}, 'stage: ' + j.stage) : null, actions(ctx, j, load)));
    disks = h('div');
    drawDisks(j.progress);
    replace(body,
      h('div', {class: 'two'},
        h('section', {class: 'panel', 'aria-label': 'Progress'},
          h('h2', {}, 'Progress'), cells.bar,
          h('dl', {class: 'kv'},
            h('dt', {}, 'Bytes'), h('dd', {}, cells.bytes),
            h('dt', {}, 'Throughput'), h('dd', {}, cells.rate),
            h('dt', {}, 'ETA'), h('dd', {}, cells.eta),
            h('dt', {}, 'Phase'), h('dd', {}, j.progress.message || j.progress.phase || '–')),
          disks),
        h('section', {class: 'panel', 'aria-label': 'Request'},
          h('h2', {}, 'Request'),
          h('dl', {class: 'kv'},
            h('dt', {}, 'Kind'), h('dd', {}, j.kind),
            h('dt', {}, 'VM'), h('dd', {}, j.spec.vm_identifier || '–'),
            h('dt', {}, 'Provider'), h('dd', {}, j.spec.provider || '–'),
            h('dt', {}, 'Method'), h('dd', {}, j.spec.export_method || '–'),
            h('dt', {}, 'Export dir'), h('dd', {class: 'mono'}, j.export_dir || '–'),
            h('dt', {}, 'Created'), h('dd', {}, fmtTime(j.created_at)),
            h('dt', {}, 'Started'), h('dd', {}, fmtTime(j.started_at)),
            h('dt', {}, 'Finished'), h('dd', {}, fmtTime(j.finished_at)),
            h('dt', {}, 'Attempts'), h('dd', {}, j.attempts),
            j.schedule_id ? [h('dt', {}, 'Schedule'), h('dd', {}, j.schedule_id)] : null),
          j.error ? h('p', {class: 'err', role: 'alert'}, j.error) : null)),
      h('h2', {}, 'Stages'),
      table(['Step', 'State', 'Started', 'Took', {label: 'Bytes', cls: 'num'}, 'Error'],
        (j.steps || []).map(s => h('tr', {},
          h('td', {}, s.name), h('td', {}, badge(s.state)), h('td', {}, fmtTime(s.started_at)),
          h('td', {}, s.started_at && s.finished_at ? fmtDuration((new Date(s.finished_at) - new Date(s.started_at)) / 1000) : '–'),
          h('td', {class: 'num'}, s.bytes ? fmtBytes(s.bytes) : '–'), h('td', {class: 'err'}, s.error || ''))),
        {label: 'Stages', empty: 'No plan recorded.'}),
      j.failures && j.failures.length ? [h('h2', {}, 'Failed attempts'),
        table(['Attempt', 'Stage', 'At', 'Error'], j.failures.map(f => h('tr', {},
          h('td', {}, f.attempt), h('td', {}, f.stage), h('td', {}, fmtTime(f.at)), h('td', {class: 'err'}, f.error))), {label: 'Failed attempts'})] : null,
      result(j.result),
      j.holds && j.holds.length ? [h('h2', {}, 'Holds'),
        table(['Kind', 'ID', 'Provider', 'State', 'Recorded', 'Released', 'Last error'], j.holds.map(x => h('tr', {},
          h('td', {}, x.kind), h('td', {class: 'mono'}, x.id), h('td', {}, x.provider), h('td', {}, badge(x.state)),
          h('td', {}, fmtTime(x.recorded_at)), h('td', {}, fmtTime(x.released_at)), h('td', {class: 'err'}, x.last_error || ''))), {label: 'Holds'})] : null);
  }

  function drawDisks(p) {
    if (!disks) return;
    if (!p || !p.disks || !p.disks.length) { replace(disks); return; }
    replace(disks, h('h3', {}, 'Disks'), p.disks.map(d => {
      const pct = d.bytes_total ? 100 * d.bytes_done / d.bytes_total : 0;
      return h('div', {class: 'field'}, h('span', {}, `${d.name}: ${fmtBytes(d.bytes_done)} / ${fmtBytes(d.bytes_total)}`),
        bar(pct, pct >= 100 ? 'completed' : 'running', `disk ${d.name}`));
    }));
  }

  await load();
  followLog(ctx, id, logBox);
  const reload = throttle(() => load().catch(() => {}), 500);
  ctx.live(ev => {
    if (ev.event === 'stream.resync') return reload();
    if (ev.job_id !== id) return;
    if (ev.event === 'job.progress' && ev.data && cells && state === 'running') {
      updateCells(cells, 'running', ev.data, ev.progress);
      drawDisks(ev.data);
      return;
    }
    reload();
  });
}

function result(r) {
  if (!r) return null;
  const kv = [];
  const add = (k, v) => { if (v) kv.push(h('dt', {}, k), h('dd', {class: 'mono'}, v)); };
  add('OVA', r.ova);
  add('Manifest', r.manifest);
  add('Converted', (r.converted || []).join('\n'));
  add('libvirt domain', r.libvirt_domain);
  add('libvirt UUID', r.libvirt_uuid);
  add('hyper2kvm', r.hyper2kvm_status);
  return [h('h2', {}, 'Result'),
    kv.length ? h('dl', {class: 'kv panel'}, kv) : null,
    table(['Path', 'Kind', 'Format', {label: 'Size', cls: 'num'}, 'SHA-256'], (r.artifacts || []).map(a => h('tr', {},
      h('td', {class: 'mono'}, a.path), h('td', {}, a.kind), h('td', {}, a.format), h('td', {class: 'num'}, fmtBytes(a.size)),
      h('td', {class: 'mono'}, a.sha256))), {label: 'Artifacts', empty: 'No artifact kept.'}),
    r.domain_xml ? h('details', {}, h('summary', {}, 'Domain XML'), h('pre', {}, r.domain_xml)) : null];
}

// followLog streams GET /jobs/logs/{id}?follow=1&format=json (JSON lines) into box until the
// job ends or the page is left.
function followLog(ctx, id, box) {
  const ctl = new AbortController();
  ctx.onLeave(() => ctl.abort());
  (async () => {
    const r = await fetch(`/jobs/logs/${encodeURIComponent(id)}?follow=1&format=json`, {headers: authHeaders(), signal: ctl.signal});
    if (!r.ok) { box.textContent = `cannot read the log: HTTP ${r.status}`; return; }
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let rest = '';
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      rest += value;
      const lines = rest.split('\n');
      rest = lines.pop();
      const stick = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
      for (const raw of lines) {
        if (!raw) continue;
        const l = JSON.parse(raw);
        const fields = Object.entries(l.fields || {}).map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('');
        box.append(`${new Date(l.time).toLocaleTimeString()} ${l.level.toUpperCase()} [${l.source}] ${l.message}${fields}\n`);
      }
      if (stick) box.scrollTop = box.scrollHeight;
    }
  })().catch(err => { if (err.name !== 'AbortError') box.append(`\n(log stream ended: ${err.message})`); });
}
