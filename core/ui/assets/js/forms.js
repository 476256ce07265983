// Forms whose controls are named by the API's field paths ("export_path", "import.network",
// "filter.tags"), so an error envelope's field finds its control and the message is shown next
// to it (aria-describedby, aria-invalid).
import {h, replace} from './dom.js';

let seq = 0;

// field makes a labelled control. kind: text, number, password, url, select, check, textarea.
export function field(name, label, opts = {}) {
  const id = 'f' + (++seq) + '-' + name.replace(/[^a-z0-9]/gi, '-');
  const errId = id + '-err';
  const hintId = opts.hint ? id + '-hint' : undefined;
  const describedBy = [hintId, errId].filter(Boolean).join(' ');
  let control;
  const common = {id, name, 'data-field': name, 'aria-describedby': describedBy, required: opts.required};
  if (opts.kind === 'select') {
    control = h('select', common, (opts.options || []).map(o => {
      const [value, text] = Array.isArray(o) ? o : [o, o];
      return h('option', {value, selected: value === opts.value}, text);
    }));
  } else if (opts.kind === 'check') {
    control = h('input', {...common, type: 'checkbox', checked: opts.value});
  } else if (opts.kind === 'textarea') {
    control = h('textarea', {...common, rows: opts.rows || 3, placeholder: opts.placeholder}, opts.value || '');
  } else {
    control = h('input', {...common, type: opts.kind || 'text', value: opts.value ?? '', placeholder: opts.placeholder,
      autocomplete: opts.autocomplete || 'off', min: opts.min, inputmode: opts.inputmode});
  }
  const err = h('p', {class: 'field-error', id: errId, hidden: true});
  const hint = opts.hint ? h('span', {class: 'hint', id: hintId}, opts.hint) : null;
  if (opts.kind === 'check') {
    return h('div', {class: 'field check'}, control, h('label', {for: id}, label), hint, err);
  }
  return h('div', {class: 'field'}, h('label', {for: id}, label), control, hint, err);
}

// values reads a form's controls into a flat {name: value} map.
export function values(form) {
  const out = {};
  for (const el of form.querySelectorAll('[data-field]')) {
    out[el.name] = el.type === 'checkbox' ? el.checked : el.value.trim();
  }
  return out;
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field-error')) { el.hidden = true; el.textContent = ''; }
  const top = form.querySelector('.form-error');
  if (top) replace(top);
}

// showError puts an ApiError next to the control its field names, or, when no control has that
// name (or none is named), under the form. It focuses the control.
export function showError(form, err) {
  clearErrors(form);
  const name = err.field || '';
  const el = name && (form.querySelector(`[data-field="${CSS.escape(name)}"]`) ||
    form.querySelector(`[data-field="${CSS.escape(name.replace(/\[\d+\]$/, ''))}"]`));
  if (el) {
    el.setAttribute('aria-invalid', 'true');
    const msg = document.getElementById(el.getAttribute('aria-describedby').split(' ').pop());
    msg.textContent = err.message;
    msg.hidden = false;
    el.focus();
    return;
  }
  let top = form.querySelector('.form-error');
  if (!top) { top = h('p', {class: 'form-error', role: 'alert'}); form.append(top); }
  replace(top, err.message);
}

// submitting disables the form's submit button while fn runs, and shows fn's error.
export async function submitting(form, fn) {
  const btn = form.querySelector('button[type=submit]');
  if (btn) btn.disabled = true;
  clearErrors(form);
  try {
    return await fn();
  } catch (err) {
    showError(form, err);
    return undefined;
  } finally {
    if (btn) btn.disabled = false;
  }
}

export function list(s) {
  return s ? s.split(',').map(x => x.trim()).filter(Boolean) : [];
}

export function int(s) {
  if (s === '' || s === undefined) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : s; // the API names a non-number in its error
}
