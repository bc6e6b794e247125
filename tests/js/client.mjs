// The official Socket.IO JavaScript client, used the way a browser app uses it, against the chat server.
//
//   CHAT_URL=http://127.0.0.1:PORT CHAT_TOKEN=... [CHAT_OTHER_TOKEN=... CHAT_CHANNEL_ID=...] node client.mjs SCENARIO
//
// It prints one JSON object per line for each thing it observed ({"step": ..., ...}) and exits 0;
// tests/realtime/test_js_client.py asserts on those lines. On a failure or a timeout it prints a
// {"step": "failed"} line and exits 1, so a hung server never hangs the test run.
import { randomUUID } from "node:crypto";
import { io } from "socket.io-client";

const URL = process.env.CHAT_URL;
const TOKEN = process.env.CHAT_TOKEN;
const OTHER_TOKEN = process.env.CHAT_OTHER_TOKEN;
const CHANNEL_ID = process.env.CHAT_CHANNEL_ID;
const WAIT_MS = 5000; // for any one thing to happen
const SCENARIO_MS = 20000; // for the whole scenario

// What browsers do by default (long-polling first, then upgrade), and websocket only.
const TRANSPORT_MODES = {
  default: {},
  "websocket-only": { transports: ["websocket"] },
};

function report(step, fields = {}) {
  process.stdout.write(JSON.stringify({ step, ...fields }) + "\n");
}

function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function once(emitter, event) {
  return within(WAIT_MS, event, new Promise((resolve) => emitter.once(event, resolve)));
}

// A connected app: the socket, and every event it received, in order, to wait on.
class App {
  constructor(token, options = {}) {
    this.received = []; // [event, data]
    this.listeners = new Set();
    // forceNew: each App gets its own connection, as two browser tabs would.
    this.socket = io(URL, {
      forceNew: true,
      reconnection: false,
      ...(token === undefined ? {} : { auth: { token } }),
      ...options,
    });
    this.socket.onAny((event, data) => {
      this.received.push([event, data]);
      for (const listener of this.listeners) listener();
    });
  }

  // The first `event` after the first `after` received events whose data passes `where`.
  waitFor(event, { where = () => true, after = 0 } = {}) {
    const find = () => this.received.slice(after).find(([name, data]) => name === event && where(data));
    return within(WAIT_MS, event, new Promise((resolve) => {
      const check = () => {
        const found = find();
        if (found) {
          this.listeners.delete(check);
          resolve(found[1]);
        }
      };
      this.listeners.add(check);
      check();
    }));
  }

  all(event) {
    return this.received.filter(([name]) => name === event).map(([, data]) => data);
  }

  call(event, payload) {
    return this.socket.timeout(WAIT_MS).emitWithAck(event, payload);
  }

  close() {
    this.socket.close();
  }
}

async function sendMessage(app, content) {
  const ack = await app.call("message:send", { channelId: CHANNEL_ID, content, nonce: randomUUID() });
  if (!ack.ok) throw new Error(`message:send failed: ${JSON.stringify(ack)}`);
  return ack.data.message;
}

const SCENARIOS = {
  // Reconnecting apps (the default of socket.io-client), one per transport mode, on a server that
  // the test stops with SIGTERM once both report "ready": each must reconnect by itself (through
  // the test's load balancer, to another process), get `ready` again and send.
  async shutdown() {
    const apps = Object.entries(TRANSPORT_MODES).map(([mode, options]) => [mode, new App(TOKEN, {
      ...options, reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500,
    })]);
    for (const [mode, app] of apps) {
      await app.waitFor("ready");
      if (mode === "default") await within(WAIT_MS, "the upgrade", new Promise((resolve) => {
        if (app.socket.io.engine.transport.name === "websocket") resolve();
        app.socket.io.engine.once("upgrade", resolve);
      }));
    }
    const dropped = apps.map(([, app]) => within(15000, "disconnect", new Promise((resolve) => {
      app.socket.once("disconnect", (reason) => resolve({ reason, seen: app.received.length }));
    })));
    report("ready");
    const drops = await Promise.all(dropped);
    for (const [i, [mode, app]] of apps.entries()) {
      const { reason, seen } = drops[i];
      report("disconnected", { mode, reason });
      await within(15000, "ready again", new Promise((resolve) => {
        const check = () => {
          if (app.received.slice(seen).some(([name]) => name === "ready")) {
            app.listeners.delete(check);
            resolve();
          }
        };
        app.listeners.add(check);
        check();
      }));
      const message = await sendMessage(app, `back on ${mode}`);
      report("resumed", { mode, message });
      app.close();
    }
  },

  // A missing or wrong token refuses the connection with connect_error, data.code "unauthorized".
  async refused() {
    const attempts = { "no token": undefined, "bad token": "not-a-real-token" };
    for (const [mode, options] of Object.entries(TRANSPORT_MODES)) {
      for (const [attempt, token] of Object.entries(attempts)) {
        const app = new App(token, options);
        const error = await once(app.socket, "connect_error");
        report("connect_error", { mode, attempt, message: error.message, data: error.data ?? null });
        app.close();
      }
    }
  },

  // A good token: `ready`, over each transport mode, and the connection works after an upgrade.
  async ready() {
    for (const [mode, options] of Object.entries(TRANSPORT_MODES)) {
      const app = new App(TOKEN, options);
      const engine = app.socket.io.engine;
      const opened = once(engine, "open").then(() => engine.transport.name);
      const upgraded = mode === "default" ? once(engine, "upgrade").then((transport) => transport.name) : null;
      const ready = await app.waitFor("ready");
      const openedWith = await opened;
      const upgradedTo = upgraded ? await upgraded : null;
      // A round trip over whatever transport the connection ended up on.
      const roundTrip = await app.call("sync", {});
      report("ready", { mode, openedWith, upgradedTo, transportNow: engine.transport.name, ready, roundTrip });
      app.close();
    }
  },

  // Two apps in one channel: a send with an ack, its broadcast, and errors for bad input.
  async chat() {
    const alice = new App(TOKEN, TRANSPORT_MODES.default);
    const bob = new App(OTHER_TOKEN, TRANSPORT_MODES["websocket-only"]);
    await Promise.all([alice.waitFor("ready"), bob.waitFor("ready")]);

    const nonce = randomUUID();
    const ack = await alice.call("message:send", { channelId: CHANNEL_ID, content: "hello from node", nonce });
    report("send_ack", { ack });
    const heard = await bob.waitFor("message:new", { where: (data) => data.message.nonce === nonce });
    report("message_new", { data: heard });

    const badAck = await alice.call("message:send", { channelId: "not-a-uuid", content: "x" });
    report("bad_payload_ack", { ack: badAck });

    // No callback: the error comes back as an `error` event instead.
    alice.socket.emit("message:send", { channelId: CHANNEL_ID, content: "no nonce" });
    report("error_event", { data: await alice.waitFor("error") });
    alice.close();
    bob.close();
  },

  // The network drops, the client reconnects by itself, and `sync` returns what it missed.
  async resync() {
    const alice = new App(TOKEN, TRANSPORT_MODES.default);
    // A fixed delay before reconnecting: long enough for alice to post while bob is away.
    const bob = new App(OTHER_TOKEN, {
      ...TRANSPORT_MODES["websocket-only"],
      reconnection: true,
      reconnectionDelay: 1000,
      randomizationFactor: 0,
    });
    await Promise.all([alice.waitFor("ready"), bob.waitFor("ready")]);

    const before = await sendMessage(alice, "before the drop");
    await bob.waitFor("message:new", { where: (data) => data.message.id === before.id });
    const held = before.changeSeq;

    const dropped = once(bob.socket, "disconnect");
    // As if the network went away: the WebSocket closes under the client, which did not ask for it.
    bob.socket.io.engine.transport.ws.close();
    const reason = await dropped;
    const seenBeforeReconnect = bob.received.length;
    const missed = [await sendMessage(alice, "missed one"), await sendMessage(alice, "missed two")];

    const readyAgain = await bob.waitFor("ready", { after: seenBeforeReconnect });
    const sync = await bob.call("sync", { channels: { [CHANNEL_ID]: held } });
    report("resync", {
      reason,
      held,
      missed,
      heardLive: bob.all("message:new").map((data) => data.message.id),
      readyChannel: readyAgain.channels.find((channel) => channel.id === CHANNEL_ID),
      sync,
    });
    alice.close();
    bob.close();
  },
};

const scenario = SCENARIOS[process.argv[2]];
if (!scenario) {
  report("failed", { error: `unknown scenario ${process.argv[2]}; one of ${Object.keys(SCENARIOS)}` });
  process.exit(1);
}
within(SCENARIO_MS, "the scenario", scenario()).then(
  () => process.exit(0),
  (error) => {
    report("failed", { error: String(error?.stack ?? error) });
    process.exit(1);
  },
);
