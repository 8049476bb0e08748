import { api } from '../api.js';
import { h } from '../dom.js';

export function loginView(main, { onSignedIn, notice = '' }) {
  const error = h('p', { class: 'error', role: 'alert' });
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Log in');
  const form = h('form', { class: 'card login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Vigil'),
    h('p', { class: 'muted' }, 'Log in to see your cameras and alerts.'),
    h('label', { for: 'username' }, 'Username or e-mail'), username,
    h('label', { for: 'password' }, 'Password'), password,
    submit, error,
    h('p', { class: 'muted' }, notice || 'No account? ', notice ? null : h('a', { href: '#/signup', id: 'signup' }, 'Create one')));
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

// Sign-up: the account is created inactive and a one-time code is e-mailed; entering it activates the
// account, which then logs in as usual.
export function signUpView(main, { onDone }) {
  const message = h('p', { class: 'error', role: 'alert' });
  const username = h('input', { id: 'su-username', autocomplete: 'username', required: true });
  const email = h('input', { id: 'su-email', type: 'email', autocomplete: 'email', required: true });
  const password = h('input', { id: 'su-password', type: 'password', autocomplete: 'new-password', required: true, minlength: 12 });
  const register = h('form', { class: 'card login', 'aria-labelledby': 'signup-title' },
    h('h1', { id: 'signup-title' }, 'Create an account'),
    h('label', { for: 'su-username' }, 'Username'), username,
    h('label', { for: 'su-email' }, 'E-mail'), email,
    h('label', { for: 'su-password' }, 'Password (12 characters or more)'), password,
    h('button', { type: 'submit' }, 'Send me a code'), message,
    h('p', {}, h('a', { href: '#/live', onclick: (e) => { e.preventDefault(); onDone(); } }, 'Back to log-in')));
  register.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.textContent = '';
    try {
      await api.request('POST', '/api/v1/auth/register', { username: username.value.trim(), email: email.value.trim(), password: password.value });
      register.replaceWith(codeForm(email.value.trim(), onDone));
    } catch (failure) {
      message.textContent = failure.message;
    }
  });
  main.append(register);
  username.focus();
}

function codeForm(address, onDone) {
  const message = h('p', { class: 'error', role: 'alert' });
  const code = h('input', { id: 'su-code', inputmode: 'numeric', autocomplete: 'one-time-code', required: true, pattern: '[0-9]{6}' });
  const form = h('form', { class: 'card login' },
    h('h1', {}, 'Enter your code'), h('p', { class: 'muted' }, 'We sent a six-digit code to ' + address + '.'),
    h('label', { for: 'su-code' }, 'Code'), code, h('button', { type: 'submit' }, 'Activate'), message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api.request('POST', '/api/v1/auth/verify-otp', { email: address, code: code.value.trim() });
      onDone('Your account is active; log in.');
    } catch (failure) {
      message.textContent = failure.message;
    }
  });
  setTimeout(() => code.focus(), 0);
  return form;
}
