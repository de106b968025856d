// The outbox: every write the phone makes, kept until the server has answered for it.
//
// DESIGN.md "Sync": entries {client_id, mutation_id 1,2,3…, name, args, base_version} are
// pushed in order; the server applies each once (a replay is answered "duplicate"), and
// answers every entry applied, duplicate, conflict or rejected. Nothing is dropped silently:
// rejected entries and conflicts move to `problems`, which the person reads and dismisses.
//
// The whole state of one person's outbox is a single record, changed only through
// storage.update(key, fn) — one read-modify-write transaction — so two tabs of the same phone
// never overwrite each other's entries. Everything here but the Outbox class is pure.

export const SCHEMA_VERSION = 1; // the push/pull wire version this client speaks
export const MAX_BATCH = 100; // the server's cap on mutations per push
export const MAX_BATCH_BYTES = 200000; // under the server's 256 KiB body cap
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 60000;
const KEEP_SETTLED_MS = 24 * 3600000;

/** A fresh outbox for a new client id. */
export function emptyState(clientId) {
  return { clientId, nextId: 1, entries: [], settled: [], problems: [] };
}

/** Exponential backoff with jitter: attempt 1 waits 0.5–1 s, then doubling up to 30–60 s. */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The entry as the server wants it (local bookkeeping stays on the phone). */
export function wire(entry) {
  return {
    mutation_id: entry.mutation_id,
    name: entry.name,
    args: entry.args,
    base_version: entry.base_version ?? null,
  };
}

/** Append a mutation with the next id; returns [newState, entry]. */
export function enqueue(state, { name, args, base_version = null, label = "", uid }, now) {
  const entry = {
    uid,
    mutation_id: state.nextId,
    name,
    args,
    base_version,
    label,
    created_at: now,
  };
  return [{ ...state, nextId: state.nextId + 1, entries: [...state.entries, entry] }, entry];
}

/** The oldest pending entries that fit in one push (at least one, whatever its size). */
export function nextBatch(state, maxCount = MAX_BATCH, maxBytes = MAX_BATCH_BYTES) {
  const batch = [];
  let bytes = 0;
  const sorted = [...state.entries].sort((a, b) => a.mutation_id - b.mutation_id);
  for (const entry of sorted) {
    const size = new TextEncoder().encode(JSON.stringify(wire(entry))).length;
    if (batch.length && (batch.length >= maxCount || bytes + size > maxBytes)) break;
    batch.push(entry);
    bytes += size;
  }
  return batch;
}

/** Which row an edit changes ("parents:<id>"), or null for an append. */
export function editKey(name, args) {
  if (name === "edit_parent") return `parents:${args.parent_id}`;
  if (name === "record_trial_outcome") return `trial_lessons:${args.trial_id}`;
  if (name === "set_follow_up") return `communication_records:${args.communication_id}`;
  return null;
}

function problemOf(entry, kind, result, now) {
  return {
    uid: entry.uid,
    kind,
    name: entry.name,
    label: entry.label,
    args: entry.args,
    mutation_id: entry.mutation_id,
    error: result.error || null,
    conflicts: result.conflicts || [],
    at: now,
  };
}

/**
 * Take the server's answer for a pushed batch: answered entries leave the outbox; applied
 * and duplicate ones are kept a while as `settled` (screens fetched before the answer still
 * show them), conflicts and rejections become problems. Pending edits of a row this batch
 * wrote are rebased on the answer's version, so they do not collide with the phone's own
 * earlier write.
 */
export function settle(state, batch, response, now) {
  const answers = new Map((response.results || []).map((r) => [r.mutation_id, r]));
  const done = new Set();
  const settled = [...state.settled];
  const problems = [...state.problems];
  const written = new Set();
  for (const entry of batch) {
    const result = answers.get(entry.mutation_id);
    if (!result) continue; // unanswered: stays pending and goes again
    done.add(entry.mutation_id);
    if (result.status === "rejected") {
      problems.push(problemOf(entry, "rejected", result, now));
      continue;
    }
    settled.push({ ...entry, status: result.status, acked_at: now, version: response.version });
    if (result.status === "conflict") problems.push(problemOf(entry, "conflict", result, now));
    const key = editKey(entry.name, entry.args);
    if (key) written.add(key);
  }
  const entries = state.entries
    .filter((e) => !done.has(e.mutation_id))
    .map((e) => {
      const key = editKey(e.name, e.args);
      if (!key || !written.has(key)) return e;
      return { ...e, base_version: Math.max(e.base_version ?? 0, response.version) };
    });
  return {
    ...state,
    entries,
    settled: settled.filter((s) => now - s.acked_at < KEEP_SETTLED_MS).slice(-200),
    problems,
  };
}

/**
 * Start a new client id and number the pending entries 1, 2, 3… under it. Only safe when the
 * server applied none of them: after it refused a whole push before applying anything (a gap
 * in the ids, a client id that is not ours, an entry it cannot even parse).
 */
export function renumber(state, clientId) {
  const entries = [...state.entries]
    .sort((a, b) => a.mutation_id - b.mutation_id)
    .map((e, i) => ({ ...e, mutation_id: i + 1 }));
  return { ...state, clientId, nextId: entries.length + 1, entries };
}

/** Move one pending entry to the problems (the server can never take it). */
export function rejectLocally(state, mutationId, error, now) {
  const entry = state.entries.find((e) => e.mutation_id === mutationId);
  if (!entry) return state;
  return {
    ...state,
    entries: state.entries.filter((e) => e !== entry),
    problems: [...state.problems, problemOf(entry, "rejected", { error }, now)],
  };
}

/** Entries whose effect a screen fetched at ``fetchedAt`` cannot contain yet. */
export function unseen(state, fetchedAt) {
  const pending = state.entries.map((e) => ({ ...e, pending: true }));
  const acked = state.settled
    .filter((s) => s.acked_at > (fetchedAt || 0))
    .map((s) => ({ ...s, pending: false }));
  return [...acked, ...pending];
}

const GAP_FIELD = /^mutations\[(\d+)\]\.mutation_id$/;
const ENTRY_FIELD = /^mutations\[(\d+)\]/;

/**
 * What to do about a failed push: "retry" (back off), "again" (fixed it, push at once),
 * "unauthorized", "stale" (reload the page), or "blocked" (back off, and say why).
 */
export function classifyFailure(error) {
  const status = error && error.status;
  if (!status || status >= 500 || status === 408 || status === 429) return { action: "retry" };
  if (status === 401) return { action: "unauthorized" };
  if (status === 409 && error.reload) return { action: "stale" };
  if (status === 403 && error.field === "client_id") return { action: "new_client" };
  if (status === 413) return { action: "smaller" };
  if (status === 422 && error.field === "client_id") return { action: "new_client" };
  if (status === 422 && GAP_FIELD.test(error.field || "")) return { action: "new_client" };
  const entry = status === 422 && ENTRY_FIELD.exec(error.field || "");
  if (entry) return { action: "reject_entry", index: Number(entry[1]) };
  return { action: "blocked" };
}

/** One person's outbox on this phone, with the push loop and its retry timer. */
export class Outbox {
  constructor({
    storage,
    key,
    push,
    newClientId,
    newUid,
    now = () => Date.now(),
    random = Math.random,
    setTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimer = (t) => clearTimeout(t),
    onChange = () => {},
    onEvent = () => {},
  }) {
    Object.assign(this, { storage, key, push, newClientId, newUid, now, random });
    Object.assign(this, { setTimer, clearTimer, onChange, onEvent });
    this.state = null;
    this.writing = Promise.resolve();
    this.attempt = 0;
    this.timer = null;
    this.running = null;
    this.again = false;
    this.batchSize = MAX_BATCH;
    this.stopped = false;
    this.status = { state: "idle", error: null, lastSuccess: null, retryAt: null };
  }

  async open() {
    await this.update((s) => s || emptyState(this.newClientId()));
    return this;
  }

  async update(fn) {
    const write = this.storage.update(this.key, fn);
    this.writing = write.catch(() => {});
    this.state = await write;
    this.onChange(this.state);
    return this.state;
  }

  /** Resolves once no push is in flight and every write has reached storage. */
  async whenIdle() {
    await this.writing;
    if (this.running) await this.running.catch(() => {});
    await this.writing;
  }

  get pendingCount() {
    return this.state ? this.state.entries.length : 0;
  }

  get problems() {
    return this.state ? this.state.problems : [];
  }

  /** Queue a mutation (stored before this resolves), then try to push it. */
  async add(mutation) {
    let entry;
    await this.update((s) => {
      const [next, made] = enqueue(s || emptyState(this.newClientId()), {
        ...mutation,
        uid: this.newUid(),
      }, this.now());
      entry = made;
      return next;
    });
    this.kick();
    return entry;
  }

  async dismiss(uid) {
    await this.update((s) => ({ ...s, problems: s.problems.filter((p) => p.uid !== uid) }));
  }

  async dismissAll() {
    await this.update((s) => ({ ...s, problems: [] }));
  }

  /** Push now, forgetting any backoff (coming online, a reconnect, a poke, a new entry). */
  kick() {
    if (this.stopped) return Promise.resolve();
    this.attempt = 0;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    return this.sync();
  }

  stop() {
    this.stopped = true;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  setStatus(patch) {
    this.status = { ...this.status, ...patch };
    this.onEvent({ type: "status", status: this.status });
  }

  schedule() {
    this.attempt += 1;
    const delay = backoffDelay(this.attempt, this.random);
    if (this.timer !== null) this.clearTimer(this.timer);
    this.setStatus({ retryAt: this.now() + delay });
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.sync();
    }, delay);
  }

  /** Push every pending entry in order; one push at a time. Resolves when this round ends. */
  sync() {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.round()
      .catch((error) => {
        // Storage trouble (quota, a browser bug): keep everything and try again later.
        this.setStatus({ state: "error", error });
        this.schedule();
      })
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.sync();
        }
      });
    return this.running;
  }

  async round() {
    let fixes = 0;
    for (;;) {
      // Re-read: another tab may have added or pushed entries.
      const state = await this.update((s) => s || emptyState(this.newClientId()));
      const batch = nextBatch(state, this.batchSize);
      if (!batch.length) {
        this.setStatus({ state: "idle", error: null, retryAt: null });
        return;
      }
      this.setStatus({ state: "pushing" });
      let response;
      try {
        response = await this.push({
          client_id: state.clientId,
          schema_version: SCHEMA_VERSION,
          mutations: batch.map(wire),
        });
      } catch (error) {
        const verdict = classifyFailure(error);
        if (verdict.action === "retry") {
          this.setStatus({ state: error && error.status ? "error" : "offline", error });
          this.schedule();
          return;
        }
        if (verdict.action === "unauthorized" || verdict.action === "stale") {
          this.setStatus({ state: "waiting", error });
          this.onEvent({ type: verdict.action, error });
          return;
        }
        if (verdict.action === "blocked" || fixes >= 3) {
          this.setStatus({ state: "error", error });
          this.schedule();
          return;
        }
        fixes += 1;
        if (verdict.action === "smaller" && batch.length > 1) {
          this.batchSize = Math.max(1, Math.floor(batch.length / 2));
        } else if (verdict.action === "smaller" || verdict.action === "reject_entry") {
          const entry = batch[verdict.action === "smaller" ? 0 : verdict.index] || batch[0];
          const message =
            verdict.action === "smaller" ? "内容太大，服务器无法接收" : error.message;
          await this.update((s) =>
            renumber(
              rejectLocally(s, entry.mutation_id, { field: error.field, message }, this.now()),
              this.newClientId(),
            ),
          );
        } else {
          await this.update((s) => renumber(s, this.newClientId()));
        }
        continue;
      }
      fixes = 0;
      await this.update((s) => settle(s, batch, response, this.now()));
      this.attempt = 0;
      this.batchSize = MAX_BATCH;
      this.setStatus({ state: "idle", error: null, lastSuccess: this.now(), retryAt: null });
      this.onEvent({ type: "pushed", response, batch });
    }
  }
}
