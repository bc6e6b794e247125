// One message as a list item, and the list kept in place (elements are reused while the message
// does not change, so hovering, an open editor and the scroll position survive new arrivals).
// Message text is always inserted as text: markup in a message is shown, never run.

import { formatBytes, formatTime, h, icon } from "./dom.js";
import { actions, app, presenceDot, userName } from "./main.js";

export const QUICK_EMOJI = ["👍", "❤️", "😂", "🎉", "👀", "✅", "🙏", "🔥"];

const cache = new Map(); // context:id -> {key, el}

/** Put `items` (elements) in `list` in order, moving only what is out of place. */
export function setupMessageList(list, items) {
  items.forEach((el, index) => {
    const at = list.children[index];
    if (at !== el) list.insertBefore(el, at || null);
  });
  while (list.children.length > items.length) list.lastElementChild.remove();
}

export function renderMessage(message, { editing = null, inThread = false, compact = false } = {}) {
  const context = compact ? "compact" : inThread ? "thread" : "main";
  const mine = message.userId === app.me.id;
  const key = [message.changeSeq, message.version, message.threadReplyCount, userName(message.userId),
    editing ? `edit:${editing.version}:${editing.conflict ?? ""}` : "", message.reactions?.map((r) => r.userIds.map((id) => userName(id)).join()).join("|")].join("\u0000");
  const cached = cache.get(`${context}:${message.id}`);
  if (cached && cached.key === key) return cached.el;
  const el = build(message, { editing, inThread, compact, mine });
  cache.set(`${context}:${message.id}`, { key, el });
  return el;
}

function build(message, { editing, inThread, compact, mine }) {
  const author = userName(message.userId);
  const deleted = message.isDeleted;
  const el = h("li", {
    class: `msg${mine ? " mine" : ""}${deleted ? " deleted" : ""}${message.isPinned ? " pinned" : ""}`,
    // Only the open list's items are "message"; the same message in a side panel is named for the panel.
    "data-testid": compact ? "pinned-message" : inThread ? "thread-message" : "message",
    "data-seq": String(message.seq), "data-id": message.id,
    "data-user-id": message.userId, "data-version": String(message.version),
    "data-deleted": deleted ? "true" : null, "data-pinned": message.isPinned ? "true" : null,
    tabindex: "-1",
  });
  const body = h("div", { class: "msg-body" },
    h("div", { class: "meta" },
      h("span", { class: "author" }, author),
      h("time", { datetime: message.createdAt, title: new Date(message.createdAt).toLocaleString() }, formatTime(message.createdAt)),
      message.isEdited && !deleted ? h("span", { class: "edited", title: message.editedAt ? `edited ${new Date(message.editedAt).toLocaleString()}` : "" }, "(edited)") : null,
      message.isPinned ? h("span", { class: "pin-mark", title: "pinned" }, icon("pin"), "pinned") : null));
  if (deleted) {
    body.append(h("div", { class: "text deleted-text", "data-testid": "message-text" }, "This message was deleted."));
  } else if (editing) {
    body.append(editor(message, editing));
  } else {
    body.append(h("div", { class: "text", "data-testid": "message-text" }, richText(message.content)));
  }
  if (!deleted && message.attachments?.length) body.append(attachmentsOf(message));
  if (!deleted && message.reactions?.length) {
    body.append(h("div", { class: "reactions" }, message.reactions.map((r) => {
      const pressed = r.userIds.includes(app.me.id);
      return h("button", {
        type: "button", class: `reaction${pressed ? " pressed" : ""}`, "data-testid": "reaction", "data-emoji": r.emoji,
        "data-count": String(r.count), "aria-pressed": pressed ? "true" : "false",
        title: r.userIds.map((id) => userName(id)).join(", "),
        onclick: () => actions.react(message, r.emoji),
      }, `${r.emoji} ${r.count}`);
    })));
  }
  if (!inThread && !compact && message.threadReplyCount > 0) {
    body.append(h("button", { type: "button", class: "thread-link", "data-testid": "thread-replies", onclick: () => actions.openThread(message) },
      `${message.threadReplyCount} ${message.threadReplyCount === 1 ? "reply" : "replies"}`));
  }
  el.append(h("div", { class: tint(message.userId), "aria-hidden": "true" }, initial(author), presenceDot(message.userId)), body);
  if (!deleted && !compact && !editing) el.append(toolbar(message, { inThread, mine }));
  return el;
}

/** One of eight avatar colours, the same for a person everywhere. */
export function tint(userId) {
  let hash = 0;
  for (const ch of userId || "") hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `avatar c${hash % 8}`;
}

function initial(name) {
  return [...(name || "?")][0].toUpperCase();
}

function toolbar(message, { inThread, mine }) {
  const picker = h("div", { class: "emoji-picker", hidden: true, role: "menu" }, QUICK_EMOJI.map((emoji) =>
    h("button", { type: "button", class: "emoji", "data-testid": "emoji", "data-emoji": emoji, role: "menuitem", onclick: () => {
      picker.hidden = true;
      actions.react(message, emoji);
    } }, emoji)));
  const bar = h("div", { class: "msg-actions", role: "toolbar", "aria-label": "Message actions" },
    h("button", { type: "button", class: "icon", "data-testid": "react", title: "Add a reaction", "aria-label": "Add a reaction",
      onclick: (event) => {
        event.stopPropagation();
        picker.hidden = !picker.hidden;
      } }, icon("react")),
    message.channelId && !message.parentId && !inThread
      ? h("button", { type: "button", class: "icon", "data-testid": "reply", title: "Reply in thread", "aria-label": "Reply in thread", onclick: () => actions.openThread(message) }, icon("reply"))
      : null,
    mine ? h("button", { type: "button", class: "icon", "data-testid": "edit", title: "Edit", "aria-label": "Edit", onclick: () => actions.startEdit(message) }, icon("edit")) : null,
    h("button", { type: "button", class: "icon", "data-testid": "pin", title: message.isPinned ? "Unpin" : "Pin", "aria-label": message.isPinned ? "Unpin" : "Pin", onclick: () => actions.pin(message) }, icon(message.isPinned ? "unpin" : "pin")),
    mine ? h("button", { type: "button", class: "icon", "data-testid": "delete", title: "Delete", "aria-label": "Delete", onclick: () => actions.remove(message) }, icon("trash")) : null,
    picker);
  return bar;
}

function editor(message, editing) {
  const input = h("textarea", { class: "edit-input", "data-testid": "edit-input", rows: "2", "aria-label": "Edit message" });
  input.value = editing.draft;
  input.addEventListener("input", () => {
    editing.draft = input.value;
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      actions.saveEdit(input.value);
    } else if (event.key === "Escape") {
      event.preventDefault();
      actions.cancelEdit();
    }
  });
  queueMicrotask(() => {
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  });
  return h("div", { class: "editor" },
    editing.conflict !== null && editing.conflict !== undefined
      ? h("div", { class: "conflict", role: "alert", "data-testid": "edit-conflict" },
        h("strong", {}, "Someone changed this message while you were editing. It now says:"),
        h("blockquote", { "data-testid": "edit-conflict-current" }, editing.conflict),
        "Save again to replace it with your text, or cancel to keep it.")
      : null,
    input,
    h("div", { class: "editor-buttons" },
      h("button", { type: "button", class: "small", "data-testid": "cancel-edit", onclick: () => actions.cancelEdit() }, "Cancel"),
      h("button", { type: "button", class: "small primary", "data-testid": "save-edit", onclick: () => actions.saveEdit(input.value) }, "Save")));
}

const TOKEN = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])|(@[\w.-]+)/g;

/** Text with links and @mentions as elements; everything else stays text. */
export function richText(content) {
  const parts = [];
  let last = 0;
  for (const match of content.matchAll(TOKEN)) {
    if (match.index > last) parts.push(content.slice(last, match.index));
    if (match[1]) {
      parts.push(h("a", { href: match[1], target: "_blank", rel: "noopener noreferrer nofollow" }, match[1]));
    } else {
      const name = match[2].slice(1).replace(/[.-]+$/, "");
      const isMe = name.toLowerCase() === app.me.username.toLowerCase();
      parts.push(h("span", { class: `mention${isMe ? " me" : ""}` }, match[2]));
    }
    last = match.index + match[0].length;
  }
  if (last < content.length) parts.push(content.slice(last));
  return parts;
}

function attachmentsOf(message) {
  return h("div", { class: "attachments" }, message.attachments.map((a) => {
    if (a.mimeType.startsWith("image/")) {
      const img = h("img", { alt: a.fileName, class: "preview", "data-testid": "attachment-image", loading: "lazy" });
      actions.imageUrl(a).then((url) => {
        img.src = url;
      }, () => {
        img.alt = `${a.fileName} (could not load)`;
      });
      return h("figure", { class: "attachment" }, h("button", { type: "button", class: "image-button", title: `Download ${a.fileName}`, onclick: () => actions.download(a) }, img),
        h("figcaption", {}, `${a.fileName} · ${formatBytes(a.fileSize)}`));
    }
    return h("button", { type: "button", class: "attachment file", "data-testid": "attachment", onclick: () => actions.download(a) },
      `📄 ${a.fileName}`, h("span", { class: "muted" }, ` ${formatBytes(a.fileSize)}`));
  }));
}

/** A message written here and not yet acknowledged: no seq yet. */
export function renderPending(item, { connected = true, inThread = false } = {}) {
  const state = item.state === "failed" ? "failed" : connected ? "sending" : "queued";
  const label = state === "failed" ? `Not sent: ${item.error}` : state === "queued" ? "Waiting for the connection…" : item.error ? `Retrying… (${item.error})` : "Sending…";
  const author = userName(app.me.id);
  return h("li", { class: `msg mine pending ${state}`, "data-testid": inThread ? "thread-message" : "message", "data-pending": state, "data-nonce": item.nonce },
    h("div", { class: tint(app.me.id), "aria-hidden": "true" }, initial(author)),
    h("div", { class: "msg-body" },
      h("div", { class: "meta" }, h("span", { class: "author" }, author), h("span", { class: "pending-state", "data-testid": "pending-state" }, label)),
      h("div", { class: "text", "data-testid": "message-text" }, item.content),
      item.attachments?.length ? h("div", { class: "muted" }, item.attachments.map((a) => `📎 ${a.fileName} `)) : null,
      state === "failed" ? h("div", { class: "editor-buttons" },
        h("button", { type: "button", class: "small", "data-testid": "retry", onclick: () => actions.retry(item.nonce) }, "Retry"),
        h("button", { type: "button", class: "small", "data-testid": "discard", onclick: () => actions.discard(item.nonce) }, "Discard")) : null));
}
