// The Socket.IO connection: connect with the access token, refresh it when the server refuses
// it, report the connection state, and turn acks into promises.

import { io } from "../vendor/socket.io.esm.min.js";
import { ApiError } from "./api.js";

const ACK_TIMEOUT = 10_000;

export class Realtime {
  /**
   * handlers: {ready(snapshot, isReconnect), state(name), event(name, data), ended(reason)}
   */
  constructor(session, handlers) {
    this.session = session;
    this.handlers = handlers;
    this.socket = null;
    this.readyCount = 0;
    this.isReady = false;
    this.state = "connecting";
    this._retryTimer = null;
    this._onOnline = () => this._resume();
    this._onOffline = () => this._suspend();
  }

  start() {
    const socket = io({
      // A function: each (re)connection sends the current token, refreshed when it is about to expire.
      auth: (cb) => {
        this.session.token().then(
          (token) => cb({ token }),
          () => cb({ token: this.session.accessToken || "" }),
        );
      },
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      timeout: 10_000,
    });
    this.socket = socket;
    socket.on("connect", () => this._setState("connected", "syncing"));
    socket.on("disconnect", () => {
      this.isReady = false;
      this._setState("reconnecting", navigator.onLine ? "" : "offline");
    });
    socket.on("connect_error", (error) => this._connectError(error));
    socket.on("ready", (snapshot) => {
      this.readyCount += 1;
      this.isReady = true;
      this.handlers.ready(snapshot, this.readyCount > 1);
    });
    socket.on("session:revoked", (data) => {
      this.stop();
      this.handlers.ended(data?.reason || "signed out");
    });
    socket.onAny((name, data) => {
      if (name !== "ready") this.handlers.event(name, data);
    });
    window.addEventListener("online", this._onOnline);
    window.addEventListener("offline", this._onOffline);
  }

  stop() {
    window.removeEventListener("online", this._onOnline);
    window.removeEventListener("offline", this._onOffline);
    clearTimeout(this._retryTimer);
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.offAny();
      this.socket.disconnect();
    }
    this.socket = null;
    this.isReady = false;
  }

  get connected() {
    return Boolean(this.socket?.connected) && this.isReady;
  }

  /** The handler is up to date after a `ready` (and its sync). */
  markSynced() {
    if (this.socket?.connected) this._setState("connected", "");
  }

  /** state: connecting (before the first connection), connected or reconnecting; detail: syncing, offline or "". */
  _setState(state, detail = "") {
    this.state = state;
    this.detail = detail;
    this.handlers.state(state, detail);
  }

  async _connectError(error) {
    const code = error?.data?.code;
    this._setState(this.readyCount ? "reconnecting" : "connecting", navigator.onLine ? "" : "offline");
    if (code === "unauthorized") {
      // The token expired or was revoked: refresh it (the session ends if that fails), then retry.
      try {
        await this.session.refresh(this.session.accessToken);
      } catch (refreshError) {
        if (!this.session.signedIn) {
          this.stop();
          this.handlers.ended("session expired");
          return;
        }
        this._later(2000);
        return;
      }
      this.socket?.connect();
    } else if (!this.socket?.active) {
      // Refused by the server (such as `unavailable` while it shuts down): the client does not retry by itself.
      this._later(1000 + Math.random() * 1000);
    }
  }

  _later(ms) {
    clearTimeout(this._retryTimer);
    this._retryTimer = setTimeout(() => {
      if (this.socket && !this.socket.connected && navigator.onLine) this.socket.connect();
    }, ms);
  }

  /** The browser says the network is gone: stop waiting on a dead connection. */
  _suspend() {
    if (!this.socket) return;
    this.socket.disconnect();
    this._setState("reconnecting", "offline");
  }

  _resume() {
    if (!this.socket || this.socket.connected) return;
    this._setState("reconnecting", "");
    this.socket.connect();
  }

  /** Emit with an ack: the ack's `data`, or an ApiError (`offline` and `timeout` included). */
  async call(event, payload, timeout = ACK_TIMEOUT) {
    if (!this.socket?.connected) throw new ApiError("offline", "not connected");
    let ack;
    try {
      ack = await this.socket.timeout(timeout).emitWithAck(event, payload);
    } catch {
      throw new ApiError("timeout", `no answer to ${event} within ${timeout / 1000} s`);
    }
    if (ack?.ok) return ack.data;
    const error = ack?.error || { code: "internal", message: "malformed answer" };
    throw new ApiError(error.code, error.message, { details: error.details || {}, fields: error.details?.fields });
  }

  /** Emit without waiting (typing notices): errors are ignored. */
  notify(event, payload) {
    if (this.connected) this.call(event, payload, 5000).catch(() => {});
  }
}
