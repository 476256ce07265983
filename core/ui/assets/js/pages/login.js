// Sign-in with an API token (auth.tokens in the daemon's config). The token stays in this tab's
// sessionStorage and goes out as Authorization: Bearer (and ?access_token= on the WebSocket).
import {get, setToken} from '../api.js';
import {h, replace} from '../dom.js';
import {field, submitting} from '../forms.js';

export async function render(ctx) {
  const next = ctx.query.get('next') || '#/';
  const form = h('form', {class: 'grid', 'aria-label': 'Sign in'},
    field('token', 'API token', {kind: 'password', required: true, autocomplete: 'current-password',
      hint: 'A token from auth.tokens in the daemon configuration.'}),
    h('div', {class: 'actions form-actions'}, h('button', {type: 'submit', class: 'primary'}, 'Sign in')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(form, async () => {
      const t = form.querySelector('[name=token]').value.trim();
      setToken(t);
      try {
        await get('/auth/whoami');
      } catch (err) {
        setToken('');
        if (err.status === 401) err.field = 'token';
        throw err;
      }
      await ctx.signedIn();
      ctx.navigate(next.startsWith('#/login') ? '#/' : next);
    });
  });
  replace(ctx.main, h('h1', {}, 'Sign in'), h('div', {class: 'panel'}, form));
  form.querySelector('input').focus();
}
