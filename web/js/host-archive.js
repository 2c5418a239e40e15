// The meeting archive on the console's first view: every stored meeting
// (GET /api/archive) with its state, date, members and activities. A meeting
// opens read-only as its minutes page (results, minutes, exports); an ended
// one can be deleted with all its data after a confirmation that names it.
//
// Kept apart from host.js: it only reads the host secret and the open
// meeting's PIN the console keeps, refreshes when the first view shows or
// its list is refreshed, and points the console's "Biên bản" link.

import { errorText, num, onLangChange, t } from '/assets/i18n.js';
import { store } from '/assets/net.js';
import { $, el, fill } from '/assets/js/ui.js';

const SECRET_KEY = 'handsup:secret';
const root = $('#archive');
let list = [];
let message = '';

function secret() {
  return store.get(SECRET_KEY);
}

async function call(path, init = {}) {
  const s = secret();
  if (!s) throw new Error(t('h.wrongSecret'));
  const r = await fetch(path, { ...init, headers: { authorization: `Bearer ${s}` } });
  if (!r.ok) {
    const j = await r.json().catch(() => ({}));
    // Worded from the code and its values, never the server's English.
    throw new Error(r.status === 401 ? t('h.wrongSecret') : j.error ? errorText({ code: j.error, message: String(r.status), params: j.params }) : String(r.status));
  }
  return r;
}

async function load() {
  if (!root || !secret()) return;
  try {
    list = await (await call('/api/archive')).json();
  } catch (err) {
    message = t('ar.failed', { message: err.message });
  }
  render();
}

function date(ms) {
  const d = new Date(ms);
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getDate())}/${two(d.getMonth() + 1)}/${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

async function download(m) {
  try {
    const r = await call(`/api/meetings/${m.pin}/export.xlsx`);
    const url = URL.createObjectURL(await r.blob());
    const a = el('a', { href: url, download: `handsup-${m.pin}.xlsx` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (err) {
    message = t('ar.failed', { message: err.message });
    render();
  }
}

async function remove(m) {
  if (!window.confirm(t('ar.confirm', { title: m.title, pin: m.pin }))) return;
  try {
    await call(`/api/meetings/${m.pin}`, { method: 'DELETE' });
    message = t('ar.deleted', { title: m.title });
    list = list.filter((x) => x.pin !== m.pin);
  } catch (err) {
    message = t('ar.failed', { message: err.message });
  }
  render();
  load();
}

function row(m) {
  const a = m.activities || {};
  return el(
    'li',
    { dataset: { pin: m.pin, status: m.status } },
    el('span', { class: 'pin-chip', text: m.pin }),
    el('span', { class: 'ar-title', text: m.title }),
    el(
      'span',
      { class: 'ar-meta' },
      el('span', { class: 'ar-status', dataset: { status: m.status }, text: t(`ar.status.${m.status}`) }),
      [
        date(m.created_at),
        t('ar.members', { n: num(m.members) }),
        t('ar.activities', { questions: num(a.questions), motions: num(a.motions), opinions: num(a.opinions) }),
      ].join(' · '),
    ),
    el(
      'span',
      { class: 'ar-actions' },
      el('a', { class: 'btn small', href: `/host/meetings/${m.pin}/minutes`, target: '_blank', rel: 'noopener', text: t('ar.minutes') }),
      el('button', { class: 'btn small', type: 'button', text: t('ar.xlsx'), onclick: () => download(m) }),
      m.status === 'ended'
        ? el('button', { class: 'btn small danger ar-delete', type: 'button', text: t('ar.delete'), onclick: () => remove(m) })
        : null,
    ),
  );
}

function render() {
  if (!root) return;
  fill(
    root,
    el(
      'div',
      { class: 'card-head' },
      el('h2', { id: 'archive-title', text: t('ar.title') }),
      el('button', { id: 'archive-refresh', class: 'btn small', type: 'button', text: t('ar.refresh'), onclick: () => { message = ''; load(); } }),
    ),
    el('p', { class: 'hint', text: t('ar.help') }),
    list.length
      ? el('ul', { class: 'archive-list', id: 'archive-list' }, list.map(row))
      : el('p', { class: 'muted', text: t('ar.empty') }),
    el('p', { id: 'archive-message', class: 'hint', role: 'status', text: message }),
  );
}

// The console's "Biên bản" link follows the meeting open in it.
const PIN_KEY = 'handsup:host:pin';
const minutesLink = $('#open-minutes');
function pointMinutes() {
  const pin = store.get(PIN_KEY);
  if (minutesLink && pin) minutesLink.href = `/host/meetings/${pin}/minutes`;
}
minutesLink?.addEventListener('click', pointMinutes);

// Reload whenever the console's first view shows (after sign-in, or "other
// meetings"), and with its own list's refresh.
new MutationObserver(() => {
  if (document.body.dataset.view === 'setup') load();
  if (document.body.dataset.view === 'console') pointMinutes();
}).observe(document.body, { attributes: true, attributeFilter: ['data-view'] });
$('#refresh')?.addEventListener('click', load);
onLangChange(render);

render();
load();
