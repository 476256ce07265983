// A job's live cells — progress bar, bytes, throughput, ETA — shared by the jobs list and the
// job page, updated in place from job.progress events (whose data is the job's progress).
import {bar, fmtBytes, fmtDuration, fmtRate, h, setBar} from '../dom.js';

export function liveCells(job) {
  const p = job.progress || {};
  const cells = {
    bar: bar(job.percentage ?? p.percentage, job.status, `progress of ${job.job_id}`),
    bytes: h('span', {}, bytesText(p)),
    rate: h('span', {}, job.status === 'running' ? fmtRate(p.throughput_bps) : '–'),
    eta: h('span', {}, etaText(job.status, p)),
  };
  return cells;
}

export function updateCells(cells, status, p, pct) {
  setBar(cells.bar, pct ?? p.percentage, status);
  cells.bytes.textContent = bytesText(p);
  cells.rate.textContent = status === 'running' ? fmtRate(p.throughput_bps) : '–';
  cells.eta.textContent = etaText(status, p);
}

function bytesText(p) {
  if (!p.bytes_total) return p.bytes_done ? fmtBytes(p.bytes_done) : '–';
  return `${fmtBytes(p.bytes_done)} / ${fmtBytes(p.bytes_total)}`;
}

function etaText(status, p) {
  if (status === 'completed') return 'done';
  if (status !== 'running') return '–';
  return p.eta_seconds === undefined || p.eta_seconds === null ? '–' : fmtDuration(p.eta_seconds);
}
