// The live socket: the server says "hello" with its version on connecting, and "poke" when a
// new version exists that concerns this person; the page then refreshes the screen in view,
// pushes its outbox and asks which rows left its scope. Reconnects with backoff; a close with
// code 4401 means the device was revoked.

import { backoffDelay } from "./outbox.js";

const PING_MS = 30000;
const PONG_WAIT_MS = 10000;
export const CLOSE_REVOKED = 4401;

export class Live {
  constructor({ url, onPoke, onHello, onOpen, onRevoked, onState }) {
    Object.assign(this, { url, onPoke, onHello, onOpen, onRevoked, onState });
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.stopped = false;
    this.connected = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.clearPing();
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  /** Reconnect now if not connected (the page became visible, the network came back). */
  nudge() {
    if (this.stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.timer);
    this.attempt = 0;
    this.connect();
  }

  setConnected(value) {
    if (this.connected === value) return;
    this.connected = value;
    this.onState(value);
  }

  connect() {
    if (this.stopped) return;
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setConnected(true);
      this.startPing();
      this.onOpen();
    };
    ws.onmessage = (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      clearTimeout(this.pongTimer);
      if (msg.type === "poke") this.onPoke(msg.version);
      else if (msg.type === "hello" && this.onHello) this.onHello(msg.version);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.clearPing();
      this.setConnected(false);
      if (event.code === CLOSE_REVOKED) {
        this.stopped = true;
        this.onRevoked();
        return;
      }
      this.retry();
    };
  }

  // A dead connection may take minutes to report its close: give up on it at once.
  drop(ws) {
    if (this.ws !== ws) return;
    this.ws = null;
    this.clearPing();
    this.setConnected(false);
    ws.close();
    this.retry();
  }

  retry() {
    if (this.stopped) return;
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), backoffDelay(this.attempt));
  }

  // Browsers cannot send WebSocket pings; a silent Wi-Fi drop is noticed by a missing pong.
  startPing() {
    this.clearPing();
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      ws.send('{"type":"ping"}');
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => this.drop(ws), PONG_WAIT_MS);
    }, PING_MS);
  }

  clearPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }
}
