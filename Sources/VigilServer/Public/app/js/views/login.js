import { api } from '../api.js';
import { h } from '../dom.js';

export function loginView(main, { onSignedIn }) {
  const error = h('p', { class: 'error', role: 'alert' });
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Log in');
  const form = h('form', { class: 'card login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Vigil'),
    h('p', { class: 'muted' }, 'Log in to see your cameras and alerts.'),
    h('label', { for: 'username' }, 'Username or e-mail'), username,
    h('label', { for: 'password' }, 'Password'), password,
    submit, error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    try {
      await api.login(username.value.trim(), password.value);
      onSignedIn();
    } catch (failure) {
      error.textContent = failure.message || 'log-in failed';
      submit.disabled = false;
      password.select();
    }
  });
  main.append(form);
  username.focus();
}
