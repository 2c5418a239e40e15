// The websocket client every page uses (protocol v1, docs/PROTOCOL.md).
//
// It connects to /ws, says `hello`, and keeps the page connected: any drop
// (Wi-Fi loss, screen lock, reload, server restart) is followed by a
// reconnect with exponential backoff and jitter, and commands not yet
// acknowledged are resent with the SAME cid after the next `welcome`, so the
// server applies them once. A `ping` every 10 s (and whenever the page comes
// back to the front) detects a socket that died silently. Pages are served
// over plain http on a LAN address (not a secure context), so ids come from
// crypto.getRandomValues, never crypto.randomUUID.

export const PROTOCOL = 1;

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10000;
/** A socket that has not opened by then is given up and retried. */
const CONNECT_TIMEOUT_MS = 8000;
/** A hello with no answer by then means a dead socket. */
const WELCOME_TIMEOUT_MS = 10000;
/** A command with no ack by then means a dead socket: reconnect and resend. */
const ACK_TIMEOUT_MS = 6000;
/**
 * Heartbeat: a `ping` this often while the socket is open; a socket that
 * gives no `pong` in time is dead (Wi-Fi changed, a phone slept, a proxy
 * dropped it silently) and is replaced. Browsers cannot see websocket pings.
 */
const PING_EVERY_MS = 10000;
const PONG_TIMEOUT_MS = 5000;
/** Hello refusals worth retrying by ourselves. */
const RETRY_HELLO = new Set(['server_busy', 'storage_unavailable', 'database_unavailable', 'rate_limited']);

/** `bytes` random bytes as base64url (no padding). */
export function randomId(bytes) {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A member token: 32 characters of A-Z a-z 0-9 - _. */
export function newToken() {
  return randomId(24);
}

/** A tiny event emitter. */
class Emitter {
  constructor() {
    this.handlers = new Map();
  }
  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(fn);
    return () => this.handlers.get(event).delete(fn);
  }
  emit(event, data) {
    for (const fn of this.handlers.get(event) || []) {
      try {
        fn(data);
      } catch (e) {
        console.error(e);
      }
    }
  }
}

/**
 * One meeting connection.
 *
 * Events: `welcome`, `state`, `me`, `live`, `members` (the server frames),
 * `error` (refused hello — with `hello: true` — and errors that belong to no
 * pending command), `bye`, `database` (`{available}`: the server lost its
 * database and refuses input until it is back; reset to available at every
 * welcome), and `status` with
 * `{state, attempt, retryInMs, reason}` where state is `connecting` (never
 * joined yet), `open` (socket open, not joined yet: the page may be asking
 * for a name), `online` (welcomed), `offline` (lost, reconnecting) or
 * `stopped` (removed, replaced or stopped by the page).
 */
export class Connection extends Emitter {
  /**
   * @param {object} opts
   * @param {'member'|'screen'|'host'} opts.role
   * @param {string} opts.pin
   * @param {() => object} [opts.hello] extra hello fields, read at every (re)connect
   */
  constructor({ role, pin, hello }) {
    super();
    this.role = role;
    this.pin = pin;
    this.helloFields = hello || (() => ({}));
    this.ws = null;
    this.welcomed = false;
    this.stopped = true;
    this.refused = false;
    this.attempt = 0;
    this.everWelcomed = false;
    this.retryTimer = null;
    this.helloCid = null;
    this.helloTimer = null;
    this.prefix = randomId(6);
    this.counter = 0;
    /** cid → {cmd, resolve, reject, timer} in sending order. */
    this.pending = new Map();
    this.pingTimer = null;
    this.pongTimer = null;
    this.status = 'connecting';
    /** The server said it cannot reach its database (until it says otherwise). */
    this.databaseDown = false;
    this.installListeners();
  }

  /** A fresh client id: random per page load, then a counter. */
  nextCid() {
    this.counter += 1;
    return `${this.prefix}-${this.counter}`;
  }

  /** Starts connecting (again); harmless when already connected. */
  start() {
    this.stopped = false;
    this.refused = false;
    if (!this.ws) this.connectNow();
  }

  /** Closes for good (until `start`). */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.dropSocket();
    this.setStatus('stopped');
  }

  /**
   * Says hello again with new fields — after a refused hello (name taken,
   * bad token, wrong secret), on the same socket when it is still open.
   */
  hello(fields) {
    if (fields) this.helloFields = typeof fields === 'function' ? fields : () => fields;
    this.stopped = false;
    this.refused = false;
    if (this.ws && this.ws.readyState === WebSocket.OPEN && !this.welcomed) {
      this.sendHello();
    } else if (!this.ws) {
      this.connectNow();
    }
  }

  /**
   * Sends a command (the cid is added). Resolves on its `ack`, rejects with
   * the `error` (`{code, message, ...}`). Survives reconnects: an unacked
   * command is resent with the same cid after the next welcome.
   * `onReceived` is called on `received`: a secret ballot the server holds
   * until it can be written with a group of others. It stays pending (and
   * is resent after a reconnect) until its `ack`, however long that takes.
   */
  send(cmd, { onReceived } = {}) {
    const cid = this.nextCid();
    const frame = { ...cmd, cid };
    return new Promise((resolve, reject) => {
      this.pending.set(cid, { frame, resolve, reject, onReceived, timer: null });
      if (this.welcomed) this.transmit(cid);
    });
  }

  // ---- internals -------------------------------------------------------

  installListeners() {
    window.addEventListener('online', () => {
      // The network changed: the old socket is probably dead.
      if (this.stopped) return;
      this.reconnectNow();
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState !== 'visible' || this.stopped) return;
      // Back in front (a phone unlocked): check the socket at once.
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) this.reconnectNow();
      else this.ping();
    });
    window.addEventListener('pagehide', () => {
      // Tell the server now rather than letting it time the socket out.
      if (this.ws) {
        try {
          this.ws.close(1000, 'page closed');
        } catch { /* ignore */ }
      }
    });
    window.addEventListener('pageshow', (e) => {
      if (e.persisted && !this.stopped) this.reconnectNow();
    });
  }

  setStatus(state, extra = {}) {
    this.status = state;
    this.emit('status', { state, attempt: this.attempt, everWelcomed: this.everWelcomed, ...extra });
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/ws`;
  }

  /** Drops the current socket (if any) without scheduling anything. */
  dropSocket() {
    const ws = this.ws;
    this.ws = null;
    this.welcomed = false;
    clearTimeout(this.helloTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = null;
    this.pongTimer = null;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000, 'reconnecting');
      } catch { /* ignore */ }
    }
  }

  /** Abandons the current socket and connects right away. */
  reconnectNow() {
    this.dropSocket();
    this.attempt = 0;
    this.connectNow();
  }

  connectNow() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.stopped) return;
    this.dropSocket();
    this.setStatus(this.everWelcomed ? 'offline' : 'connecting');
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    const openTimer = setTimeout(() => {
      if (this.ws === ws && ws.readyState !== WebSocket.OPEN) this.lost();
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(openTimer);
      if (!this.everWelcomed) this.setStatus('open');
      this.pingTimer = setInterval(() => this.ping(), PING_EVERY_MS);
      this.sendHello();
    };
    ws.onmessage = (e) => this.onMessage(e.data);
    ws.onclose = (e) => {
      clearTimeout(openTimer);
      if (this.ws === ws) this.lost(e);
    };
    ws.onerror = () => { /* a close follows */ };
  }

  /**
   * Sends a heartbeat (the server answers `pong` at once, joined or not);
   * no answer in time means the socket is dead: reconnect now.
   */
  ping() {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || this.pongTimer) return;
    if (!this.raw({ type: 'ping', t: Date.now() })) return;
    this.pongTimer = setTimeout(() => {
      this.pongTimer = null;
      if (this.ws === ws && !this.stopped) this.reconnectNow();
    }, PONG_TIMEOUT_MS);
  }

  /** The socket died: reconnect later unless told to stop. */
  lost() {
    this.dropSocket();
    if (this.stopped) return;
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    clearTimeout(this.retryTimer);
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this.attempt += 1;
    this.setStatus(this.everWelcomed ? 'offline' : 'connecting', { retryInMs: delay });
    this.retryTimer = setTimeout(() => this.connectNow(), delay);
  }

  sendHello() {
    const fields = this.helloFields();
    if (!fields) {
      // The page has nothing to say yet (a member who must type a name):
      // keep the socket and wait for `hello(fields)`.
      this.refused = true;
      return;
    }
    this.helloCid = this.nextCid();
    const frame = {
      type: 'hello',
      cid: this.helloCid,
      protocol: PROTOCOL,
      role: this.role,
      pin: this.pin,
      ...fields,
    };
    this.raw(frame);
    clearTimeout(this.helloTimer);
    const ws = this.ws;
    this.helloTimer = setTimeout(() => {
      if (this.ws === ws && !this.welcomed && !this.refused) this.lost();
    }, WELCOME_TIMEOUT_MS);
  }

  raw(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Sends a pending command and watches for its ack. */
  transmit(cid) {
    const p = this.pending.get(cid);
    if (!p) return;
    clearTimeout(p.timer);
    if (!this.raw(p.frame)) return;
    const ws = this.ws;
    // While the server cannot reach its database an ack takes as long as
    // that lasts: no reason to reconnect (the heartbeat still watches the socket).
    if (this.databaseDown) return;
    p.timer = setTimeout(() => {
      // No ack: the socket may be half-open. Reconnecting resends it.
      if (this.pending.has(cid) && this.ws === ws) this.reconnectNow();
    }, ACK_TIMEOUT_MS);
  }

  resendPending() {
    for (const cid of this.pending.keys()) this.transmit(cid);
  }

  onMessage(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    switch (msg.type) {
      case 'pong':
        clearTimeout(this.pongTimer);
        this.pongTimer = null;
        break;
      case 'welcome':
        clearTimeout(this.helloTimer);
        this.welcomed = true;
        this.everWelcomed = true;
        this.refused = false;
        this.attempt = 0;
        this.setStatus('online');
        this.emit('welcome', msg);
        if (this.databaseDown) this.setDatabase(true);
        this.resendPending();
        break;
      case 'ack': {
        const p = this.pending.get(msg.cid);
        if (p) {
          clearTimeout(p.timer);
          this.pending.delete(msg.cid);
          p.resolve(msg);
        }
        break;
      }
      case 'received': {
        // Held by the server, ack to follow: no timeout until then.
        const p = this.pending.get(msg.cid);
        if (p) {
          clearTimeout(p.timer);
          p.timer = null;
          if (p.onReceived) p.onReceived(msg);
        }
        break;
      }
      case 'error':
        this.onError(msg);
        break;
      case 'bye':
        this.emit('bye', msg);
        if (msg.code === 'removed' || msg.code === 'replaced') {
          this.stopped = true;
          clearTimeout(this.retryTimer);
          for (const p of this.pending.values()) {
            clearTimeout(p.timer);
            p.reject({ code: msg.code, message: msg.message });
          }
          this.pending.clear();
          this.dropSocket();
          this.setStatus('stopped', { reason: msg.code });
        }
        break;
      case 'database':
        this.setDatabase(msg.available === true);
        break;
      case 'state':
      case 'me':
      case 'live':
      case 'members':
        this.emit(msg.type, msg);
        break;
      default:
        break;
    }
  }

  /** Records whether the server can reach its database, and tells the page. */
  setDatabase(available) {
    this.databaseDown = !available;
    if (this.databaseDown) {
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.timer = null;
      }
    }
    this.emit('database', { available });
  }

  onError(err) {
    if (err.cid && err.cid === this.helloCid && !this.welcomed) {
      clearTimeout(this.helloTimer);
      if (RETRY_HELLO.has(err.code)) {
        // Transient: try the same hello again later.
        this.lost();
        return;
      }
      this.refused = true;
      this.emit('error', { ...err, hello: true });
      return;
    }
    const p = err.cid ? this.pending.get(err.cid) : null;
    if (p) {
      clearTimeout(p.timer);
      if (err.code === 'server_busy' || err.code === 'rate_limited') {
        // Dropped, not refused: send the same command again a little later.
        const ws = this.ws;
        const wait = err.code === 'rate_limited' ? 1000 : 500;
        p.timer = setTimeout(() => {
          if (this.ws === ws && this.welcomed) this.transmit(err.cid);
        }, wait + Math.random() * 1000);
        return;
      }
      if (err.code === 'not_joined') {
        // Our welcome was lost or the server restarted: start over.
        this.reconnectNow();
        return;
      }
      this.pending.delete(err.cid);
      p.reject(err);
      return;
    }
    if (err.code === 'rate_limited' && this.pending.size) {
      // An older server names no cid: resend everything unacked, same cids.
      const ws = this.ws;
      setTimeout(() => {
        if (this.ws === ws && this.welcomed) this.resendPending();
      }, 1200);
      return;
    }
    this.emit('error', err);
  }
}

/** The PIN in a path like /j/482913 or /screen/482913. */
export function pinFromPath() {
  const m = location.pathname.match(/\/(\d{6})\/?$/);
  return m ? m[1] : '';
}

/** localStorage that never throws (private mode, disabled storage). */
export const store = {
  get(key) {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch { /* ignore */ }
  },
  remove(key) {
    try {
      localStorage.removeItem(key);
    } catch { /* ignore */ }
  },
};
