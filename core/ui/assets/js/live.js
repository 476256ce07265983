// One WebSocket to /websocket for the whole page. Pages subscribe to its events; nothing polls.
// When the stream drops (daemon restart, a slow tab dropped by the daemon), it reconnects with
// backoff and tells subscribers with a "stream.resync" event to re-read their state once.
import {token} from './api.js';

const listeners = new Set();
const stateListeners = new Set();
let ws = null;
let backoff = 500;
let wasOpen = false;
let stopped = false;

export function onEvent(fn) { listeners.add(fn); return () => listeners.delete(fn); }
export function onState(fn) { stateListeners.add(fn); fn(ws && ws.readyState === 1); return () => stateListeners.delete(fn); }

function emit(ev) { for (const fn of [...listeners]) { try { fn(ev); } catch (e) { console.error(e); } } }
function setState(up) { for (const fn of stateListeners) fn(up); }

export function connect() {
  stopped = false;
  if (ws) return;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let url = `${proto}//${location.host}/websocket`;
  if (token()) url += '?access_token=' + encodeURIComponent(token());
  ws = new WebSocket(url);
  ws.onopen = () => {
    backoff = 500;
    setState(true);
    if (wasOpen) emit({event: 'stream.resync'});
    wasOpen = true;
  };
  ws.onmessage = (m) => {
    let ev;
    try { ev = JSON.parse(m.data); } catch { return; }
    emit(ev);
  };
  ws.onclose = () => {
    ws = null;
    setState(false);
    if (stopped) return;
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 15000);
  };
}

// disconnect closes the stream (on logout); connect opens it again.
export function disconnect() {
  stopped = true;
  wasOpen = false;
  if (ws) ws.close();
}
