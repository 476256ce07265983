// Small DOM helpers. Text always goes in as text nodes: nothing the API returns is parsed as HTML.

// h builds an element: h('a', {href: '#/jobs', class: 'x', onclick: fn}, 'text', child…).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace empties el and puts children in it.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function fmtBytes(n) {
  if (n === undefined || n === null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[i];
}

export function fmtRate(bps) {
  return bps > 0 ? fmtBytes(bps) + '/s' : '–';
}

export function fmtDuration(s) {
  if (s === undefined || s === null || !isFinite(s)) return '–';
  s = Math.max(0, Math.round(s));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  if (hh) return `${hh}h ${mm}m`;
  if (mm) return `${mm}m ${ss}s`;
  return `${ss}s`;
}

export function fmtTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

export function badge(state) {
  return h('span', {class: 'badge ' + state}, state);
}

// bar is a labelled progress bar (role=progressbar).
export function bar(pct, state, label) {
  pct = Math.max(0, Math.min(100, pct || 0));
  const cls = 'bar' + (state === 'completed' ? ' done' : state === 'failed' ? ' bad' : '');
  const fill = h('span', {});
  fill.style.width = pct + '%'; // CSSOM, not a style attribute: the page's CSP allows no inline style
  return h('div', {class: cls, role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100,
    'aria-valuenow': Math.round(pct), 'aria-label': label || 'progress'},
    fill, h('b', {}, pct.toFixed(pct >= 100 || pct === 0 ? 0 : 1) + ' %'));
}

// setBar updates a bar made by bar() in place.
export function setBar(el, pct, state) {
  pct = Math.max(0, Math.min(100, pct || 0));
  el.className = 'bar' + (state === 'completed' ? ' done' : state === 'failed' ? ' bad' : '');
  el.setAttribute('aria-valuenow', Math.round(pct));
  el.querySelector('span').style.width = pct + '%';
  el.querySelector('b').textContent = pct.toFixed(pct >= 100 || pct === 0 ? 0 : 1) + ' %';
}

export function toast(msg, bad) {
  const box = document.getElementById('toast');
  const el = h('div', {class: bad ? 'bad' : ''}, msg);
  box.append(el);
  setTimeout(() => el.remove(), bad ? 8000 : 4000);
}

export function table(headers, rows, opts = {}) {
  return h('div', {class: 'table-wrap'},
    h('table', {'aria-label': opts.label},
      h('thead', {}, h('tr', {}, headers.map(c => h('th', {scope: 'col', class: c.cls}, c.label ?? c)))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {colspan: headers.length, class: 'muted'}, opts.empty || 'Nothing here.')))));
}

// debounce runs fn at most once per ms, after the last call.
export function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// throttle runs fn once, ms after the first of a burst of calls: a steady stream of events
// re-reads at most once per ms, and the last event of a burst is never missed.
export function throttle(fn, ms) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => { timer = null; fn(); }, ms);
  };
}
