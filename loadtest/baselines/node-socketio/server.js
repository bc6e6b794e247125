// Baseline: the chat events on a minimal Node socket.io 4 server, state in memory.
//
// What Node's socket.io costs for the same traffic as our server (which persists every
// message to PostgreSQL). It accepts any auth: the `token` it is given is the user id.
// Run: node server.js --port 8091   (0: any free port; the chosen one is printed)
"use strict";

const http = require("node:http");
const { randomUUID } = require("node:crypto");
const { Server } = require("socket.io");

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const host = option("host", "127.0.0.1");
const port = Number(option("port", process.env.PORT || "8091"));

const httpServer = http.createServer((req, res) => {
  if (req.url === "/healthz" || req.url === "/readyz") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end('{"status":"ok"}');
    return;
  }
  res.writeHead(404);
  res.end();
});

// permessage-deflate off, as in our server: compressing per recipient costs a third of the speed.
const io = new Server(httpServer, {
  path: "/socket.io/",
  serveClient: false,
  perMessageDeflate: false,
  cors: { origin: "*" },
});

const seqs = new Map(); // channel or conversation id -> last seq
const conversations = new Map(); // conversation id -> [userA, userB]
const pairs = new Map(); // "a|b" (sorted) -> conversation id

const fail = (code, message) => ({ ok: false, error: { code, message, details: {} } });
const ack = (callback, value) => { if (typeof callback === "function") callback(value); };

function newMessage(streamField, streamId, socket, data) {
  const seq = (seqs.get(streamId) || 0) + 1;
  seqs.set(streamId, seq);
  const stamp = new Date().toISOString();
  return {
    id: randomUUID(), [streamField]: streamId, seq, changeSeq: seq, userId: socket.data.userId,
    content: typeof data.content === "string" ? data.content : "", type: "TEXT",
    nonce: data.nonce ?? null, createdAt: stamp, updatedAt: stamp,
  };
}

io.use((socket, next) => {
  const token = socket.handshake.auth && socket.handshake.auth.token;
  socket.data.userId = typeof token === "string" && token ? token : socket.id;
  next();
});

io.on("connection", (socket) => {
  socket.join(`user:${socket.data.userId}`);

  socket.on("channel:join", (data, callback) => {
    const channelId = data && data.channelId;
    if (typeof channelId !== "string") return ack(callback, fail("invalid", "channelId is required"));
    socket.join(`channel:${channelId}`);
    ack(callback, { ok: true, data: {} });
  });

  socket.on("message:send", (data, callback) => {
    const channelId = data && data.channelId;
    if (typeof channelId !== "string") return ack(callback, fail("invalid", "channelId is required"));
    if (!socket.rooms.has(`channel:${channelId}`)) return ack(callback, fail("forbidden", "join the channel first"));
    const message = newMessage("channelId", channelId, socket, data);
    io.to(`channel:${channelId}`).emit("message:new", { message });
    ack(callback, { ok: true, data: { message } });
  });

  socket.on("dm:open", (data, callback) => {
    const other = data && data.userId;
    if (typeof other !== "string") return ack(callback, fail("invalid", "userId is required"));
    const pair = [socket.data.userId, other].sort();
    const key = pair.join("|");
    if (!pairs.has(key)) {
      const id = randomUUID();
      pairs.set(key, id);
      conversations.set(id, pair);
    }
    const id = pairs.get(key);
    ack(callback, { ok: true, data: { conversation: { id, otherUserId: other, lastSeq: seqs.get(id) || 0 } } });
  });

  socket.on("dm:send", (data, callback) => {
    const id = data && data.conversationId;
    const pair = conversations.get(id);
    if (!pair || !pair.includes(socket.data.userId)) return ack(callback, fail("not_found", "no such conversation"));
    const message = newMessage("conversationId", id, socket, data);
    io.to(pair.map((u) => `user:${u}`)).emit("dm:new", { message });
    ack(callback, { ok: true, data: { message } });
  });
});

httpServer.listen(port, host, () => {
  console.log(`listening on http://${host}:${httpServer.address().port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
