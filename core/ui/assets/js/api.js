// The REST API, as hyperctl and scripts call it: a bearer token when auth is on, JSON bodies,
// and the error envelope {"error":{"code","message","field"}} thrown as an ApiError.

const TOKEN_KEY = 'hypervisord.token';

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || (typeof body === 'string' && body) || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.field = e.field || '';
  }
}

export function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
export function setToken(t) { t ? sessionStorage.setItem(TOKEN_KEY, t) : sessionStorage.removeItem(TOKEN_KEY); }

export function authHeaders() {
  const t = token();
  return t ? {Authorization: 'Bearer ' + t} : {};
}

// api calls method path with body (JSON) and returns the decoded answer.
export async function api(method, path, body) {
  const headers = {Accept: 'application/json', ...authHeaders()};
  const init = {method, headers};
  // every POST declares JSON, even without a body: the daemon refuses other POSTs (CSRF)
  if (body !== undefined || method === 'POST') headers['Content-Type'] = 'application/json';
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await fetch(path, init);
  if (r.status === 204) return null;
  const ct = r.headers.get('Content-Type') || '';
  const data = ct.includes('json') ? await r.json() : await r.text();
  if (!r.ok) {
    const err = new ApiError(r.status, data);
    if (r.status === 401) window.dispatchEvent(new CustomEvent('hs-unauthenticated', {detail: err}));
    throw err;
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const del = (path) => api('DELETE', path);

export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}
