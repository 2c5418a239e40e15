// Small DOM helpers shared by the pages. Every text goes in through
// textContent: names, questions and answers come from people and the server,
// and are never parsed as HTML.

import { errorText, t } from '/assets/i18n.js';

/** `el('div', {class: 'x', dataset: {index: 1}}, 'text', child)` */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    // Through the CSSOM: a style attribute would break the page's CSP.
    else if (k === 'style') node.style.cssText = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else if (c instanceof Node) node.appendChild(c);
    else node.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** Letters shown on answer options (with a shape and a colour). */
export const LETTERS = ['A', 'B', 'C', 'D', 'E', 'F'];

const SVG = 'http://www.w3.org/2000/svg';
const SHAPES = [
  ['polygon', { points: '12,3 22.5,20.5 1.5,20.5' }], // triangle
  ['polygon', { points: '12,1.5 22.5,12 12,22.5 1.5,12' }], // diamond
  ['circle', { cx: 12, cy: 12, r: 10 }], // circle
  ['rect', { x: 3, y: 3, width: 18, height: 18 }], // square
  ['polygon', { points: '12,1.5 22.5,9.2 18.5,21.5 5.5,21.5 1.5,9.2' }], // pentagon
  ['polygon', { points: '12,1.5 14.9,8.6 22.5,9.2 16.7,14.1 18.5,21.5 12,17.5 5.5,21.5 7.3,14.1 1.5,9.2 9.1,8.6' }], // star
];

/** The shape of option `i`, as an inline SVG (drawn in currentColor). */
export function shape(i) {
  const [tag, attrs] = SHAPES[i % SHAPES.length];
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'shape');
  const s = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) s.setAttribute(k, String(v));
  svg.appendChild(s);
  return svg;
}

/** The badge of option `i`: its shape with its letter. */
export function badge(i) {
  return el('span', { class: 'badge', 'aria-hidden': 'true' }, shape(i), el('span', { class: 'letter', text: LETTERS[i] }));
}

/** A check mark icon. */
export function icon(name) {
  const paths = {
    check: 'M4 12.5l5 5L20 6.5',
    cross: 'M6 6l12 12M18 6L6 18',
    dot: 'M12 12h0',
  };
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', `icon icon-${name}`);
  const p = document.createElementNS(SVG, 'path');
  p.setAttribute('d', paths[name]);
  p.setAttribute('fill', 'none');
  p.setAttribute('stroke', 'currentColor');
  p.setAttribute('stroke-width', '3');
  p.setAttribute('stroke-linecap', 'round');
  p.setAttribute('stroke-linejoin', 'round');
  svg.appendChild(p);
  return svg;
}

/**
 * Deadlines of the current question, counted from when its `state` arrived
 * (the protocol's times are relative to the frame).
 */
export class QuestionClock {
  constructor() {
    this.index = -1;
    this.opensAt = 0;
    this.closesAt = 0;
    this.limitMs = 0;
  }
  update(q) {
    const now = performance.now();
    this.index = q ? q.index : -1;
    this.opensAt = q ? now + q.opens_in_ms : 0;
    // After a server restart: the "Tiếp tục" countdown before answers reopen.
    this.resumesAt = q ? now + (q.resumes_in_ms || 0) : 0;
    this.closesAt = q ? now + q.closes_in_ms : 0;
    this.limitMs = q ? q.time_limit_ms : 0;
    this.closed = !q || (q.closes_in_ms === 0);
  }
  /** ms until answers open (0 once open). */
  opensIn() {
    return Math.max(0, this.opensAt - performance.now());
  }
  /** ms left of the countdown after a restart (0 when none). */
  resumesIn() {
    return this.closed ? 0 : Math.max(0, this.resumesAt - performance.now());
  }
  /** ms until answers close (0 once closed). */
  closesIn() {
    return this.closed ? 0 : Math.max(0, this.closesAt - performance.now());
  }
  reading() {
    return !this.closed && this.opensIn() > 0;
  }
  open() {
    return !this.closed && this.opensIn() === 0 && this.closesIn() > 0;
  }
  /** Fraction of answering time left, 1 → 0. */
  fraction() {
    if (this.closed || !this.limitMs) return 0;
    if (this.reading()) return 1;
    return Math.min(1, this.closesIn() / this.limitMs);
  }
}

/** Whole seconds shown for `ms` left (rounded up: "1" until it is over). */
export function secs(ms) {
  return Math.ceil(ms / 1000);
}

/**
 * Keeps the connection indicator `node` up to date. It stays hidden while
 * online; the page's CSS delays its appearance so a quick reconnect does not
 * flash it.
 */
export function bindStatus(conn, node) {
  let last = null;
  let timer = null;
  let databaseDown = false;
  const paint = () => {
    if (!last) return;
    const { state } = last;
    if (state === 'online' && databaseDown) {
      // Connected, but the server cannot save: input waits.
      node.dataset.state = 'database';
      node.hidden = false;
      node.textContent = t('status.database');
      return;
    }
    node.dataset.state = state;
    // Stopped pages say why themselves (removed, ended, …).
    node.hidden = state === 'online' || state === 'open' || state === 'stopped';
    let text = '';
    if (state === 'connecting') text = t('status.connecting');
    else if (state === 'offline') {
      const left = last.retryAt ? Math.ceil((last.retryAt - performance.now()) / 1000) : 0;
      text = left >= 2 ? t('status.retryIn', { s: left }) : t('status.offline');
    } else if (state === 'stopped') text = t('status.stopped');
    else text = t('status.online');
    node.textContent = text;
  };
  conn.on('status', (s) => {
    last = { ...s, retryAt: s.retryInMs ? performance.now() + s.retryInMs : 0 };
    paint();
    clearInterval(timer);
    if (last.retryAt) timer = setInterval(paint, 1000);
  });
  conn.on('database', (d) => {
    databaseDown = !d.available;
    paint();
  });
  return paint;
}

/** Formats a member answer `{choice|text}` against the question's options. */
export function answerLabel(answer, q) {
  if (!answer) return '';
  if (answer.text !== undefined && answer.text !== null) return `“${answer.text}”`;
  return (answer.choice || [])
    .map((i) => (q && q.options && q.options[i] !== undefined ? `${LETTERS[i]}. ${q.options[i]}` : LETTERS[i]))
    .join(' · ');
}

/**
 * Shows a PIN in two groups of three for reading aloud (482 913). The gap is
 * drawn by CSS, so the element's text stays the bare PIN for copy and paste.
 */
export function showPin(node, pin) {
  const p = pin || '';
  if (p.length !== 6) return fill(node, p);
  node.classList.add('pin-split');
  return fill(node, el('span', { text: p.slice(0, 3) }), el('span', { text: p.slice(3) }));
}

/**
 * Runs `work` with `control` disabled (no double submits), and shows a
 * failure, translated, in `errorNode` (cleared first). Resolves to whether
 * `work` succeeded.
 */
export async function busy(control, errorNode, work) {
  if (errorNode) errorNode.textContent = '';
  if (control) control.disabled = true;
  try {
    await work();
    return true;
  } catch (err) {
    if (errorNode) errorNode.textContent = errorText(err);
    return false;
  } finally {
    if (control) control.disabled = false;
  }
}

/**
 * The source of a question as a short label: the bank's text, or for a
 * bare web address only its site ("thuvienphapluat.vn"), never the raw
 * address on a screen people read from afar.
 */
export function sourceLabel(source) {
  const s = String(source || '').trim();
  if (!/^https?:\/\//i.test(s)) return s;
  try {
    return new URL(s).hostname.replace(/^www\./, '');
  } catch {
    return s;
  }
}
