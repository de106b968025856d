// Storage on the phone: one IndexedDB key-value store holding the outbox (one record per
// person) and the last data fetched for each screen, so the app still reads offline.
// update(key, fn) is a read-modify-write in one transaction: the outbox's only way to change.

const DB_NAME = "dabiao";
const STORE = "kv";

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

class IdbStorage {
  constructor(db) {
    this.db = db;
  }

  tx(mode, durability = "default") {
    return this.db.transaction(STORE, mode, { durability });
  }

  async get(key) {
    return request(this.tx("readonly").objectStore(STORE).get(key));
  }

  async set(key, value) {
    const tx = this.tx("readwrite", "relaxed");
    tx.objectStore(STORE).put(value, key);
    await done(tx);
  }

  async delete(key) {
    const tx = this.tx("readwrite");
    tx.objectStore(STORE).delete(key);
    await done(tx);
  }

  async deletePrefix(prefix) {
    const tx = this.tx("readwrite");
    tx.objectStore(STORE).delete(IDBKeyRange.bound(prefix, `${prefix}\uffff`));
    await done(tx);
  }

  /** Every [key, value] whose key starts with ``prefix``. */
  async entries(prefix) {
    const store = this.tx("readonly").objectStore(STORE);
    const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
    const [keys, values] = await Promise.all([request(store.getAllKeys(range)), request(store.getAll(range))]);
    return keys.map((key, i) => [key, values[i]]);
  }

  // Outbox writes must reach the disk before the page says "saved" (durability "strict").
  async update(key, fn) {
    const tx = this.tx("readwrite", "strict");
    const store = tx.objectStore(STORE);
    let next;
    const read = store.get(key);
    read.onsuccess = () => {
      try {
        next = fn(read.result);
        store.put(next, key);
      } catch (error) {
        next = error;
        tx.abort();
      }
    };
    try {
      await done(tx);
    } catch (error) {
      throw next instanceof Error ? next : error;
    }
    return next;
  }
}

/** A store in memory, mirrored to localStorage where it fits (no IndexedDB: rare browsers). */
export class MemoryStorage {
  constructor(backing = null, prefix = "dabiao.kv.") {
    this.map = new Map();
    this.backing = backing;
    this.prefix = prefix;
  }

  load(key) {
    if (this.map.has(key) || !this.backing) return this.map.get(key);
    const text = this.backing.getItem(this.prefix + key);
    const value = text === null ? undefined : JSON.parse(text);
    this.map.set(key, value);
    return value;
  }

  save(key, value) {
    this.map.set(key, value);
    if (!this.backing) return;
    try {
      this.backing.setItem(this.prefix + key, JSON.stringify(value));
    } catch {
      // Over the quota: a cached screen is only a convenience; the outbox is small.
    }
  }

  async get(key) {
    return structuredClone(this.load(key));
  }

  async set(key, value) {
    this.save(key, structuredClone(value));
  }

  async delete(key) {
    this.map.delete(key);
    this.backing?.removeItem(this.prefix + key);
  }

  async deletePrefix(prefix) {
    for (const key of [...this.map.keys()]) if (key.startsWith(prefix)) await this.delete(key);
    if (!this.backing) return;
    for (let i = this.backing.length - 1; i >= 0; i--) {
      const k = this.backing.key(i);
      if (k && k.startsWith(this.prefix + prefix)) this.backing.removeItem(k);
    }
  }

  async entries(prefix) {
    const keys = new Set([...this.map.keys()].filter((k) => k.startsWith(prefix)));
    for (let i = 0; this.backing && i < this.backing.length; i++) {
      const k = this.backing.key(i);
      if (k && k.startsWith(this.prefix + prefix)) keys.add(k.slice(this.prefix.length));
    }
    return [...keys].map((k) => [k, structuredClone(this.load(k))]).filter(([, v]) => v !== undefined);
  }

  async update(key, fn) {
    const next = fn(structuredClone(this.load(key)));
    this.save(key, structuredClone(next));
    return next;
  }
}

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error("IndexedDB blocked"));
  });
}

/** IndexedDB when the browser gives it, otherwise memory mirrored to localStorage. */
export async function openStorage() {
  try {
    return new IdbStorage(await openDb());
  } catch {
    return new MemoryStorage(globalThis.localStorage || null);
  }
}
