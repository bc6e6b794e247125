// The web chat client: sign-in, the realtime connection and the chat views.
// See docs/web-client.md for how it uses the API and for its data-testid contract.

import { describeError, Session } from "./api.js";
import { $, applyIcons, fill, h, icon } from "./dom.js";
import { Outbox } from "./outbox.js";
import { Realtime } from "./realtime.js";
import { newNonce, Stream, streamKey, streamOf } from "./store.js";
import { renderMessage, renderPending, setupMessageList, tint } from "./messages.js";
import { openDialog, toast } from "./ui.js";

const TYPING_SEND_EVERY = 3000;
const TYPING_IDLE = 5000;
const TYPING_EXPIRE = 7000;
const PAGE = 50;
const PRESENCE_ASK = 500; // ids per presence:get

export const app = {
  session: new Session(),
  rt: null,
  outbox: null,
  me: null,
  workspaces: [],
  workspaceId: null,
  streams: new Map(),
  users: new Map(),
  presence: new Map(),
  presenceComplete: true, // ready.presence held everyone sharing a workspace with you
  presenceKnown: new Set(), // ids whose presence is current since the last ready (or asked for)
  presenceHeard: new Set(), // ids a `presence` event told of since the last ready
  members: new Map(), // workspaceId -> [member]
  otherChannels: new Map(), // workspaceId -> [channel] you may join
  openKey: null,
  panel: null, // {kind: "thread"|"pins"|"search"|"members", ...}
  typing: new Map(), // streamKey -> Map(userId -> timer)
  editing: null, // {id, version, draft, conflict}
  fetchingUsers: new Set(),
};

// ---------------------------------------------------------------- boot and sign-in

function boot() {
  applyIcons();
  app.session.onEnded = (reason) => signedOut(reason);
  bindAuthForms();
  bindChat();
  if (app.session.signedIn) startChat();
  else showAuth();
}

function showAuth(message = "") {
  $("#loading").hidden = true;
  $("#chat").hidden = true;
  $("#auth").hidden = false;
  const error = $("#sign-in-form .form-error");
  error.textContent = message;
  $("#sign-in-form").hidden = false;
  $("#sign-up-form").hidden = true;
  $("#sign-in-form [name=login]").focus();
}

function bindAuthForms() {
  const signIn = $("#sign-in-form");
  const signUp = $("#sign-up-form");
  signIn.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = signIn.querySelector(".form-error");
    const login = signIn.login.value.trim();
    const password = signIn.password.value;
    if (!login || !password) {
      error.textContent = "Enter your username or email, and your password.";
      return;
    }
    busy(signIn, true);
    try {
      await app.session.signIn(login, password);
      signIn.reset();
      error.textContent = "";
      startChat();
    } catch (e) {
      error.textContent = e.code === "unauthorized" ? "Wrong username, email or password." : describeError(e);
    } finally {
      busy(signIn, false);
    }
  });
  signUp.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = signUp.querySelector(".form-error");
    busy(signUp, true);
    try {
      await app.session.signUp({
        email: signUp.email.value.trim(), username: signUp.username.value.trim(),
        password: signUp.password.value, displayName: signUp.displayName.value.trim(),
      });
      signUp.reset();
      error.textContent = "";
      startChat();
    } catch (e) {
      error.textContent = e.code === "conflict" ? "That email or username is taken." : describeError(e);
    } finally {
      busy(signUp, false);
    }
  });
  $("[data-testid=show-sign-up]").addEventListener("click", () => {
    signIn.hidden = true;
    signUp.hidden = false;
    signUp.email.focus();
  });
  $("[data-testid=show-sign-in]").addEventListener("click", () => {
    signUp.hidden = true;
    signIn.hidden = false;
    signIn.login.focus();
  });
}

function busy(form, on) {
  for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = on;
}

async function startChat() {
  $("#auth").hidden = true;
  $("#loading").hidden = false;
  app.me = app.session.user;
  rememberUser(app.me);
  try {
    await loadWorkspaces();
    const me = await app.session.fetch("GET", "/me");
    app.me = me.user;
    rememberUser(app.me);
  } catch (e) {
    if (!app.session.signedIn) return; // signedOut() has shown the form
    if (e.code !== "offline" && e.code !== "unavailable") {
      toast(describeError(e));
    }
  }
  $("#loading").hidden = true;
  $("#chat").hidden = false;
  renderMe();
  app.rt = new Realtime(app.session, {
    ready: onReady,
    state: renderConnection,
    event: onEvent,
    ended: (reason) => signedOut(reason === "logout" ? "" : `You were signed out (${reason}).`),
  });
  app.outbox = new Outbox(app.rt, app.me.id, {
    changed: (key) => {
      if (key === app.openKey || key === app.panel?.streamKey) renderMessages();
    },
    acked: (item, message) => {
      const stream = app.streams.get(item.streamKey);
      if (stream) {
        applyMessage(stream, message);
      }
    },
  });
  app.rt.start();
}

function signedOut(message = "") {
  app.rt?.stop();
  app.rt = null;
  app.session.clear();
  app.streams.clear();
  app.workspaces = [];
  app.openKey = null;
  app.panel = null;
  closePanel();
  fill($("#messages"));
  showAuth(message);
}

// ---------------------------------------------------------------- people and presence

function rememberUser(user) {
  if (!user?.id) return;
  app.users.set(user.id, { username: user.username, displayName: user.displayName });
}

export function userName(userId) {
  const user = app.users.get(userId);
  if (user) return user.displayName || user.username;
  fetchUser(userId);
  return "…";
}

async function fetchUser(userId) {
  if (app.fetchingUsers.has(userId)) return;
  app.fetchingUsers.add(userId);
  try {
    const { user } = await app.session.fetch("GET", `/users/${userId}`);
    rememberUser(user);
    renderAll();
  } catch {
    app.users.set(userId, { username: "unknown", displayName: null });
  }
}

export function presenceOf(userId) {
  return app.presence.get(userId)?.status || "OFFLINE";
}

export function presenceDot(userId) {
  const status = presenceOf(userId);
  return h("span", { class: `dot ${status.toLowerCase()}`, "data-testid": "presence", "data-user-id": userId,
    "data-status": status, title: status.toLowerCase() });
}

/** The presence of people a list shows whom `ready` left out, asked for once per connection. */
async function askPresence(userIds) {
  if (app.presenceComplete || !app.rt) return;
  const wanted = [...new Set(userIds)].filter((id) => !app.presenceKnown.has(id));
  for (const id of wanted) app.presenceKnown.add(id); // those outside your workspaces get no answer
  for (let i = 0; i < wanted.length; i += PRESENCE_ASK) {
    const ids = wanted.slice(i, i + PRESENCE_ASK);
    try {
      const { presence } = await app.rt.call("presence:get", { userIds: ids });
      for (const p of presence) if (!app.presenceHeard.has(p.userId)) app.presence.set(p.userId, p); // else newer
      renderPresence();
    } catch {
      for (const id of ids) app.presenceKnown.delete(id); // asked again when next shown
    }
  }
}

async function loadMembers(workspaceId) {
  const items = [];
  let cursor = null;
  do {
    const page = await app.session.fetch("GET", `/workspaces/${workspaceId}/members?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < 2000);
  for (const member of items) rememberUser({ id: member.userId, ...member });
  app.members.set(workspaceId, items);
  return items;
}

// ---------------------------------------------------------------- workspaces and channels

async function loadWorkspaces() {
  const page = await app.session.fetch("GET", "/workspaces?limit=100");
  app.workspaces = page.items;
  if (!app.workspaces.some((w) => w.id === app.workspaceId)) {
    const fromHash = parseHash().workspaceId;
    app.workspaceId = app.workspaces.some((w) => w.id === fromHash) ? fromHash : app.workspaces[0]?.id || null;
  }
}

async function selectWorkspace(workspaceId, { openFirst = true } = {}) {
  app.workspaceId = workspaceId;
  renderSidebar();
  if (!workspaceId) {
    openStream(null);
    return;
  }
  loadOtherChannels(workspaceId);
  loadMembers(workspaceId).then(renderAll).catch(() => {});
  if (openFirst) {
    const current = app.streams.get(app.openKey);
    if (!current || (current.kind === "channel" && current.workspaceId !== workspaceId)) {
      const first = channelsOf(workspaceId)[0];
      openStream(first ? first.key : null);
    }
  }
}

async function loadOtherChannels(workspaceId) {
  try {
    const page = await app.session.fetch("GET", `/workspaces/${workspaceId}/channels?limit=100`);
    app.otherChannels.set(workspaceId, page.items.filter((c) => !app.streams.has(streamKey("channel", c.id)) && !c.isArchived));
    renderSidebar();
  } catch {
    // the list of channels to join is a convenience
  }
}

function channelsOf(workspaceId) {
  return [...app.streams.values()]
    .filter((s) => s.kind === "channel" && s.workspaceId === workspaceId)
    .sort((a, b) => a.name.localeCompare(b.name));
}

function conversations() {
  return [...app.streams.values()]
    .filter((s) => s.kind === "dm")
    .sort((a, b) => (b.lastMessageAt || "").localeCompare(a.lastMessageAt || ""));
}

function ensureStream(kind, info) {
  const key = streamKey(kind, info.id);
  let stream = app.streams.get(key);
  if (!stream) {
    stream = new Stream(kind, info.id);
    app.streams.set(key, stream);
  }
  stream.setCounters(info);
  return stream;
}

// ---------------------------------------------------------------- the realtime connection

async function onReady(snapshot, isReconnect) {
  rememberUser(snapshot.user);
  app.me = { ...app.me, ...snapshot.user };
  for (const p of snapshot.presence) app.presence.set(p.userId, p);
  app.presenceComplete = snapshot.presenceComplete ?? true;
  app.presenceKnown = new Set(snapshot.presence.map((p) => p.userId));
  app.presenceHeard = new Set();
  const seen = new Set();
  for (const c of snapshot.channels) seen.add(ensureStream("channel", c).key);
  for (const c of snapshot.conversations) seen.add(ensureStream("dm", c).key);
  for (const key of [...app.streams.keys()]) {
    if (!seen.has(key)) app.streams.delete(key); // left or removed while away
  }
  if (!isReconnect) {
    const route = parseHash();
    const workspaceId = app.workspaces.some((w) => w.id === route.workspaceId) ? route.workspaceId : app.workspaceId;
    await selectWorkspace(workspaceId, { openFirst: !route.key || !app.streams.has(route.key) });
    if (route.key && app.streams.has(route.key)) openStream(route.key);
  } else {
    try {
      await loadWorkspaces();
    } catch {
      // kept from before
    }
    if (app.openKey && !app.streams.has(app.openKey)) openStream(channelsOf(app.workspaceId)[0]?.key || null);
  }
  renderAll();
  // Catch up on every stream whose messages are held, from the last change applied to each.
  await syncStreams([...app.streams.values()].filter((s) => s.loaded));
  app.rt?.markSynced();
  app.outbox.wake();
  markReadSoon();
}

/**
 * `sync` each stream from its last applied changeSeq until it is up to date: every message
 * changed meanwhile comes back in its current state and replaces what is held (by id, when newer).
 */
async function syncStreams(streams) {
  let pending = streams.filter((s) => !s.syncing);
  for (const s of pending) {
    s.syncing = true;
    s.seenDuringSync = 0;
  }
  try {
    while (pending.length && app.rt?.connected) {
      const payload = { channels: {}, conversations: {} };
      for (const s of pending.slice(0, 200)) payload[s.kind === "dm" ? "conversations" : "channels"][s.id] = s.changeSeq;
      const result = await app.rt.call("sync", payload, 20_000);
      const next = [];
      for (const [group, kind] of [["channels", "channel"], ["conversations", "dm"]]) {
        for (const [id, answer] of Object.entries(result[group] || {})) {
          const stream = app.streams.get(streamKey(kind, id));
          if (!stream) continue;
          if (answer.error) {
            stream.syncing = false;
            app.streams.delete(stream.key); // no longer readable
            continue;
          }
          for (const message of answer.messages) applyMessage(stream, message);
          stream.changeSeq = Math.max(stream.changeSeq, answer.lastChangeSeq);
          if (answer.hasMore || stream.seenDuringSync > stream.changeSeq) next.push(stream);
          else stream.syncing = false;
        }
      }
      const asked = new Set(pending.slice(0, 200));
      pending = [...next, ...pending.filter((s) => !asked.has(s))];
    }
  } catch (e) {
    if (e.code !== "offline" && e.code !== "timeout") toast(`Catching up failed: ${describeError(e)}`);
  } finally {
    for (const s of streams) s.syncing = false;
    renderAll();
  }
}

function resync(stream) {
  if (app.rt?.connected && stream.loaded && !stream.syncing) syncStreams([stream]);
}

/** A whole message from an ack, a broadcast, a history page or a sync. */
function applyMessage(stream, message) {
  const changed = stream.apply(message);
  if (changed) scheduleRender(stream.key);
  return changed;
}

let renderQueued = new Set();
function scheduleRender(key) {
  renderQueued.add(key);
  queueMicrotask(() => {
    if (!renderQueued.size) return;
    const keys = renderQueued;
    renderQueued = new Set();
    if (keys.has(app.openKey) || (app.panel?.kind === "thread" && keys.has(app.panel.streamKey))) renderMessages();
    renderSidebar();
  });
}

function onEvent(name, data) {
  switch (name) {
    case "message:new":
    case "dm:new":
      return onNewMessage(data.message);
    case "message:updated": {
      const stream = app.streams.get(streamOf(data.message));
      if (!stream) return;
      applyMessage(stream, data.message);
      if (stream.noteChange(data.message.changeSeq) === "gap") resync(stream);
      return;
    }
    case "message:deleted": {
      const stream = app.streams.get(data.conversationId ? streamKey("dm", data.conversationId) : streamKey("channel", data.channelId));
      if (!stream) return;
      if (stream.patch(data.messageId, data.changeSeq, { isDeleted: true, content: "", reactions: [], mentions: [], isPinned: false, attachments: [] })) {
        scheduleRender(stream.key);
      }
      if (stream.noteChange(data.changeSeq) === "gap") resync(stream);
      return;
    }
    case "reaction:updated": {
      const stream = app.streams.get(data.conversationId ? streamKey("dm", data.conversationId) : streamKey("channel", data.channelId));
      if (!stream) return;
      if (stream.patch(data.messageId, data.changeSeq, { reactions: data.reactions })) scheduleRender(stream.key);
      if (stream.noteChange(data.changeSeq) === "gap") resync(stream);
      return;
    }
    case "typing":
      return onTyping(data);
    case "presence":
      app.presence.set(data.userId, data);
      app.presenceKnown.add(data.userId);
      app.presenceHeard.add(data.userId);
      if (data.userId === app.me.id) renderMe();
      return renderPresence();
    case "channel:read": {
      const stream = app.streams.get(streamKey("channel", data.channelId));
      if (stream) {
        stream.lastReadSeq = Math.max(stream.lastReadSeq, data.lastReadSeq);
        stream.unreadCount = data.unreadCount;
        stream.mentionCount = data.mentionCount ?? stream.mentionCount;
        renderSidebar();
      }
      return;
    }
    case "dm:read": {
      const stream = app.streams.get(streamKey("dm", data.conversationId));
      if (stream && data.userId === app.me.id) {
        stream.lastReadSeq = Math.max(stream.lastReadSeq, data.lastReadSeq);
        stream.unreadCount = Math.max(0, stream.lastSeq - stream.lastReadSeq);
        renderSidebar();
      }
      return;
    }
    case "channel:member_joined":
      if (data.userId === app.me.id && !app.streams.has(streamKey("channel", data.channelId))) addChannelById(data.channelId);
      return;
    case "channel:member_left":
      if (data.userId === app.me.id) dropStream(streamKey("channel", data.channelId));
      return;
    case "channel:created":
    case "channel:updated": {
      const stream = app.streams.get(streamKey("channel", data.channel.id));
      if (stream) {
        const { lastSeq, lastChangeSeq, ...info } = data.channel; // counters move with the messages
        stream.setCounters(info);
      } else if (!data.channel.isArchived) {
        const others = (app.otherChannels.get(data.channel.workspaceId) || []).filter((c) => c.id !== data.channel.id);
        app.otherChannels.set(data.channel.workspaceId, [...others, data.channel]);
      }
      renderSidebar();
      if (app.openKey === streamKey("channel", data.channel.id)) renderHeader();
      return;
    }
    case "channel:archived": {
      const stream = app.streams.get(streamKey("channel", data.channelId));
      if (stream) stream.isArchived = true;
      renderAll();
      return;
    }
    case "workspace:updated":
    case "workspace:member_joined":
    case "workspace:member_left":
    case "workspace:deleted":
      if (name === "workspace:member_joined" || name === "workspace:member_left") app.members.delete(data.workspaceId);
      loadWorkspaces().then(() => {
        if (!app.workspaces.some((w) => w.id === app.workspaceId)) selectWorkspace(app.workspaces[0]?.id || null);
        if (app.workspaceId) loadMembers(app.workspaceId).then(renderAll).catch(() => {});
        renderAll();
      }).catch(() => {});
      return;
    case "workspace:member_updated":
      return;
    case "error":
      if (data.event !== "typing") toast(describeError(data));
      return;
    default:
  }
}

function onNewMessage(message) {
  const key = streamOf(message);
  let stream = app.streams.get(key);
  if (!stream) {
    if (message.conversationId) {
      stream = ensureStream("dm", { id: message.conversationId, lastSeq: message.seq - 1, lastChangeSeq: message.changeSeq - 1 });
      app.session.fetch("GET", `/conversations/${message.conversationId}`)
        .then(({ conversation }) => {
          const { lastSeq, lastChangeSeq, ...info } = conversation;
          stream.setCounters(info);
          renderSidebar();
        })
        .catch(() => {});
    } else {
      return;
    }
  }
  stopTyping(key, message.userId);
  const isNew = !stream.messages.has(message.id) && message.seq > stream.lastSeq;
  if (stream.loaded) applyMessage(stream, message);
  else if (message.seq > stream.lastSeq) stream.lastSeq = message.seq;
  stream.lastMessageAt = message.createdAt;
  if (isNew && !message.parentId) {
    const viewing = key === app.openKey && atBottom() && document.visibilityState === "visible";
    if (message.userId !== app.me.id && !viewing) {
      stream.unreadCount += 1;
      if ((message.mentions || []).includes(app.me.id)) stream.mentionCount += 1;
      if (key === app.openKey) $("#jump").hidden = false;
    }
  }
  if (stream.noteChange(message.changeSeq) === "gap") resync(stream);
  scheduleRender(key);
  if (key === app.openKey) markReadSoon();
}

async function addChannelById(channelId) {
  try {
    const { channel } = await app.session.fetch("GET", `/channels/${channelId}`);
    ensureStream("channel", { ...channel, lastReadSeq: channel.lastSeq, unreadCount: 0, mentionCount: 0 });
    const others = app.otherChannels.get(channel.workspaceId) || [];
    app.otherChannels.set(channel.workspaceId, others.filter((c) => c.id !== channelId));
    renderSidebar();
  } catch {
    // not visible after all
  }
}

function dropStream(key) {
  const stream = app.streams.get(key);
  app.streams.delete(key);
  if (stream?.kind === "channel") loadOtherChannels(stream.workspaceId);
  if (app.openKey === key) openStream(channelsOf(app.workspaceId)[0]?.key || null);
  renderSidebar();
}

// ---------------------------------------------------------------- typing

function onTyping(data) {
  if (data.userId === app.me.id) return;
  const key = data.conversationId ? streamKey("dm", data.conversationId) : streamKey("channel", data.channelId);
  if (data.typing) {
    const people = app.typing.get(key) || new Map();
    clearTimeout(people.get(data.userId));
    people.set(data.userId, setTimeout(() => stopTyping(key, data.userId), TYPING_EXPIRE));
    app.typing.set(key, people);
    renderTyping();
  } else {
    stopTyping(key, data.userId);
  }
}

function stopTyping(key, userId) {
  const people = app.typing.get(key);
  if (!people?.has(userId)) return;
  clearTimeout(people.get(userId));
  people.delete(userId);
  renderTyping();
}

function renderTyping() {
  const slot = $("#typing-slot");
  const people = [...(app.typing.get(app.openKey)?.keys() || [])];
  if (!people.length) {
    slot.replaceChildren();
    return;
  }
  const names = people.map(userName);
  const text = names.length === 1 ? `${names[0]} is typing…`
    : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : "Several people are typing…";
  const current = slot.querySelector("[data-testid=typing]");
  if (current) current.textContent = text;
  else slot.replaceChildren(h("p", { class: "typing", "data-testid": "typing", "aria-live": "polite" }, text));
}

const myTyping = { key: null, sentAt: 0, idle: null };

function composerTyping(key) {
  const composer = $("#composer");
  if (!composer.value.trim()) return endMyTyping();
  const now = Date.now();
  if (myTyping.key !== key || now - myTyping.sentAt > TYPING_SEND_EVERY) {
    if (myTyping.key && myTyping.key !== key) endMyTyping();
    myTyping.key = key;
    myTyping.sentAt = now;
    app.rt?.notify("typing", { ...streamRef(app.streams.get(key)), typing: true });
  }
  clearTimeout(myTyping.idle);
  myTyping.idle = setTimeout(endMyTyping, TYPING_IDLE);
}

function endMyTyping({ notify = true } = {}) {
  clearTimeout(myTyping.idle);
  if (myTyping.key && notify) {
    const stream = app.streams.get(myTyping.key);
    if (stream) app.rt?.notify("typing", { ...streamRef(stream), typing: false });
  }
  myTyping.key = null;
  myTyping.sentAt = 0;
}

function streamRef(stream) {
  return stream.kind === "dm" ? { conversationId: stream.id } : { channelId: stream.id };
}

// ---------------------------------------------------------------- opening a stream, history

function parseHash() {
  const match = location.hash.match(/^#\/w\/([\w-]+)(?:\/(c|d)\/([\w-]+))?/);
  if (!match) return {};
  return { workspaceId: match[1], key: match[2] ? `${match[2]}:${match[3]}` : null };
}

async function openStream(key) {
  const previous = app.openKey;
  if (previous !== key) {
    saveDraft(previous);
    endMyTyping();
    app.editing = null;
    if (app.panel?.kind === "thread" || app.panel?.kind === "pins") closePanel();
  }
  app.openKey = key;
  const stream = key ? app.streams.get(key) : null;
  if (stream?.kind === "channel" && stream.workspaceId !== app.workspaceId) {
    app.workspaceId = stream.workspaceId;
  }
  if (app.workspaceId) {
    history.replaceState(null, "", `#/w/${app.workspaceId}${stream ? `/${key.replace(":", "/")}` : ""}`);
  }
  closeNav();
  $("#jump").hidden = true;
  renderAll();
  if (previous !== key) restoreDraft(key);
  if (!stream) return;
  if (!stream.loaded) await loadLatest(stream);
  if (app.openKey === key) {
    renderMessages({ toBottom: true });
    markReadSoon();
    if (window.matchMedia("(min-width: 760px)").matches) $("#composer").focus({ preventScroll: true });
  }
}

function historyCall(stream, extra) {
  return stream.kind === "dm"
    ? app.rt.call("dm:history", { conversationId: stream.id, limit: PAGE, ...extra })
    : app.rt.call("channel:history", { channelId: stream.id, limit: PAGE, ...extra });
}

async function loadLatest(stream) {
  if (stream.loading) return stream.loading;
  stream.loading = (async () => {
    $("#history-status").textContent = "Loading messages…";
    try {
      if (!app.rt?.connected) await waitConnected();
      // From here every broadcast for the stream is applied to it, and the page merges by changeSeq.
      stream.loaded = true;
      const page = await historyCall(stream, {});
      stream.hasMoreBefore = page.hasMore;
      stream.oldestSeq = page.messages.length ? page.messages[0].seq : null;
      for (const message of page.messages) stream.apply(message);
      stream.trimToWindow();
      $("#history-status").textContent = "";
    } catch (e) {
      stream.loaded = false;
      $("#history-status").textContent = `Could not load messages: ${describeError(e)}`;
    } finally {
      stream.loading = null;
    }
  })();
  return stream.loading;
}

function waitConnected() {
  return new Promise((resolve) => {
    const check = setInterval(() => {
      if (app.rt?.connected) {
        clearInterval(check);
        resolve();
      }
    }, 100);
  });
}

async function loadOlder() {
  const stream = app.streams.get(app.openKey);
  if (!stream?.loaded || !stream.hasMoreBefore || stream.loadingOlder || !app.rt?.connected) return;
  stream.loadingOlder = true;
  $("#history-status").textContent = "Loading earlier messages…";
  const scroller = $("#scroller");
  const fromBottom = scroller.scrollHeight - scroller.scrollTop;
  try {
    const page = await historyCall(stream, { beforeSeq: stream.oldestSeq });
    stream.hasMoreBefore = page.hasMore;
    if (page.messages.length) stream.oldestSeq = Math.min(stream.oldestSeq ?? Infinity, page.messages[0].seq);
    for (const message of page.messages) stream.apply(message);
    stream._sorted = null;
    $("#history-status").textContent = stream.hasMoreBefore ? "" : "This is the beginning of the conversation.";
    if (app.openKey === stream.key) {
      renderMessages();
      scroller.scrollTop = scroller.scrollHeight - fromBottom;
    }
  } catch (e) {
    $("#history-status").textContent = `Could not load earlier messages: ${describeError(e)}`;
  } finally {
    stream.loadingOlder = false;
  }
}

// ---------------------------------------------------------------- read markers

let readTimer = null;
function markReadSoon() {
  clearTimeout(readTimer);
  readTimer = setTimeout(markRead, 400);
}

async function markRead() {
  const stream = app.streams.get(app.openKey);
  if (!stream?.loaded || !app.rt?.connected || document.visibilityState !== "visible" || !atBottom()) return;
  const seq = stream.lastSeq;
  if (seq <= stream.lastReadSeq && !stream.unreadCount) return;
  try {
    if (stream.kind === "dm") {
      const answer = await app.rt.call("dm:read", { conversationId: stream.id, seq });
      stream.lastReadSeq = answer.lastReadSeq;
      stream.unreadCount = answer.unreadCount;
    } else {
      const answer = await app.rt.call("channel:read", { channelId: stream.id, seq });
      stream.lastReadSeq = answer.lastReadSeq;
      stream.unreadCount = answer.unreadCount;
      stream.mentionCount = answer.mentionCount;
    }
    $("#jump").hidden = true;
    renderSidebar();
  } catch {
    // tried again on the next read
  }
}

function atBottom() {
  const scroller = $("#scroller");
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
}

// ---------------------------------------------------------------- sending

const drafts = new Map();
function saveDraft(key) {
  if (key) drafts.set(key, $("#composer").value);
}

function restoreDraft(key) {
  const composer = $("#composer");
  composer.value = drafts.get(key) || "";
  autosize(composer);
  fill($("#attachments-tray"));
  staged.length = 0;
}

const staged = []; // uploaded attachments for the next message: {attachment}

export function send(stream, content, { parentId = null, attachments = [] } = {}) {
  const text = content.trim();
  if (!text && !attachments.length) return false;
  const chars = [...text].length;
  if (chars > 40000) {
    toast(`That message is too long (${chars.toLocaleString()} characters; the limit is 40,000).`);
    return false;
  }
  const allImages = attachments.length && attachments.every((a) => a.mimeType.startsWith("image/"));
  app.outbox.add({
    nonce: newNonce(), streamKey: stream.key, kind: stream.kind, streamId: stream.id, content: text,
    parentId, attachmentIds: attachments.map((a) => a.id), attachments,
    type: attachments.length ? (allImages ? "IMAGE" : "FILE") : "TEXT",
  });
  return true;
}

function submitComposer() {
  const stream = app.streams.get(app.openKey);
  if (!stream) return;
  if (stream.isArchived) {
    toast("This channel is archived: it is read-only.");
    return;
  }
  const composer = $("#composer");
  if (!send(stream, composer.value, { attachments: staged.map((s) => s.attachment) })) return;
  composer.value = "";
  drafts.delete(stream.key);
  autosize(composer);
  staged.length = 0;
  fill($("#attachments-tray"));
  endMyTyping({ notify: false }); // sending ends typing on the server
  hideMentionMenu();
  renderMessages({ toBottom: true });
}

async function uploadFiles(files) {
  for (const file of files) {
    const chip = h("span", { class: "chip uploading" }, `${file.name} …`);
    $("#attachments-tray").append(chip);
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      const { attachment } = await app.session.fetch("POST", "/attachments", { form });
      staged.push({ attachment });
      fill(chip, `📎 ${attachment.fileName} `, h("button", {
        type: "button", class: "link", "aria-label": `Remove ${attachment.fileName}`,
        onclick: () => {
          staged.splice(staged.findIndex((s) => s.attachment.id === attachment.id), 1);
          chip.remove();
        },
      }, icon("close")));
      chip.classList.remove("uploading");
    } catch (e) {
      chip.remove();
      toast(`${file.name}: ${describeError(e)}`);
    }
  }
}

function autosize(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = `${Math.min(textarea.scrollHeight, 200)}px`;
}

// ---------------------------------------------------------------- @mentions in the composer

let mentionState = null;
function updateMentionMenu() {
  const composer = $("#composer");
  const before = composer.value.slice(0, composer.selectionStart);
  const match = before.match(/(^|\s)@([\w.-]*)$/);
  const stream = app.streams.get(app.openKey);
  if (!match || !stream) return hideMentionMenu();
  const prefix = match[2].toLowerCase();
  const workspaceId = stream.kind === "channel" ? stream.workspaceId : app.workspaceId;
  const candidates = (app.members.get(workspaceId) || [])
    .filter((m) => m.userId !== app.me.id && (m.username.toLowerCase().startsWith(prefix) || (m.displayName || "").toLowerCase().startsWith(prefix)))
    .slice(0, 8);
  if (!candidates.length) return hideMentionMenu();
  askPresence(candidates.map((m) => m.userId));
  mentionState = { start: before.length - match[2].length - 1, candidates, index: 0, prefix };
  renderMentionMenu();
}

function renderMentionMenu() {
  const menu = $("#mention-menu");
  fill(menu, mentionState.candidates.map((m, i) => h("li", {
    role: "option", "aria-selected": i === mentionState.index ? "true" : "false", "data-testid": "mention-option",
    onmousedown: (event) => {
      event.preventDefault();
      chooseMention(i);
    },
  }, presenceDot(m.userId), ` ${m.displayName || m.username} `, h("span", { class: "muted" }, `@${m.username}`))));
  menu.hidden = false;
}

function chooseMention(index) {
  const composer = $("#composer");
  const member = mentionState.candidates[index];
  const after = composer.value.slice(composer.selectionStart);
  const head = `${composer.value.slice(0, mentionState.start)}@${member.username} `;
  composer.value = head + after;
  composer.setSelectionRange(head.length, head.length);
  hideMentionMenu();
  composer.focus();
}

function hideMentionMenu() {
  mentionState = null;
  $("#mention-menu").hidden = true;
}

// ---------------------------------------------------------------- message actions

export async function act(label, work) {
  try {
    return await work();
  } catch (e) {
    toast(`${label}: ${describeError(e)}`);
    return null;
  }
}

export const actions = {
  async react(message, emoji) {
    const mine = (message.reactions || []).some((r) => r.emoji === emoji && r.userIds.includes(app.me.id));
    const data = await act(mine ? "Removing the reaction" : "Reacting", () =>
      app.rt.call(mine ? "reaction:remove" : "reaction:add", { messageId: message.id, emoji }));
    return data;
  },
  startEdit(message) {
    app.editing = { id: message.id, version: message.version, draft: message.content, conflict: null };
    renderMessages();
  },
  cancelEdit() {
    app.editing = null;
    renderMessages();
  },
  async saveEdit(draft) {
    const editing = app.editing;
    if (!editing) return;
    editing.draft = draft;
    const message = findMessage(editing.id);
    const stream = message && app.streams.get(streamOf(message));
    if (!draft.trim()) {
      toast("A message cannot be empty; delete it instead.");
      return;
    }
    try {
      const data = await app.rt.call("message:edit", { messageId: editing.id, version: editing.version, content: draft.trim() });
      app.editing = null;
      if (stream) applyMessage(stream, data.message);
      renderMessages();
    } catch (e) {
      if (e.code === "version_conflict" && e.details.current) {
        // Show what the message says now; the person's text stays in the editor, on top of the new version.
        const current = e.details.current;
        if (stream) applyMessage(stream, current);
        editing.version = current.version;
        editing.conflict = current.isDeleted ? "This message was deleted meanwhile." : current.content;
        renderMessages();
      } else {
        toast(`Editing: ${describeError(e)}`);
      }
    }
  },
  async remove(message) {
    if (!(await openDialog.confirm("Delete this message?", "Delete"))) return;
    await act("Deleting", () => app.rt.call("message:delete", { messageId: message.id }));
  },
  async pin(message) {
    const data = await act(message.isPinned ? "Unpinning" : "Pinning", () =>
      app.rt.call("message:pin", { messageId: message.id, pinned: !message.isPinned }));
    if (data) {
      const stream = app.streams.get(streamOf(data.message));
      if (stream) applyMessage(stream, data.message);
      if (app.panel?.kind === "pins") showPins();
    }
  },
  openThread(message) {
    showThread(streamOf(message), message.id);
  },
  retry(nonce) {
    app.outbox.retry(nonce);
  },
  discard(nonce) {
    app.outbox.discard(nonce);
  },
  async download(attachment) {
    await act("Downloading", async () => {
      const blob = await app.session.blob(attachment.url);
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: attachment.fileName });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  },
  imageUrl: (() => {
    const cache = new Map();
    return (attachment) => {
      if (!cache.has(attachment.id)) {
        cache.set(attachment.id, app.session.blob(attachment.url).then((blob) => URL.createObjectURL(blob)));
      }
      return cache.get(attachment.id);
    };
  })(),
};

function findMessage(id) {
  for (const stream of app.streams.values()) {
    const message = stream.messages.get(id);
    if (message) return message;
  }
  return null;
}

// ---------------------------------------------------------------- panels: thread, pins, search, members

function openPanel(kind, title, extra = {}) {
  app.panel = { kind, ...extra };
  $("#panel-title").textContent = title;
  $("#panel").hidden = false;
  $("#chat").classList.add("with-panel");
}

function closePanel() {
  app.panel = null;
  $("#panel").hidden = true;
  $("#chat").classList.remove("with-panel");
  fill($("#panel-body"));
}

async function showThread(key, rootId) {
  const stream = app.streams.get(key);
  if (!stream) return;
  openPanel("thread", "Thread", { streamKey: key, rootId });
  renderThread();
  try {
    let afterSeq = 0;
    for (;;) {
      const page = await app.rt.call("channel:history", { channelId: stream.id, parentId: rootId, afterSeq, limit: 100 });
      for (const message of page.messages) stream.apply(message);
      if (!page.hasMore || !page.messages.length) break;
      afterSeq = page.messages[page.messages.length - 1].seq;
    }
    renderThread();
  } catch (e) {
    toast(`Loading the thread: ${describeError(e)}`);
  }
}

function renderThread() {
  const panel = app.panel;
  if (panel?.kind !== "thread") return;
  const stream = app.streams.get(panel.streamKey);
  const root = stream?.messages.get(panel.rootId);
  const body = $("#panel-body");
  let list = body.querySelector(".thread-messages");
  let form = body.querySelector(".thread-composer");
  if (!list) {
    list = h("ol", { class: "messages thread-messages", "data-testid": "thread" });
    const input = h("textarea", { rows: "2", placeholder: "Reply…", "aria-label": "Reply in thread", "data-testid": "thread-composer" });
    form = h("form", { class: "composer thread-composer", onsubmit: (event) => {
      event.preventDefault();
      const current = app.streams.get(app.panel?.streamKey);
      if (current && send(current, input.value, { parentId: app.panel.rootId })) input.value = "";
    } }, h("div", { class: "composer-row" }, input, h("button", { type: "submit", class: "send", "aria-label": "Send reply" }, icon("send"))));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    fill(body, list, form);
  }
  if (!root) {
    fill(list, h("li", { class: "muted" }, "Loading…"));
    return;
  }
  const items = [renderMessage(root, { inThread: true })];
  items.push(h("li", { class: "thread-count muted" }, `${root.threadReplyCount} ${root.threadReplyCount === 1 ? "reply" : "replies"}`));
  for (const reply of stream.replies(root.id)) items.push(renderMessage(reply, { inThread: true }));
  const pending = app.outbox.forStream(stream.key).filter((i) => i.parentId === root.id && !stream.hasNonce(i.nonce));
  for (const item of pending) items.push(renderPending(item, { connected: app.rt?.connected, inThread: true }));
  fill(list, items);
}

async function showPins() {
  const stream = app.streams.get(app.openKey);
  if (!stream) return;
  openPanel("pins", "Pinned messages", { streamKey: stream.key });
  const body = $("#panel-body");
  fill(body, h("p", { class: "muted" }, "Loading…"));
  try {
    const items = stream.kind === "channel"
      ? (await app.session.fetch("GET", `/channels/${stream.id}/pins`)).items
      : stream.timeline().filter((m) => m.isPinned);
    fill(body, items.length
      ? h("ol", { class: "messages", "data-testid": "pins-list" }, items.map((m) => renderMessage(m, { compact: true })))
      : h("p", { class: "muted" }, "Nothing is pinned here yet."));
  } catch (e) {
    fill(body, h("p", { class: "error" }, describeError(e)));
  }
}

async function showSearch(query) {
  openPanel("search", `Search: ${query}`);
  const body = $("#panel-body");
  fill(body, h("p", { class: "muted" }, "Searching…"));
  try {
    const params = new URLSearchParams({ q: query, limit: "50" });
    if (app.workspaceId) params.set("workspaceId", app.workspaceId);
    const page = await app.session.fetch("GET", `/search/messages?${params}`);
    if (!page.items.length) {
      fill(body, h("p", { class: "muted" }, "No messages match."));
      return;
    }
    fill(body, h("ol", { class: "search-results", "data-testid": "search-results" }, page.items.map((m) => {
      const key = streamOf(m);
      const stream = app.streams.get(key);
      const where = stream ? (stream.kind === "dm" ? `@${userName(stream.otherUserId)}` : `#${stream.name}`) : "";
      return h("li", {}, h("button", { type: "button", class: "result", "data-testid": "search-result", onclick: () => {
        if (stream) openStream(key).then(() => highlight(m.id));
      } }, h("span", { class: "result-meta" }, `${where} · ${userName(m.userId)} · ${new Date(m.createdAt).toLocaleString()}`),
      h("span", { class: "result-text" }, m.content)));
    })));
  } catch (e) {
    fill(body, h("p", { class: "error" }, describeError(e)));
  }
}

function highlight(messageId) {
  const el = $(`#messages [data-id="${CSS.escape(messageId)}"]`);
  if (!el) return;
  el.scrollIntoView({ block: "center" });
  el.classList.add("flash");
  setTimeout(() => el.classList.remove("flash"), 2000);
}

async function showMembers() {
  const workspaceId = app.workspaceId;
  if (!workspaceId) return;
  openPanel("members", "Members");
  renderMembersPanel();
  await loadMembers(workspaceId).catch(() => {});
  renderMembersPanel();
}

function renderMembersPanel() {
  if (app.panel?.kind !== "members") return;
  const members = app.members.get(app.workspaceId) || [];
  askPresence(members.map((m) => m.userId));
  const order = { ONLINE: 0, BUSY: 1, AWAY: 2, OFFLINE: 3 };
  const sorted = [...members].sort((a, b) => order[presenceOf(a.userId)] - order[presenceOf(b.userId)] || a.username.localeCompare(b.username));
  fill($("#panel-body"), h("ul", { class: "member-list" }, sorted.map((m) => {
    const status = app.presence.get(m.userId);
    return h("li", { "data-testid": "member", "data-user-id": m.userId },
      presenceDot(m.userId),
      h("span", { class: "member-name" }, m.displayName || m.username, " ", h("span", { class: "muted" }, `@${m.username}`)),
      status?.statusText ? h("span", { class: "status-text" }, status.statusText) : null,
      h("span", { class: "role" }, m.role.toLowerCase()),
      m.userId === app.me.id ? null : h("button", { type: "button", class: "small", "data-testid": "message-member", onclick: () => openDm(m.userId) }, "Message"));
  })));
}

async function openDm(userId) {
  const data = await act("Opening the conversation", () => app.rt.call("dm:open", { userId }));
  if (!data) return;
  const stream = ensureStream("dm", data.conversation);
  closePanel();
  openStream(stream.key);
}

// ---------------------------------------------------------------- rendering

function renderAll() {
  renderSidebar();
  renderHeader();
  renderMessages();
  renderTyping();
  renderMe();
  if (app.panel?.kind === "members") renderMembersPanel();
}

function renderPresence() {
  for (const dot of document.querySelectorAll("[data-testid=presence]")) {
    const status = presenceOf(dot.dataset.userId);
    dot.dataset.status = status;
    dot.className = `dot ${status.toLowerCase()}`;
    dot.title = status.toLowerCase();
  }
  if (app.panel?.kind === "members") renderMembersPanel();
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => [...w][0].toUpperCase()).join("") || "?";
}

function renderSidebar() {
  const workspace = app.workspaces.find((w) => w.id === app.workspaceId);
  fill($("#workspace-list"), app.workspaces.map((w) => {
    const unread = channelsOf(w.id).reduce((sum, s) => sum + (s.unreadCount > 0 ? 1 : 0), 0);
    return h("li", {}, h("button", {
      type: "button", class: "workspace", "data-testid": "workspace", "data-workspace-id": w.id,
      "aria-current": w.id === app.workspaceId ? "true" : null, title: w.name,
      onclick: () => selectWorkspace(w.id),
    }, h("span", { class: "ws-icon" }, initials(w.name)), h("span", { class: "ws-name" }, w.name),
    unread && w.id !== app.workspaceId ? h("span", { class: "ws-unread", "aria-label": "unread" }) : null));
  }));
  $("#workspace-name").textContent = workspace ? workspace.name : "No workspace yet";
  $("#invite-button").hidden = !workspace?.inviteCode;
  fill($("#channel-list"), workspace ? channelsOf(workspace.id).map((s) => streamItem(s, "channel", `# ${s.name}`, s.isPrivate ? "🔒" : null)) : []);
  if (!workspace) {
    $("#channel-list").append(h("li", { class: "muted hint" }, "Create a workspace, or join one with an invite code, with the + button."));
  }
  const others = workspace ? app.otherChannels.get(workspace.id) || [] : [];
  $("#more-channels").hidden = !others.length;
  fill($("#other-channel-list"), others.map((c) => h("li", {}, h("button", {
    type: "button", class: "stream join", "data-testid": "channel-join", "data-channel-id": c.id,
    title: c.topic || "", onclick: () => joinChannel(c),
  }, h("span", { class: "stream-name" }, `# ${c.name}`), h("span", { class: "join-label" }, "Join")))));
  fill($("#dm-list"), conversations().map((s) => streamItem(s, "conversation", userName(s.otherUserId), presenceDot(s.otherUserId))));
}

function streamItem(stream, testid, label, prefix) {
  return h("li", {}, h("button", {
    type: "button", class: `stream${stream.unreadCount ? " unread" : ""}`, "data-testid": testid,
    [`data-${testid}-id`]: stream.id, "data-unread": String(stream.unreadCount), "data-mentions": String(stream.mentionCount),
    "aria-current": stream.key === app.openKey ? "true" : null,
    onclick: () => openStream(stream.key),
  }, prefix, h("span", { class: "stream-name" }, label),
  stream.mentionCount ? h("span", { class: "badge mention", "data-testid": "mention-badge", title: "mentions" }, `@${stream.mentionCount}`) : null,
  stream.unreadCount ? h("span", { class: "badge", "data-testid": "unread-badge", title: "unread" }, String(stream.unreadCount)) : null));
}

function renderHeader() {
  const stream = app.streams.get(app.openKey);
  const title = $("#stream-title");
  const topic = $("#stream-topic");
  if (!stream) {
    title.textContent = app.workspaceId ? "No channel open" : "Welcome";
    topic.textContent = "";
  } else if (stream.kind === "dm") {
    fill(title, presenceDot(stream.otherUserId), ` ${userName(stream.otherUserId)}`);
    const status = app.presence.get(stream.otherUserId);
    topic.textContent = status?.statusText || "";
  } else {
    title.textContent = `# ${stream.name}`;
    topic.textContent = stream.isArchived ? "Archived: read-only" : stream.topic || "";
  }
  $("#leave-button").hidden = stream?.kind !== "channel";
  $("#pins-button").hidden = !stream;
  $("#composer-form").hidden = !stream || stream.isArchived;
  const placeholder = stream ? (stream.kind === "dm" ? `Message ${userName(stream.otherUserId)}` : `Message #${stream.name}`) : "";
  $("#composer").placeholder = placeholder;
}

function renderConnection(state, detail) {
  const el = $("#connection");
  el.dataset.state = state;
  el.dataset.detail = detail || "";
  el.dataset.synced = state === "connected" && !detail ? "true" : "false";
  el.textContent = state === "connected" ? (detail === "syncing" ? "Catching up…" : "Connected")
    : detail === "offline" ? "Offline — reconnecting when the network returns"
      : state === "connecting" ? "Connecting…" : "Reconnecting…";
  const banner = $("#banner");
  banner.hidden = state !== "reconnecting";
  banner.textContent = detail === "offline"
    ? "You are offline. Messages you send now are kept and sent when you are back."
    : "Connection lost. Reconnecting…";
  if (state === "reconnecting") renderMessages();
}

function renderMe() {
  if (!app.me) return;
  const name = app.me.displayName || app.me.username;
  fill($("#me-avatar"), initials(name), presenceDot(app.me.id));
  $("#me-avatar").className = tint(app.me.id);
  $("#me-name").textContent = name;
  const status = app.presence.get(app.me.id);
  $("#me-status").textContent = status?.statusText || (status?.status || "ONLINE").toLowerCase();
}

function renderMessages({ toBottom = false } = {}) {
  const list = $("#messages");
  const stream = app.streams.get(app.openKey);
  renderThread();
  if (!stream) {
    fill(list);
    $("#empty").hidden = false;
    $("#empty").textContent = app.workspaceId ? "Pick or create a channel." : "";
    return;
  }
  const stick = toBottom || atBottom();
  const items = stream.timeline().map((m) => renderMessage(m, {
    editing: app.editing?.id === m.id ? app.editing : null,
  }));
  const pending = app.outbox ? app.outbox.forStream(stream.key).filter((i) => !i.parentId && !stream.hasNonce(i.nonce)) : [];
  for (const item of pending) items.push(renderPending(item, { connected: app.rt?.connected }));
  setupMessageList(list, items);
  $("#empty").hidden = Boolean(items.length) || !stream.loaded;
  $("#empty").textContent = stream.kind === "dm" ? "No messages yet. Say hello!" : `This is the start of #${stream.name}.`;
  if (!stream.hasMoreBefore && stream.loaded && items.length && !$("#history-status").textContent.startsWith("Could")) {
    $("#history-status").textContent = "This is the beginning of the conversation.";
  }
  if (stick) {
    const scroller = $("#scroller");
    scroller.scrollTop = scroller.scrollHeight;
  }
}

// ---------------------------------------------------------------- navigation and dialogs

function openNav() {
  $("#chat").classList.add("nav-open");
  $("#scrim").hidden = false;
  $("[data-testid=menu]").setAttribute("aria-expanded", "true");
}

function closeNav() {
  $("#chat").classList.remove("nav-open");
  $("#scrim").hidden = true;
  $("[data-testid=menu]").setAttribute("aria-expanded", "false");
}

async function joinChannel(channel) {
  const data = await act("Joining", () => app.rt.call("channel:join", { channelId: channel.id }));
  if (!data) return;
  const stream = ensureStream("channel", { ...data.channel, lastReadSeq: data.lastSeq, unreadCount: 0, mentionCount: 0 });
  app.otherChannels.set(channel.workspaceId, (app.otherChannels.get(channel.workspaceId) || []).filter((c) => c.id !== channel.id));
  openStream(stream.key);
}

async function leaveChannel() {
  const stream = app.streams.get(app.openKey);
  if (stream?.kind !== "channel") return;
  if (!(await openDialog.confirm(`Leave #${stream.name}?`, "Leave"))) return;
  const done = await act("Leaving", () => app.rt.call("channel:leave", { channelId: stream.id }));
  if (done) dropStream(stream.key);
}

async function createChannel() {
  if (!app.workspaceId) return toast("Create or join a workspace first.");
  const values = await openDialog.form("Create a channel", [
    { name: "name", label: "Name", required: true, placeholder: "e.g. design", testid: "channel-name" },
    { name: "topic", label: "Topic (optional)" },
    { name: "isPrivate", label: "Private: only people you add can see it", type: "checkbox" },
  ], "Create");
  if (!values) return;
  const body = { name: values.name.trim(), isPrivate: values.isPrivate, ...(values.topic.trim() ? { topic: values.topic.trim() } : {}) };
  const data = await act("Creating the channel", () => app.session.fetch("POST", `/workspaces/${app.workspaceId}/channels`, { json: body }));
  if (!data) return;
  const stream = ensureStream("channel", { ...data.channel, lastReadSeq: 0, unreadCount: 0, mentionCount: 0 });
  openStream(stream.key);
}

async function addWorkspace() {
  const choice = await openDialog.form("Workspaces", [
    { name: "name", label: "Create a workspace named", placeholder: "e.g. Acme", testid: "workspace-name" },
    { name: "inviteCode", label: "…or join one with an invite code", testid: "invite-code" },
  ], "Continue");
  if (!choice) return;
  let workspace = null;
  if (choice.inviteCode.trim()) {
    const data = await act("Joining the workspace", () => app.session.fetch("POST", "/workspaces/join", { json: { inviteCode: choice.inviteCode.trim() } }));
    workspace = data?.workspace;
  } else if (choice.name.trim()) {
    const data = await act("Creating the workspace", () => app.session.fetch("POST", "/workspaces", { json: { name: choice.name.trim() } }));
    workspace = data?.workspace;
    if (workspace) {
      // A new workspace starts with a #general channel, so there is somewhere to talk.
      const channel = await act("Creating #general", () => app.session.fetch("POST", `/workspaces/${workspace.id}/channels`, { json: { name: "general" } }));
      if (channel) ensureStream("channel", { ...channel.channel, lastReadSeq: 0, unreadCount: 0, mentionCount: 0 });
    }
  } else {
    return;
  }
  if (!workspace) return;
  await loadWorkspaces().catch(() => {});
  app.workspaceId = workspace.id;
  await selectWorkspace(workspace.id);
}

async function showInvite() {
  const workspace = app.workspaces.find((w) => w.id === app.workspaceId);
  if (!workspace?.inviteCode) return;
  await openDialog.info("Invite people", [
    "Share this invite code. People join with the + button under the workspaces:",
    h("p", {}, h("code", { class: "invite-code", "data-testid": "invite-code-value" }, workspace.inviteCode)),
  ]);
}

async function newDm() {
  const workspaceId = app.workspaceId;
  if (!workspaceId) return toast("Join a workspace first: you can message its members.");
  const members = (await loadMembers(workspaceId).catch(() => app.members.get(workspaceId) || [])).filter((m) => m.userId !== app.me.id);
  askPresence(members.map((m) => m.userId));
  const userId = await openDialog.pick("Message someone", members.map((m) => ({
    value: m.userId, label: [presenceDot(m.userId), ` ${m.displayName || m.username} `, h("span", { class: "muted" }, `@${m.username}`)],
  })));
  if (userId) openDm(userId);
}

async function editMe() {
  const current = app.presence.get(app.me.id);
  const values = await openDialog.form("Your status", [
    { name: "status", label: "Status", type: "select", value: current?.status === "OFFLINE" ? "ONLINE" : current?.status || "ONLINE",
      options: [["ONLINE", "Online"], ["AWAY", "Away"], ["BUSY", "Busy"]], testid: "status-select" },
    { name: "statusText", label: "What are you up to? (optional)", value: current?.statusText || "", testid: "status-text" },
  ], "Save", [{ label: "Sign out", testid: "sign-out", value: "sign-out" }]);
  if (values === "sign-out") {
    app.rt?.stop();
    await app.session.signOut();
    signedOut();
    return;
  }
  if (!values) return;
  const data = await act("Setting your status", () => app.rt.call("presence:set", {
    status: values.status, ...(values.statusText.trim() ? { statusText: values.statusText.trim() } : { statusText: null }),
  }));
  if (data) {
    app.presence.set(app.me.id, data.presence);
    renderMe();
    renderPresence();
  }
}

function bindChat() {
  const composer = $("#composer");
  $("#composer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submitComposer();
  });
  composer.addEventListener("keydown", (event) => {
    if (mentionState) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const n = mentionState.candidates.length;
        mentionState.index = (mentionState.index + (event.key === "ArrowDown" ? 1 : n - 1)) % n;
        renderMentionMenu();
        return;
      }
      const chosen = mentionState.candidates[mentionState.index];
      const complete = chosen.username.toLowerCase() === mentionState.prefix;
      if (event.key === "Tab" || (event.key === "Enter" && !complete)) {
        event.preventDefault();
        chooseMention(mentionState.index);
        return;
      }
      if (event.key === "Enter") hideMentionMenu(); // already written out: Enter sends
      if (event.key === "Escape") {
        hideMentionMenu();
        return;
      }
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitComposer();
    } else if (event.key === "ArrowUp" && !composer.value) {
      const stream = app.streams.get(app.openKey);
      const mine = stream?.timeline().filter((m) => m.userId === app.me.id && !m.isDeleted).pop();
      if (mine) {
        event.preventDefault();
        actions.startEdit(mine);
      }
    }
  });
  composer.addEventListener("input", () => {
    autosize(composer);
    if (app.openKey) composerTyping(app.openKey);
    updateMentionMenu();
  });
  composer.addEventListener("blur", () => setTimeout(hideMentionMenu, 150));
  $("#file-input").addEventListener("change", (event) => {
    uploadFiles([...event.target.files]);
    event.target.value = "";
  });
  $("#scroller").addEventListener("scroll", () => {
    if ($("#scroller").scrollTop < 150) loadOlder();
    if (atBottom()) {
      $("#jump").hidden = true;
      markReadSoon();
    }
  }, { passive: true });
  $("#jump").addEventListener("click", () => {
    const scroller = $("#scroller");
    scroller.scrollTop = scroller.scrollHeight;
    markReadSoon();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") markReadSoon();
  });
  window.addEventListener("focus", markReadSoon);
  $("[data-testid=menu]").addEventListener("click", () => ($("#chat").classList.contains("nav-open") ? closeNav() : openNav()));
  $("#scrim").addEventListener("click", closeNav);
  $("#panel-close").addEventListener("click", closePanel);
  $("#pins-button").addEventListener("click", showPins);
  $("#members-button").addEventListener("click", showMembers);
  $("#leave-button").addEventListener("click", leaveChannel);
  $("[data-testid=create-channel]").addEventListener("click", createChannel);
  $("[data-testid=add-workspace]").addEventListener("click", addWorkspace);
  $("[data-testid=new-dm]").addEventListener("click", newDm);
  $("#invite-button").addEventListener("click", showInvite);
  $("#me-button").addEventListener("click", editMe);
  $("#search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = $("#search-input").value.trim();
    if (query) showSearch(query);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || $("#dialog").open) return;
    if (app.editing) actions.cancelEdit();
    else if ($("#chat").classList.contains("nav-open")) closeNav();
    else if (app.panel) closePanel();
  });
  window.addEventListener("hashchange", () => {
    const route = parseHash();
    if (route.key && route.key !== app.openKey && app.streams.has(route.key)) openStream(route.key);
  });
}

boot();
