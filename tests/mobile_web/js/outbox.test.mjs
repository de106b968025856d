// The outbox: order, numbering, answers, backoff, and the push loop against a fake server
// that follows shared/sync_log.py's rules (ids continue without a gap, replays are duplicates).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  backoffDelay,
  classifyFailure,
  emptyState,
  enqueue,
  MAX_BATCH,
  nextBatch,
  Outbox,
  renumber,
  SCHEMA_VERSION,
  settle,
  unseen,
  wire,
} from "../../../mobile_web/js/outbox.js";
import { MemoryStorage } from "../../../mobile_web/js/store.js";

const append = (n) => ({ name: "log_stage_activity", args: { id: `id-${n}`, stage_id: "s", occurred_on: "2026-11-18", note: "" }, uid: `u${n}` });
const edit = (parent, field, base, n) => ({
  name: "edit_parent",
  args: { parent_id: parent, fields: { [field]: `v${n}` } },
  base_version: base,
  uid: `e${n}`,
});

function withEntries(...mutations) {
  let state = emptyState("client-a");
  for (const m of mutations) [state] = enqueue(state, m, 1000);
  return state;
}

class HttpError extends Error {
  constructor(status, field, message = "refused", extra = {}) {
    super(message);
    Object.assign(this, { status, field, ...extra });
  }
}

/** A server with the push rules of shared/sync_log.py. */
class FakeServer {
  constructor() {
    this.last = new Map(); // client id -> last mutation id
    this.applied = []; // [client, mutation_id, name, args]
    this.version = 100;
    this.failNext = [];
    this.reject = new Set(); // args.id values answered "rejected"
    this.calls = 0;
  }

  push = async (body) => {
    this.calls += 1;
    assert.equal(body.schema_version, SCHEMA_VERSION);
    if (this.failNext.length) throw this.failNext.shift();
    const last = this.last.get(body.client_id) || 0;
    let expected = last + 1;
    body.mutations.forEach((m, i) => {
      if (m.mutation_id <= last) return;
      if (m.mutation_id !== expected) throw new HttpError(422, `mutations[${i}].mutation_id`, `应为 ${expected}`);
      expected += 1;
    });
    const results = body.mutations.map((m) => {
      const seen = this.last.get(body.client_id) || 0;
      if (m.mutation_id <= seen) return { mutation_id: m.mutation_id, status: "duplicate", conflicts: [] };
      this.last.set(body.client_id, m.mutation_id);
      if (this.reject.has(m.args.id)) {
        return { mutation_id: m.mutation_id, status: "rejected", error: { field: "stage_id", message: "环节已停用" }, conflicts: [] };
      }
      this.version += 1;
      this.applied.push([body.client_id, m.mutation_id, m.name, m.args]);
      return { mutation_id: m.mutation_id, status: "applied", conflicts: [] };
    });
    return { results, version: this.version };
  };
}

function makeOutbox(server, { storage = new MemoryStorage(), key = "outbox:me" } = {}) {
  const timers = [];
  let clients = 0;
  let uids = 0;
  const events = [];
  const outbox = new Outbox({
    storage,
    key,
    push: server.push,
    newClientId: () => `client-${++clients}`,
    newUid: () => `uid-${++uids}`,
    now: () => 5000,
    random: () => 1,
    setTimer: (fn, ms) => {
      timers.push({ fn, ms });
      return timers.length;
    },
    clearTimer: () => {},
    onEvent: (e) => events.push(e),
  });
  return { outbox, timers, events, storage };
}

// ------------------------------------------------------------------ pure parts

test("entries are numbered 1, 2, 3 in the order they were made", () => {
  const state = withEntries(append(1), append(2), append(3));
  assert.deepEqual(state.entries.map((e) => e.mutation_id), [1, 2, 3]);
  assert.equal(state.nextId, 4);
  assert.deepEqual(nextBatch(state).map((e) => e.args.id), ["id-1", "id-2", "id-3"]);
});

test("a batch holds at most the server's cap, oldest first, and always one entry", () => {
  const many = withEntries(...Array.from({ length: MAX_BATCH + 20 }, (_, i) => append(i + 1)));
  const batch = nextBatch(many);
  assert.equal(batch.length, MAX_BATCH);
  assert.equal(batch[0].mutation_id, 1);
  assert.equal(batch.at(-1).mutation_id, MAX_BATCH);
  assert.equal(nextBatch(many, 100, 10).length, 1); // one entry even when it alone is too big
  const size = new TextEncoder().encode(JSON.stringify(wire(many.entries[0]))).length;
  assert.equal(nextBatch(many, 100, size * 3).length, 3);
  assert.equal(nextBatch(many, 100, size * 3 - 1).length, 2);
});

test("answers take entries out; rejections and conflicts become problems", () => {
  const state = withEntries(append(1), append(2), edit("p1", "phone", 7, 3), append(4));
  const batch = nextBatch(state);
  const after = settle(state, batch, {
    version: 120,
    results: [
      { mutation_id: 1, status: "applied", conflicts: [] },
      { mutation_id: 2, status: "rejected", error: { field: "stage_id", message: "环节已停用" }, conflicts: [] },
      { mutation_id: 3, status: "conflict", conflicts: [{ field: "phone", overwritten_value: "1", applied_value: "v3" }] },
    ],
  }, 9000);
  assert.deepEqual(after.entries.map((e) => e.mutation_id), [4]); // unanswered stays
  assert.deepEqual(after.settled.map((s) => [s.mutation_id, s.status, s.version]), [[1, "applied", 120], [3, "conflict", 120]]);
  assert.deepEqual(after.problems.map((p) => [p.mutation_id, p.kind]), [[2, "rejected"], [3, "conflict"]]);
  assert.equal(after.problems[0].error.message, "环节已停用");
  assert.equal(after.problems[1].conflicts[0].field, "phone");
});

test("a pending edit of a row the phone just wrote is rebased on the answer's version", () => {
  let state = withEntries(edit("p1", "phone", 7, 1));
  const first = nextBatch(state);
  [state] = enqueue(state, edit("p1", "wechat", 7, 2), 1000);
  [state] = enqueue(state, edit("p2", "wechat", 7, 3), 1000);
  const after = settle(state, first, { version: 130, results: [{ mutation_id: 1, status: "applied", conflicts: [] }] }, 2000);
  assert.deepEqual(after.entries.map((e) => [e.args.parent_id, e.base_version]), [["p1", 130], ["p2", 7]]);
});

test("renumbering starts a new client at 1 and keeps the order", () => {
  let state = withEntries(append(1), append(2), append(3));
  state = { ...state, entries: state.entries.slice(1) }; // 2 and 3 wait
  const fresh = renumber(state, "client-b");
  assert.equal(fresh.clientId, "client-b");
  assert.deepEqual(fresh.entries.map((e) => [e.mutation_id, e.args.id]), [[1, "id-2"], [2, "id-3"]]);
  assert.equal(fresh.nextId, 3);
});

test("screens see pending entries and answered ones newer than their data", () => {
  const state = {
    ...withEntries(append(3)),
    settled: [
      { ...append(1), acked_at: 100 },
      { ...append(2), acked_at: 300 },
    ],
  };
  assert.deepEqual(unseen(state, 200).map((i) => [i.args.id, i.pending]), [["id-2", false], ["id-3", true]]);
  assert.deepEqual(unseen(state, 400).map((i) => i.args.id), ["id-3"]);
});

test("backoff doubles from about a second up to a minute, with jitter", () => {
  assert.equal(backoffDelay(1, () => 0), 500);
  assert.equal(backoffDelay(1, () => 1), 1000);
  assert.equal(backoffDelay(2, () => 1), 2000);
  assert.equal(backoffDelay(5, () => 1), 16000);
  assert.equal(backoffDelay(30, () => 1), 60000);
  assert.equal(backoffDelay(30, () => 0), 30000);
  for (let a = 1; a < 12; a++) assert.ok(backoffDelay(a + 1, () => 1) >= backoffDelay(a, () => 1));
});

test("failures are sorted into retry, re-login, reload, a new client and a bad entry", () => {
  assert.equal(classifyFailure(new Error("offline")).action, "retry");
  assert.equal(classifyFailure({ status: 503 }).action, "retry");
  assert.equal(classifyFailure({ status: 500 }).action, "retry");
  assert.equal(classifyFailure({ status: 401 }).action, "unauthorized");
  assert.equal(classifyFailure({ status: 409, reload: true }).action, "stale");
  assert.equal(classifyFailure({ status: 403, field: "client_id" }).action, "new_client");
  assert.equal(classifyFailure({ status: 422, field: "mutations[0].mutation_id" }).action, "new_client");
  assert.deepEqual(classifyFailure({ status: 422, field: "mutations[2].name" }), { action: "reject_entry", index: 2 });
  assert.equal(classifyFailure({ status: 413 }).action, "smaller");
  assert.equal(classifyFailure({ status: 400, field: "body" }).action, "blocked");
});

// ------------------------------------------------------------------ the push loop

test("pushes every entry once, in order, and empties the outbox", async () => {
  const server = new FakeServer();
  const { outbox } = makeOutbox(server);
  await outbox.open();
  outbox.stop(); // queue without pushing, as when offline
  for (let n = 1; n <= 3; n++) await outbox.add(append(n));
  assert.equal(outbox.pendingCount, 3);
  outbox.stopped = false;
  await outbox.kick();
  assert.deepEqual(server.applied.map(([, id, , args]) => [id, args.id]), [[1, "id-1"], [2, "id-2"], [3, "id-3"]]);
  assert.equal(outbox.pendingCount, 0);
  assert.equal(server.calls, 1);
});

test("offline: entries stay, the retry waits longer each time, and coming online pushes at once", async () => {
  const server = new FakeServer();
  const { outbox, timers } = makeOutbox(server);
  await outbox.open();
  server.failNext.push(new TypeError("Failed to fetch"), new TypeError("Failed to fetch"));
  await outbox.add(append(1));
  await outbox.running;
  assert.equal(outbox.pendingCount, 1);
  assert.equal(outbox.status.state, "offline");
  timers.at(-1).fn();
  await outbox.running;
  assert.deepEqual(timers.map((t) => t.ms), [1000, 2000]);
  await outbox.kick(); // the "online" event
  assert.equal(outbox.pendingCount, 0);
  assert.equal(server.applied.length, 1);
});

test("a replay after a lost answer is a duplicate, not a second write", async () => {
  const server = new FakeServer();
  const { outbox } = makeOutbox(server);
  await outbox.open();
  const realPush = server.push;
  let lose = true;
  outbox.push = async (body) => {
    const answer = await realPush(body);
    if (lose) {
      lose = false;
      throw new TypeError("connection reset"); // applied, but the phone never heard
    }
    return answer;
  };
  await outbox.add(append(1));
  await outbox.running;
  assert.equal(outbox.pendingCount, 1);
  await outbox.kick();
  assert.equal(outbox.pendingCount, 0);
  assert.equal(server.applied.length, 1);
  assert.equal(outbox.state.settled[0].status, "duplicate");
});

test("a gap in the ids (the server lost track) starts a new client and loses nothing", async () => {
  const server = new FakeServer();
  const { outbox, storage } = makeOutbox(server);
  await outbox.open();
  await outbox.add(append(1));
  await outbox.running;
  // The PC's database was restored from a backup taken before mutation 1 arrived.
  server.last.clear();
  server.applied = [];
  outbox.stop();
  await outbox.add(append(2));
  await outbox.add(append(3));
  outbox.stopped = false;
  await outbox.kick();
  assert.equal(outbox.pendingCount, 0);
  assert.deepEqual(server.applied.map(([client, id, , args]) => [client, id, args.id]), [
    ["client-2", 1, "id-2"],
    ["client-2", 2, "id-3"],
  ]);
  assert.equal((await storage.get("outbox:me")).clientId, "client-2");
});

test("an entry the server cannot even parse becomes a problem; the rest still go", async () => {
  const server = new FakeServer();
  const { outbox } = makeOutbox(server);
  await outbox.open();
  outbox.stop();
  await outbox.add(append(1));
  await outbox.add(append(2));
  outbox.stopped = false;
  server.failNext.push(new HttpError(422, "mutations[0].name", "文本太长"));
  await outbox.kick();
  assert.deepEqual(server.applied.map(([, , , args]) => args.id), ["id-2"]);
  assert.deepEqual(outbox.problems.map((p) => [p.kind, p.args.id, p.error.message]), [["rejected", "id-1", "文本太长"]]);
});

test("a rejected mutation is kept as a problem until dismissed", async () => {
  const server = new FakeServer();
  server.reject.add("id-1");
  const { outbox } = makeOutbox(server);
  await outbox.open();
  await outbox.add({ ...append(1), label: "邀约 +1" });
  await outbox.running;
  assert.equal(outbox.pendingCount, 0);
  assert.equal(outbox.problems.length, 1);
  assert.equal(outbox.problems[0].label, "邀约 +1");
  await outbox.dismiss(outbox.problems[0].uid);
  assert.equal(outbox.problems.length, 0);
});

test("a stale client is told to reload and keeps its entries", async () => {
  const server = new FakeServer();
  const { outbox, events, timers } = makeOutbox(server);
  await outbox.open();
  server.failNext.push(new HttpError(409, null, "手机页面版本已过期", { reload: true }));
  await outbox.add(append(1));
  await outbox.running;
  assert.equal(outbox.pendingCount, 1);
  assert.ok(events.some((e) => e.type === "stale"));
  assert.equal(timers.length, 0);
});

test("an expired login stops pushing and keeps the entries", async () => {
  const server = new FakeServer();
  const { outbox, events } = makeOutbox(server);
  await outbox.open();
  server.failNext.push(new HttpError(401, null, "登录已失效"));
  await outbox.add(append(1));
  await outbox.running;
  assert.equal(outbox.pendingCount, 1);
  assert.ok(events.some((e) => e.type === "unauthorized"));
});

test("a body too large for the server is split into smaller pushes", async () => {
  const server = new FakeServer();
  const { outbox } = makeOutbox(server);
  await outbox.open();
  outbox.stop();
  for (let n = 1; n <= 4; n++) await outbox.add(append(n));
  outbox.stopped = false;
  server.failNext.push(new HttpError(413, null, "请求内容太大"));
  await outbox.kick();
  assert.equal(outbox.pendingCount, 0);
  assert.deepEqual(server.applied.map(([, id]) => id), [1, 2, 3, 4]);
});

test("entries added while a push is in flight go in the next round", async () => {
  const server = new FakeServer();
  const { outbox } = makeOutbox(server);
  await outbox.open();
  let release;
  const gate = new Promise((resolve) => {
    release = resolve;
  });
  const realPush = server.push;
  outbox.push = async (body) => {
    await gate;
    return realPush(body);
  };
  await outbox.add(append(1));
  const during = outbox.add(append(2));
  release();
  await during;
  await outbox.whenIdle();
  await outbox.whenIdle();
  assert.deepEqual(server.applied.map(([, id, , args]) => [id, args.id]), [[1, "id-1"], [2, "id-2"]]);
  assert.equal(outbox.pendingCount, 0);
});

test("two tabs sharing the same storage never overwrite each other's entries", async () => {
  const server = new FakeServer();
  const storage = new MemoryStorage();
  const a = makeOutbox(server, { storage }).outbox;
  const b = makeOutbox(server, { storage }).outbox;
  await a.open();
  await b.open();
  a.stop();
  b.stop();
  await a.add(append(1));
  await b.add(append(2));
  await a.add(append(3));
  const state = await storage.get("outbox:me");
  assert.deepEqual(state.entries.map((e) => [e.mutation_id, e.args.id]), [[1, "id-1"], [2, "id-2"], [3, "id-3"]]);
});

test("the outbox survives a reload: a new instance finds the entries and pushes them", async () => {
  const server = new FakeServer();
  const storage = new MemoryStorage();
  const first = makeOutbox(server, { storage }).outbox;
  await first.open();
  first.stop();
  await first.add(append(1));
  await first.add(append(2));
  const second = makeOutbox(server, { storage }).outbox;
  await second.open();
  assert.equal(second.pendingCount, 2);
  await second.kick();
  assert.deepEqual(server.applied.map(([, id]) => id), [1, 2]);
});
