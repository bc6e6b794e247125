// The session (tokens in localStorage) and the HTTP API, with transparent token refresh.
//
// The access token is short-lived; the refresh token rotates on every use, and a refresh token
// used twice revokes the whole session. So refreshes are serialized across the tabs of this
// browser (Web Locks), and a tab that waited re-reads the tokens another tab may have stored.

const KEY = "chat.session";

export class ApiError extends Error {
  constructor(code, message, { status = 0, details = {}, fields = null } = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details || {};
    this.fields = fields;
  }
}

/** Words for a person, from an error code (socket acks and HTTP problems alike). */
export function describeError(error) {
  const code = error?.code || "internal";
  const details = error?.details || {};
  switch (code) {
    case "rate_limited":
      return `You are doing that too often. Try again in ${Math.ceil(details.retryAfter || 1)} s.`;
    case "forbidden":
      return "You are not allowed to do that here.";
    case "not_found":
      return "That no longer exists, or you cannot see it.";
    case "payload_too_large":
      return details.limit && error.message?.includes("bytes")
        ? `That file is too large (the limit is ${Math.round(details.limit / 1024 / 1024)} MB).`
        : `That is too large${details.limit ? ` (the limit is ${details.limit.toLocaleString()})` : ""}.`;
    case "unauthorized":
      return "Your session has ended. Please sign in again.";
    case "conflict":
      return error.message ? `Conflict: ${error.message}.` : "That conflicts with something that exists.";
    case "version_conflict":
      return "Someone changed this meanwhile.";
    case "invalid": {
      const fields = error.fields || details.fields;
      if (fields) return Object.entries(fields).map(([name, problem]) => `${name}: ${problem}`).join("; ");
      return error.message || "That input is not valid.";
    }
    case "limit_reached":
      return "A limit has been reached.";
    case "unavailable":
      return "The server is busy or partly down. Try again in a moment.";
    case "timeout":
      return "The server did not answer in time.";
    case "offline":
      return "You are offline.";
    default:
      return error?.message ? `Something went wrong: ${error.message}` : "Something went wrong.";
  }
}

export class Session {
  constructor() {
    this.data = null; // {accessToken, refreshToken, expiresAt, sessionId, user}
    this.onEnded = () => {};
    this.onChanged = () => {};
    this._refreshing = null;
    this.load();
    window.addEventListener("storage", (event) => {
      if (event.key !== KEY) return;
      const before = this.data;
      this.load();
      if (before && !this.data) this.onEnded("signed out in another tab");
      else this.onChanged();
    });
  }

  load() {
    try {
      this.data = JSON.parse(localStorage.getItem(KEY) || "null");
    } catch {
      this.data = null;
    }
    return this.data;
  }

  save(tokens) {
    this.data = {
      accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: tokens.expiresAt,
      sessionId: tokens.sessionId, user: tokens.user,
    };
    localStorage.setItem(KEY, JSON.stringify(this.data));
  }

  clear() {
    this.data = null;
    localStorage.removeItem(KEY);
  }

  get signedIn() {
    return Boolean(this.data?.refreshToken);
  }

  get user() {
    return this.data?.user;
  }

  get accessToken() {
    return this.data?.accessToken;
  }

  /** True when the access token expires within `margin` ms. */
  expiring(margin = 30_000) {
    return !this.data?.expiresAt || Date.parse(this.data.expiresAt) - Date.now() < margin;
  }

  async signIn(login, password) {
    const tokens = await request("POST", "/api/v1/auth/login", { json: { login, password } });
    this.save(tokens);
    return tokens;
  }

  async signUp({ email, username, password, displayName }) {
    await request("POST", "/api/v1/auth/register", {
      json: { email, username, password, ...(displayName ? { displayName } : {}) },
    });
    return this.signIn(username, password);
  }

  async signOut() {
    try {
      if (this.data) await this.fetch("POST", "/auth/logout");
    } catch {
      // Signing out locally is what matters; the session expires on the server anyway.
    }
    this.clear();
  }

  /**
   * New tokens from the refresh token. `staleToken` is the access token that was refused: when
   * another tab has meanwhile stored a different one, that one is used instead of refreshing.
   */
  refresh(staleToken = this.accessToken) {
    if (this._refreshing) return this._refreshing;
    const run = async () => {
      this.load();
      if (!this.data) throw new ApiError("unauthorized", "signed out");
      if (this.data.accessToken !== staleToken && !this.expiring()) return this.data;
      try {
        const tokens = await request("POST", "/api/v1/auth/refresh", {
          json: { refreshToken: this.data.refreshToken },
        });
        this.save(tokens);
        this.onChanged();
        return this.data;
      } catch (error) {
        if (error.code === "unauthorized" || error.code === "invalid") {
          this.clear();
          this.onEnded("session expired");
        }
        throw error;
      }
    };
    const locked = navigator.locks
      ? navigator.locks.request("chat.session.refresh", run)
      : run();
    this._refreshing = locked.finally(() => {
      this._refreshing = null;
    });
    return this._refreshing;
  }

  /** A fresh enough access token for a socket connection or a request. */
  async token() {
    if (this.expiring()) await this.refresh();
    return this.accessToken;
  }

  /** An authenticated API call under /api/v1; a refused token is refreshed once and retried. */
  async fetch(method, path, options = {}) {
    const token = await this.token();
    try {
      return await request(method, `/api/v1${path}`, { ...options, token });
    } catch (error) {
      if (error.code !== "unauthorized" || !this.signedIn) throw error;
      await this.refresh(token);
      return request(method, `/api/v1${path}`, { ...options, token: this.accessToken });
    }
  }

  /** The bytes of a download (attachments need the bearer token, so no plain <a href>). */
  async blob(url) {
    const token = await this.token();
    let response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    if (response.status === 401) {
      await this.refresh(token);
      response = await fetch(url, { headers: { Authorization: `Bearer ${this.accessToken}` } });
    }
    if (!response.ok) throw await problem(response);
    return response.blob();
  }
}

async function problem(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: a proxy's error page
  }
  const code = body?.code || (response.status === 413 ? "payload_too_large" : response.status >= 500 ? "unavailable" : "invalid");
  return new ApiError(code, body?.detail || response.statusText, {
    status: response.status, details: body?.details || {}, fields: body?.errors || null,
  });
}

export async function request(method, url, { json, form, token } = {}) {
  const headers = {};
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(url, { method, headers, body });
  } catch {
    throw new ApiError(navigator.onLine ? "unavailable" : "offline", "the server cannot be reached");
  }
  if (!response.ok) throw await problem(response);
  if (response.status === 204) return null;
  return response.json();
}
