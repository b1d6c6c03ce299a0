// A websocket that stays connected: reconnects with capped exponential backoff and jitter,
// and dispatches each `{"event", "data"}` message as a DOM event of that name.
//
//   const live = new LiveSocket("/ws/status");
//   live.on("service:status", (entry) => update(entry));
//   live.addEventListener("state", (e) => show(e.detail.state));   // connecting|open|reconnecting|closed
//   live.start();
//
// The server closes an unauthenticated socket with 4401: the visitor is sent to sign in.
// 4403 (not allowed) and 4404 (no such object) are final: the socket stays closed.
// Other closes (a restart, 1013 "try again later" for a slow client, a dropped network) are
// retried; the page should reload its state on "open" since events may have been missed.

import { loginUrl } from "./api.js";

const CLOSE_UNAUTHENTICATED = 4401;
const FINAL_CLOSES = new Set([4403, 4404]);

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, with jitter. */
export function backoffDelay(attempt, { minDelay = 1000, maxDelay = 30000, factor = 2, jitter = 0.5 } = {}, random = Math.random) {
  const ceiling = Math.min(maxDelay, minDelay * factor ** Math.max(0, attempt));
  // Spread reconnects so that a restarted server is not hit by every browser at once.
  return Math.round(ceiling * (1 - jitter) + ceiling * jitter * random());
}

export class LiveSocket extends EventTarget {
  constructor(path, options = {}) {
    super();
    this.path = path;
    this.options = options;
    this.state = "idle";
    this.attempt = 0;
    this.socket = null;
    this.timer = null;
    this.stopped = true;
    this.onWake = () => this.reconnectNow();
  }

  /** Listen for one event name; returns a function that stops listening. */
  on(name, handler) {
    const listener = (event) => handler(event.detail);
    this.addEventListener(name, listener);
    return () => this.removeEventListener(name, listener);
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener("online", this.onWake);
    document.addEventListener("visibilitychange", this.onWake);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onWake);
    document.removeEventListener("visibilitychange", this.onWake);
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000, "page closed");
    this.setState("closed");
  }

  /** Skip the wait when the network or the tab comes back. */
  reconnectNow() {
    if (this.stopped || document.visibilityState === "hidden") return;
    if (this.state === "reconnecting") {
      clearTimeout(this.timer);
      this.connect();
    }
  }

  connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    let socket;
    try {
      socket = new WebSocket(`${scheme}://${window.location.host}${this.path}`);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempt = 0;
      this.setState("open");
    });
    socket.addEventListener("message", (event) => this.dispatchMessage(event.data));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (event.code === CLOSE_UNAUTHENTICATED) {
        this.stopped = true;
        this.setState("closed");
        window.location.assign(loginUrl());
        return;
      }
      if (FINAL_CLOSES.has(event.code)) {
        this.stopped = true;
        this.setState("closed", { code: event.code });
        return;
      }
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    const delay = backoffDelay(this.attempt, this.options);
    this.attempt += 1;
    this.setState("reconnecting", { delay });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  dispatchMessage(raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      return; // not ours to guess at
    }
    if (!message || typeof message.event !== "string") return;
    this.dispatchEvent(new CustomEvent(message.event, { detail: message.data ?? {} }));
    this.dispatchEvent(new CustomEvent("message", { detail: message }));
  }

  setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, attempt: this.attempt, ...extra } }));
  }
}
