// The API client: the access token lives in memory only; the refresh token is an HttpOnly cookie the
// server sets for requests marked `X-Vigil-Client: web`, so a reload or an expiring token costs one
// refresh call, never a new log-in, and no script can read the long-lived secret.
const WEB = { 'X-Vigil-Client': 'web' };
const SESSION_FLAG = 'vigil.session';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  #token = null;
  #refreshing = null;
  #timer = null;
  user = null;
  onSignedOut = () => {};

  get signedIn() { return this.#token !== null; }

  async login(username, password) {
    const response = await fetch('/api/v1/auth/login', {
      method: 'POST', credentials: 'same-origin',
      headers: { ...WEB, 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    this.#accept(await Api.#read(response));
  }

  // The session of a previous page, through the refresh cookie; false when there is none. Whether a
  // cookie was set is remembered as a flag (never a token): a first visit makes no refresh call.
  async resume() {
    if (localStorage.getItem(SESSION_FLAG) !== '1') return false;
    try {
      await this.refresh();
      return true;
    } catch {
      localStorage.removeItem(SESSION_FLAG);
      return false;
    }
  }

  // One refresh at a time: requests that fail together wait for the same one.
  refresh() {
    if (!this.#refreshing) {
      this.#refreshing = fetch('/api/v1/auth/refresh', { method: 'POST', credentials: 'same-origin', headers: WEB })
        .then(Api.#read)
        .then((body) => this.#accept(body))
        .finally(() => { this.#refreshing = null; });
    }
    return this.#refreshing;
  }

  async logout() {
    try {
      await this.request('POST', '/api/v1/auth/logout', undefined, { headers: WEB });
    } finally {
      this.#forget();
    }
  }

  #accept(body) {
    this.#token = body.access_token;
    this.user = body.user;
    localStorage.setItem(SESSION_FLAG, '1');
    clearTimeout(this.#timer);
    // Refresh ahead of expiry (at 80% of the lifetime), so a page left open stays signed in.
    const ms = Math.max(5, body.expires_in * 0.8) * 1000;
    this.#timer = setTimeout(() => this.refresh().catch(() => this.#forget()), ms);
  }

  #forget() {
    localStorage.removeItem(SESSION_FLAG);
    this.#token = null;
    this.user = null;
    clearTimeout(this.#timer);
    this.onSignedOut();
  }

  static async #read(response) {
    const type = response.headers.get('Content-Type') || '';
    const body = type.includes('json') ? await response.json() : null;
    if (!response.ok) {
      const error = body && body.error ? body.error : {};
      throw new ApiError(response.status, error.code || 'http_' + response.status, error.message || response.statusText);
    }
    return body;
  }

  // A request with the access token; on a 401 the token is refreshed once and the request repeated.
  async request(method, path, body, { headers = {}, raw = false } = {}) {
    const send = () => fetch(path, {
      method, credentials: 'same-origin',
      headers: { ...headers, ...(this.#token ? { Authorization: 'Bearer ' + this.#token } : {}),
                 ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    let response = await send();
    if (response.status === 401 && this.#token) {
      try {
        await this.refresh();
      } catch (error) {
        this.#forget();
        throw error;
      }
      response = await send();
    }
    if (raw) {
      if (!response.ok) await Api.#read(response);
      return response;
    }
    return response.status === 204 ? null : Api.#read(response);
  }

  get(path) { return this.request('GET', path); }
  post(path, body = {}) { return this.request('POST', path, body); }

  // An authenticated binary (a snapshot, a download) as an object URL for <img>, <video> or <a download>.
  async objectURL(path) {
    const response = await this.request('GET', path, undefined, { raw: true });
    return URL.createObjectURL(await response.blob());
  }

  // A WebSocket authenticated by its first message; reconnects with backoff until closed.
  socket(path, { onMessage, onOpen, onStatus = () => {} }) {
    let socket = null, closed = false, delay = 500;
    const open = () => {
      const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
      socket = new WebSocket(scheme + '//' + location.host + path);
      socket.addEventListener('open', () => {
        socket.send(JSON.stringify({ type: 'authenticate', token: this.#token }));
        delay = 500;
        onStatus('open');
        if (onOpen) onOpen(socket);
      });
      socket.addEventListener('message', (event) => {
        let message;
        try { message = JSON.parse(event.data); } catch { return; }
        onMessage(message, socket);
      });
      socket.addEventListener('close', async (event) => {
        onStatus('closed', event.code);
        if (closed || event.code === 4404 || event.code === 4403) return;
        if (event.code === 4401) await this.refresh().catch(() => {});
        setTimeout(() => { if (!closed) open(); }, delay);
        delay = Math.min(delay * 2, 10000);
      });
    };
    open();
    return { close() { closed = true; if (socket) socket.close(1000); } };
  }
}

export const api = new Api();
