// Ids the phone makes itself. The page is served over plain HTTP on the campus LAN, which is
// not a secure context, so crypto.randomUUID() does not exist there; getRandomValues does.

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Fill a byte array with random values (the platform's CSPRNG). */
export function randomBytes(bytes) {
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

/** An RFC 4122 version 4 UUID, lowercase, from 122 random bits. */
export function uuid4(fill = randomBytes) {
  const b = fill(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; // version 4
  b[8] = (b[8] & 0x3f) | 0x80; // variant 10xx
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
    s += HEX[b[i]];
  }
  return s;
}

/** An outbox client id: 32 hex characters (the server wants [A-Za-z0-9_-]{8,64}). */
export function newClientId(fill = randomBytes) {
  return Array.from(fill(new Uint8Array(16)), (x) => HEX[x]).join("");
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
