// Client-made ids: RFC 4122 version 4 UUIDs from crypto.getRandomValues, outbox client ids.
import assert from "node:assert/strict";
import { test } from "node:test";

import { newClientId, UUID_RE, uuid4 } from "../../../mobile_web/js/ids.js";

test("uuid4 sets the version and variant bits on the random bytes", () => {
  const fixed = (bytes) => bytes.fill(0xff);
  assert.equal(uuid4(fixed), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  const zero = (bytes) => bytes.fill(0);
  assert.equal(uuid4(zero), "00000000-0000-4000-8000-000000000000");
});

test("uuid4 from the platform's random source is well formed and unique", () => {
  const seen = new Set();
  for (let i = 0; i < 2000; i++) {
    const id = uuid4();
    assert.match(id, UUID_RE);
    seen.add(id);
  }
  assert.equal(seen.size, 2000);
});

test("uuid4 never calls crypto.randomUUID (missing on plain-HTTP pages)", () => {
  const original = globalThis.crypto.randomUUID;
  Object.defineProperty(globalThis.crypto, "randomUUID", { value: undefined, configurable: true });
  try {
    assert.match(uuid4(), UUID_RE);
  } finally {
    Object.defineProperty(globalThis.crypto, "randomUUID", { value: original, configurable: true });
  }
});

test("client ids are 32 hex characters, as the server's pattern allows", () => {
  const id = newClientId();
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.match(id, /^[A-Za-z0-9_-]{8,64}$/);
  assert.notEqual(newClientId(), id);
});
