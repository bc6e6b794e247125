// Messages the person wrote that the server has not acknowledged yet.
//
// Each gets a nonce when it is written, and every attempt to send it uses that nonce, so the
// server stores it once however many times it is sent (a lost ack, a timeout, a reconnect, a
// reload). Items are sent one at a time in the order they were written, kept in localStorage
// until acked, and shown as pending meanwhile. Errors that retrying cannot fix (forbidden, too
// large, invalid) mark the item failed, for the person to retry or discard.

import { describeError } from "./api.js";

const RETRYABLE = new Set(["timeout", "offline", "unavailable", "internal", "rate_limited"]);

export class Outbox {
  /**
   * rt: Realtime; handlers: {changed(streamKey), acked(item, message)}
   */
  constructor(rt, userId, handlers) {
    this.rt = rt;
    this.key = `chat.outbox.${userId}`;
    this.handlers = handlers;
    this.items = [];
    this.running = false;
    this._wake = null;
    try {
      this.items = JSON.parse(localStorage.getItem(this.key) || "[]").map((item) => ({ ...item, state: item.state === "failed" ? "failed" : "pending" }));
    } catch {
      this.items = [];
    }
  }

  save() {
    localStorage.setItem(this.key, JSON.stringify(this.items));
  }

  forStream(streamKey) {
    return this.items.filter((item) => item.streamKey === streamKey);
  }

  add(item) {
    this.items.push({ ...item, state: "pending", error: null, attempts: 0, createdAt: new Date().toISOString() });
    this.save();
    this.handlers.changed(item.streamKey);
    this.pump();
  }

  retry(nonce) {
    const item = this.items.find((i) => i.nonce === nonce);
    if (!item) return;
    item.state = "pending";
    item.error = null;
    this.save();
    this.handlers.changed(item.streamKey);
    this.pump();
  }

  discard(nonce) {
    const item = this.items.find((i) => i.nonce === nonce);
    this.items = this.items.filter((i) => i.nonce !== nonce);
    this.save();
    if (item) this.handlers.changed(item.streamKey);
  }

  /** Called when the connection is (again) ready. */
  wake() {
    if (this._wake) this._wake();
    this.pump();
  }

  async pump() {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const item = this.items.find((i) => i.state === "pending" || i.state === "sending");
        if (!item || !this.rt.connected) return;
        await this._send(item);
      }
    } finally {
      this.running = false;
    }
  }

  async _send(item) {
    item.state = "sending";
    item.attempts += 1;
    this.handlers.changed(item.streamKey);
    const [event, payload] = item.kind === "dm"
      ? ["dm:send", { conversationId: item.streamId, content: item.content, nonce: item.nonce, type: item.type || "TEXT", attachmentIds: item.attachmentIds || [] }]
      : ["message:send", { channelId: item.streamId, content: item.content, nonce: item.nonce, type: item.type || "TEXT", attachmentIds: item.attachmentIds || [], ...(item.parentId ? { parentId: item.parentId } : {}) }];
    try {
      const data = await this.rt.call(event, payload);
      this.items = this.items.filter((i) => i.nonce !== item.nonce);
      this.save();
      this.handlers.acked(item, data.message);
    } catch (error) {
      if (RETRYABLE.has(error.code)) {
        item.state = "pending";
        item.error = this.rt.connected ? describeError(error) : null;
        this.handlers.changed(item.streamKey);
        const wait = error.code === "rate_limited"
          ? (error.details.retryAfter || 1) * 1000
          : Math.min(1000 * 2 ** Math.min(item.attempts - 1, 4), 15_000);
        if (this.rt.connected) await this._sleep(wait);
      } else {
        item.state = "failed";
        item.error = describeError(error);
        this.save();
        this.handlers.changed(item.streamKey);
      }
    }
  }

  _sleep(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this._wake = done;
    }).finally(() => {
      this._wake = null;
    });
  }
}
