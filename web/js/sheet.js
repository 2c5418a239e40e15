// The printable sheet of personal QR codes: /host/meetings/{PIN}/sheet.
//
// Reads the host secret from localStorage (the host console keeps it there;
// asked for here when missing), GETs the roster with its personal join
// links, and lays out A4 pages of 3 × 4 cards: the member's QR code, name,
// member code and group. Each code joins the meeting as that member, so the
// sheet is cut and handed out like ballot papers.

import { applyI18n, bindToggle, num, onLangChange, setWording, t } from '/assets/i18n.js';
import { store } from '/assets/net.js';
import { $, el, fill } from '/assets/js/ui.js';

const SECRET_KEY = 'handsup:secret';
const PER_PAGE = 12;

// The sheet's own route, /host/meetings/{PIN}/sheet (the old ?pin= still works).
const PIN = ((location.pathname.match(/^\/host\/meetings\/(\d{6})\/sheet/) || [])[1] ||
  new URLSearchParams(location.search).get('pin') || '').replace(/\D/g, '').slice(0, 6);
const body = document.body;
let secret = store.get(SECRET_KEY);
let data = null;

function setView(view) {
  body.dataset.view = view;
}

function askSecret(message = '') {
  setView('secret');
  $('#secret-form').hidden = false;
  $('#secret-error').textContent = message;
  $('#secret-input').focus();
}

$('#secret-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const value = $('#secret-input').value.trim();
  if (!value) return;
  secret = value;
  store.set(SECRET_KEY, secret);
  $('#secret-input').value = '';
  $('#secret-form').hidden = true;
  load();
});

async function load() {
  $('#sheet-error').textContent = '';
  if (!PIN) {
    setView('error');
    $('#sheet-error').textContent = t('sheet.noPin');
    return;
  }
  if (!secret) return askSecret();
  setView('loading');
  let r;
  try {
    r = await fetch(`/api/meetings/${PIN}/roster`, { headers: { authorization: `Bearer ${secret}` } });
  } catch {
    setView('error');
    $('#sheet-error').textContent = t('err.network');
    return;
  }
  if (r.status === 401) {
    store.remove(SECRET_KEY);
    secret = null;
    return askSecret(t('h.wrongSecret'));
  }
  if (r.status === 404) {
    setView('error');
    $('#sheet-error').textContent = t('err.unknown_meeting');
    return;
  }
  if (!r.ok) {
    setView('error');
    $('#sheet-error').textContent = t('h.loadFailed', { message: String(r.status) });
    return;
  }
  data = await r.json();
  // The sheet speaks as the meeting does (Party or neutral wording).
  setWording(data.wording);
  render();
}

function chunks(list, n) {
  const out = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

function render() {
  if (!data) return;
  const roster = data.roster || [];
  document.title = `${t('sheet.title')} · ${data.title} · Handsup`;
  $('#sheet-heading').textContent = `${t('sheet.title')} · ${data.title}`;
  const pages = chunks(roster, PER_PAGE);
  $('#sheet-summary').textContent = roster.length
    ? t('sheet.summary', { n: num(roster.length), pages: num(pages.length), title: data.title, pin: data.pin })
    : t('sheet.empty');
  fill(
    $('#pages'),
    pages.map((cards, p) =>
      el(
        'section',
        { class: 'sheet-page' },
        el(
          'header',
          { class: 'sheet-head' },
          el('span', { class: 'sh-title', text: data.title }),
          el('span', { class: 'sh-pin', text: t('sheet.pin', { pin: data.pin }) }),
          el('span', { class: 'sh-page', text: t('sheet.page', { n: p + 1, count: pages.length }) }),
        ),
        el(
          'div',
          { class: 'sheet-grid' },
          cards.map((c) =>
            el(
              'figure',
              { class: 'qr-card', dataset: { code: c.code } },
              el('img', { src: c.qr_url, alt: t('sheet.qrAlt', { name: c.name }), width: 160, height: 160 }),
              el(
                'figcaption',
                {},
                el('span', { class: 'qc-name', text: c.name }),
                el('span', { class: 'qc-meta', text: [c.code, c.group].filter(Boolean).join(' · ') }),
                el('span', { class: 'qc-scan', text: t('sheet.scan') }),
              ),
            ),
          ),
        ),
      ),
    ),
  );
  setView(roster.length ? 'ready' : 'empty');
  $('#print').disabled = !roster.length;
}

$('#print').addEventListener('click', async () => {
  // Print once every QR code has loaded, so none is missing on paper.
  const imgs = [...document.querySelectorAll('.qr-card img')];
  await Promise.all(imgs.map((img) => (img.complete ? null : new Promise((ok) => {
    img.addEventListener('load', ok, { once: true });
    img.addEventListener('error', ok, { once: true });
  }))));
  window.print();
});

applyI18n();
bindToggle($('#lang-toggle'));
onLangChange(render);
load();
