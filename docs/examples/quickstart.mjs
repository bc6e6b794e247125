// Two users chatting, from nothing: the quickstart of docs/quickstart.md in JavaScript.
//
//   npm install socket.io-client@4          (Node 18 or newer: fetch is built in)
//   node quickstart.mjs http://localhost:8080
//
// Signs up ada and bob (or signs them in, on a second run), ada creates a workspace and a channel,
// bob joins both, they exchange messages over Socket.IO, then bob drops off, misses a message and
// catches up with `sync`.
import { randomUUID } from "node:crypto";
import { io } from "socket.io-client";

const URL = process.argv[2] ?? "http://localhost:8080";
const API = `${URL}/api/v1`;

async function request(method, path, token, body) {
  const response = await fetch(API + path, {
    method,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json();
  return { status: response.status, answer };
}

// Register (a 409 means the account is already there) and sign in; returns the tokens.
async function signUpAndIn(username) {
  const password = "correct horse battery";
  const created = await request("POST", "/auth/register", null, { email: `${username}@example.com`, username, password });
  if (![201, 409].includes(created.status)) throw new Error(JSON.stringify(created.answer));
  const tokens = await request("POST", "/auth/login", null, { login: username, password });
  if (tokens.status !== 200) throw new Error(JSON.stringify(tokens.answer));
  return tokens.answer; // {accessToken, refreshToken, expiresAt, user, ...}
}

async function call(method, path, token, body) {
  const { status, answer } = await request(method, path, token, body);
  if (status >= 300) throw new Error(`${method} ${path}: ${status} ${JSON.stringify(answer)}`);
  return answer;
}

// A socket signed in with the access token; resolves once `ready` has arrived.
function connect(token, name) {
  const socket = io(URL, { auth: { token }, reconnection: false });
  return new Promise((resolve, reject) => {
    socket.on("connect_error", (err) => reject(new Error(`${name}: ${err.message} ${JSON.stringify(err.data)}`)));
    socket.once("ready", (snapshot) => {
      console.log(`${name}: connected, ready lists ${snapshot.channels.length} channel(s)`);
      resolve(socket);
    });
  });
}

// Emit with an acknowledgement: {ok: true, data} or {ok: false, error: {code, message}}.
async function emit(socket, event, payload) {
  const ack = await socket.timeout(10_000).emitWithAck(event, payload);
  if (!ack.ok) throw new Error(`${event} refused: ${JSON.stringify(ack.error)}`);
  return ack.data;
}

const next = (socket, event) => new Promise((resolve) => socket.once(event, resolve));

// 1. Two accounts. 2. ada's workspace; its invite code lets bob in. 3. A channel.
const ada = await signUpAndIn("ada");
const bob = await signUpAndIn("bob");
const { workspace } = await call("POST", "/workspaces", ada.accessToken, { name: "Analytical" });
await call("POST", "/workspaces/join", bob.accessToken, { inviteCode: workspace.inviteCode });
const { channel } = await call("POST", `/workspaces/${workspace.id}/channels`, ada.accessToken,
                               { name: `general-${randomUUID().slice(0, 6)}` });
console.log(`ada: created #${channel.name} in ${workspace.name}`);

// 4. Both connect; bob joins the public channel over the socket.
const adaSocket = await connect(ada.accessToken, "ada");
let bobSocket = await connect(bob.accessToken, "bob");
await emit(bobSocket, "channel:join", { channelId: channel.id });

// 5. ada sends; bob receives `message:new`. Keep the last changeSeq per stream for `sync`.
let arriving = next(bobSocket, "message:new");
const sent = await emit(adaSocket, "message:send", { channelId: channel.id, content: "Hello Bob!", nonce: randomUUID() });
const { message } = await arriving;
console.log(`bob: received "${message.content}" (seq ${message.seq}, changeSeq ${message.changeSeq})`);
if (message.id !== sent.message.id) throw new Error("not the message ada sent");

// 6. bob answers; ada gets it the same way (and bob gets his own message back too).
const toAda = next(adaSocket, "message:new");
arriving = next(bobSocket, "message:new");
await emit(bobSocket, "message:send", { channelId: channel.id, content: "Hi Ada!", nonce: randomUUID() });
console.log(`ada: received "${(await toAda).message.content}"`);
const lastChangeSeq = (await arriving).message.changeSeq;

// 7. bob drops off; ada writes meanwhile; bob reconnects and catches up with `sync`.
bobSocket.disconnect();
await emit(adaSocket, "message:send", { channelId: channel.id, content: "Did you see this?", nonce: randomUUID() });
bobSocket = await connect(bob.accessToken, "bob");
const caughtUp = await emit(bobSocket, "sync", { channels: { [channel.id]: lastChangeSeq } });
const missed = caughtUp.channels[channel.id].messages;
console.log(`bob: sync brought ${missed.length} missed message(s): ${JSON.stringify(missed.map((m) => m.content))}`);
if (missed.length !== 1 || missed[0].content !== "Did you see this?") throw new Error("sync missed something");

adaSocket.disconnect();
bobSocket.disconnect();
console.log("done: two users chatted");
