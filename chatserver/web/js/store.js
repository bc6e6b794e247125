// What the client holds of each channel and direct conversation ("stream"), and the rules that
// keep it equal to the server's history: every change carries the stream's `changeSeq`, a message
// is replaced only by a newer state of itself (by its own `changeSeq`), so applying the same change
// twice, or a history page and a broadcast in either order, gives the same result.

export class Stream {
  constructor(kind, id) {
    this.kind = kind; // "channel" or "dm"
    this.id = id;
    this.key = streamKey(kind, id);
    this.name = "";
    this.workspaceId = null;
    this.otherUserId = null;
    this.isPrivate = false;
    this.isArchived = false;
    this.topic = null;
    this.lastSeq = 0;
    this.lastReadSeq = 0;
    this.unreadCount = 0;
    this.mentionCount = 0;
    this.lastMessageAt = null;
    // The last changeSeq applied: every change up to it is reflected in `messages` (when loaded),
    // or at least counted (when not loaded).
    this.changeSeq = 0;
    this.loaded = false;
    this.loading = null;
    this.messages = new Map(); // id -> message, thread replies included
    this.partials = new Map(); // id -> {changeSeq, patch}: a delete or reaction seen before the message
    this.hasMoreBefore = false;
    this.oldestSeq = null;
    this.syncing = false;
    this.seenDuringSync = 0;
    this._sorted = null;
  }

  /** Take counters from `ready`, `channel:join` or an HTTP answer. */
  setCounters(info) {
    for (const key of ["lastSeq", "lastReadSeq", "unreadCount", "mentionCount", "lastMessageAt"]) {
      if (info[key] !== undefined) this[key] = info[key];
    }
    if (info.name !== undefined) this.name = info.name;
    if (info.workspaceId !== undefined) this.workspaceId = info.workspaceId;
    if (info.otherUserId !== undefined) this.otherUserId = info.otherUserId;
    if (info.isArchived !== undefined) this.isArchived = info.isArchived;
    if (info.isPrivate !== undefined) this.isPrivate = info.isPrivate;
    if (info.topic !== undefined) this.topic = info.topic;
    // While the messages are held, changeSeq only moves by applying changes (or by sync).
    if (!this.loaded && info.lastChangeSeq !== undefined) this.changeSeq = info.lastChangeSeq;
  }

  /** Apply a whole message; false when what is held is as new or newer. */
  apply(message) {
    const held = this.messages.get(message.id);
    if (held && held.changeSeq >= message.changeSeq) return false;
    if (!held && this.loaded && !message.parentId && this.oldestSeq !== null
        && this.hasMoreBefore && message.seq < this.oldestSeq) {
      return false; // older than the window held: it comes with the page that holds it
    }
    let merged = message;
    const partial = this.partials.get(message.id);
    if (partial) {
      if (partial.changeSeq > message.changeSeq) merged = { ...message, ...partial.patch, changeSeq: partial.changeSeq };
      this.partials.delete(message.id);
    }
    this.messages.set(message.id, merged);
    if (message.seq > this.lastSeq) this.lastSeq = message.seq;
    this._sorted = null;
    return true;
  }

  /** Apply part of a message's state (a delete, new reactions) at `changeSeq`. */
  patch(messageId, changeSeq, patch) {
    const held = this.messages.get(messageId);
    if (!held) {
      const partial = this.partials.get(messageId);
      if (!partial || partial.changeSeq < changeSeq) {
        this.partials.set(messageId, { changeSeq, patch: { ...(partial?.patch || {}), ...patch } });
      }
      return false;
    }
    if (held.changeSeq >= changeSeq) return false;
    this.messages.set(messageId, { ...held, ...patch, changeSeq });
    this._sorted = null;
    return true;
  }

  /** The top-level messages, in seq order. */
  timeline() {
    if (!this._sorted) {
      this._sorted = [...this.messages.values()].filter((m) => !m.parentId).sort((a, b) => a.seq - b.seq);
    }
    return this._sorted;
  }

  replies(rootId) {
    return [...this.messages.values()].filter((m) => m.parentId === rootId).sort((a, b) => a.seq - b.seq);
  }

  hasNonce(nonce) {
    for (const m of this.messages.values()) if (m.nonce === nonce) return true;
    return false;
  }

  /** After the first page: drop what slipped in from before the window. */
  trimToWindow() {
    if (this.oldestSeq === null || !this.hasMoreBefore) return;
    for (const [id, m] of this.messages) {
      if (!m.parentId && m.seq < this.oldestSeq) this.messages.delete(id);
    }
    this._sorted = null;
  }

  /** Note a broadcast's changeSeq; "gap" when changes were missed and a sync is needed. */
  noteChange(changeSeq) {
    if (changeSeq === undefined || changeSeq === null) return "ok";
    if (this.syncing) {
      this.seenDuringSync = Math.max(this.seenDuringSync, changeSeq);
      return "ok";
    }
    if (!this.loaded || changeSeq <= this.changeSeq + 1) {
      this.changeSeq = Math.max(this.changeSeq, changeSeq);
      return "ok";
    }
    return "gap";
  }
}

export function streamKey(kind, id) {
  return `${kind === "dm" ? "d" : "c"}:${id}`;
}

export function streamOf(message) {
  return message.conversationId ? streamKey("dm", message.conversationId) : streamKey("channel", message.channelId);
}

export function newNonce() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
