// The host console at /host: create or re-open a meeting and run it, in
// three tabs: the quiz, the roster with attendance (js/host-roster.js), and
// the votes (js/host-votes.js).
//
// The host secret arrives once as /host#secret=…; it is kept in
// localStorage and removed from the address bar at once so it does not end
// up in screenshots, the history or a projected browser window.

import { applyI18n, bindToggle, errorText, getLang, num, onLangChange, t, setWording } from '/assets/i18n.js';
import { Connection, store } from '/assets/net.js';
import { $, $$, badge, bindStatus, el, fill, icon, QuestionClock, secs, showPin, sourceLabel } from '/assets/js/ui.js';
import { createRoster } from '/assets/js/host-roster.js';
import { createVotes } from '/assets/js/host-votes.js';
import { createAgenda } from '/assets/js/host-agenda.js';
import { createBanks, createQuestionChoice } from '/assets/js/host-banks.js';

const SECRET_KEY = 'handsup:secret';
const PIN_KEY = 'handsup:host:pin';
const KEY_SHOWN_KEY = 'handsup:host:show-key';
const TAB_KEY = 'handsup:host:tab';
const TABS = ['quiz', 'roster', 'votes', 'agenda'];
const SETUP_TAB_KEY = 'handsup:host:setup-tab';
const SETUP_TABS = ['meetings', 'banks'];

const body = document.body;
let secret = store.get(SECRET_KEY);
let banks = [];
let meetings = [];
let conn = null;
let pin = null;
let st = null;
let live = null;
let members = [];
/** Secret ballot: ids of eligible members present who have not voted (`members.not_voted`). */
let notVoted = null;
/** Guests whose name matches a roster entry, to confirm (docs/PROTOCOL.md). */
let matches = [];
let roster = [];
let lastIndex = null;
let ticker = null;
const clock = new QuestionClock();
const statusNode = $('#status');
let repaintStatus = () => {};

// ---- secret ------------------------------------------------------------

function takeSecretFromHash() {
  const m = location.hash.match(/(?:^#|&)secret=([^&]+)/);
  if (!m) return;
  try {
    secret = decodeURIComponent(m[1]);
  } catch {
    secret = m[1];
  }
  store.set(SECRET_KEY, secret);
  history.replaceState(null, '', location.pathname + location.search);
}

function showSecret(message = '') {
  disconnect();
  setView('secret');
  $('#logout').hidden = true;
  $('#secret-error').textContent = message;
  $('#secret-input').setAttribute('aria-invalid', message ? 'true' : 'false');
  $('#secret-input').focus();
}

$('#secret-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const value = $('#secret-input').value.trim();
  if (!value) {
    $('#secret-input').focus();
    return;
  }
  secret = value;
  store.set(SECRET_KEY, secret);
  $('#secret-input').value = '';
  boot();
});

$('#logout').addEventListener('click', () => {
  store.remove(SECRET_KEY);
  store.remove(PIN_KEY);
  secret = null;
  showSecret();
});

function wrongSecret() {
  store.remove(SECRET_KEY);
  secret = null;
  showSecret(t('h.wrongSecret'));
}

// ---- HTTP API ----------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message, data = null) {
    super(message);
    this.status = status;
    this.code = code;
    /** The whole JSON body of an error (e.g. a file's `problems`). */
    this.data = data;
  }
}

async function api(path, options = {}) {
  let r;
  try {
    r = await fetch(path, {
      ...options,
      headers: {
        'content-type': 'application/json',
        ...(secret ? { authorization: `Bearer ${secret}` } : {}),
        ...(options.headers || {}),
      },
    });
  } catch {
    throw new ApiError(0, 'network', t('err.network'));
  }
  let data = null;
  try {
    data = await r.json();
  } catch { /* not JSON */ }
  if (!r.ok) {
    throw new ApiError(r.status, (data && data.error) || String(r.status), (data && data.message) || r.statusText, data);
  }
  return data;
}

function apiMessage(e) {
  if (e.status === 401) return t('h.wrongSecret');
  if (e.code === 'network') return t('err.network');
  // Codes the catalogue words (with their `params`), else the server's text.
  if (e.data && e.data.error) return errorText({ code: e.code, message: e.message, params: e.data.params });
  return e.message;
}

// ---- setup: banks and meetings -----------------------------------------

async function loadSetup() {
  $('#list-error').textContent = '';
  const [b, m] = await Promise.allSettled([api('/api/banks'), api('/api/meetings')]);
  if (m.status === 'rejected' && m.reason.status === 401) {
    wrongSecret();
    return false;
  }
  if (b.status === 'fulfilled') banks = b.value || [];
  else $('#create-error').textContent = t('h.loadFailed', { message: apiMessage(b.reason) });
  if (m.status === 'fulfilled') meetings = m.value || [];
  else $('#list-error').textContent = t('h.loadFailed', { message: apiMessage(m.reason) });
  renderBanks();
  renderMeetings();
  return true;
}

/** Reads the bank list again (after an upload, a save or a deletion). */
async function reloadBanks() {
  try {
    banks = (await api('/api/banks')) || [];
  } catch (err) {
    if (err.status === 401) return wrongSecret();
    $('#create-error').textContent = t('h.loadFailed', { message: apiMessage(err) });
  }
  renderBanks();
}

function languageName(code) {
  if (code === 'vi' || code === 'en') return t(`lang.${code}`);
  return code || '';
}

function renderBanks() {
  const sel = $('#bank-select');
  const previous = sel.value;
  fill(
    sel,
    banks.map((b) =>
      el('option', { value: b.id, text: t('h.bankOption', { title: b.title, language: languageName(b.language), n: b.questions }) }),
    ),
  );
  if (banksTab) banksTab.render();
  if (!banks.length) {
    sel.disabled = true;
    $('#create').disabled = true;
    $('#bank-desc').textContent = t('h.noBanks');
    return;
  }
  sel.disabled = false;
  $('#create').disabled = false;
  // Keep the choice; otherwise prefer a bank in the page's language.
  if (banks.some((b) => b.id === previous)) sel.value = previous;
  else {
    const fit = banks.find((b) => b.language === getLang());
    if (fit) sel.value = fit.id;
  }
  renderBankDesc();
  if (choice) choice.render();
}

function renderBankDesc() {
  const b = banks.find((x) => x.id === $('#bank-select').value);
  $('#bank-desc').textContent = b ? b.description || '' : '';
}
$('#bank-select').addEventListener('change', renderBankDesc);

/** A meeting's state, date and members, for the list. */
function meetingFacts(m) {
  const state = m.ended ? t('h.meetingEnded') : t('h.meetingRunning');
  const when = m.created_at ? new Date(m.created_at) : null;
  const date = when
    ? when.toLocaleString(getLang() === 'vi' ? 'vi-VN' : 'en-GB', { dateStyle: 'short', timeStyle: 'short' })
    : '';
  const members = typeof m.members === 'number' ? t('h.meetingMembers', { n: m.members }) : '';
  return el(
    'span',
    { class: 'mfacts' },
    el('span', { class: `mstate${m.ended ? ' ended' : ''}`, text: state }),
    date ? el('span', { text: date }) : null,
    members ? el('span', { text: members }) : null,
  );
}

function renderMeetings() {
  const list = $('#meeting-list');
  if (!meetings.length) {
    fill(list, el('li', { class: 'muted', text: t('h.noMeetings') }));
    return;
  }
  fill(
    list,
    meetings.map((m) =>
      el(
        'li',
        { class: m.pin === pin ? 'current' : '', dataset: { pin: m.pin } },
        el('span', { class: 'pin-chip', text: m.pin }),
        el('span', { class: 'mt', text: m.title }),
        meetingFacts(m),
        el('button', { type: 'button', class: 'btn small', text: t('h.open'), onclick: () => openMeeting(m.pin) }),
      ),
    ),
  );
}

$('#refresh').addEventListener('click', () => loadSetup());

$('#create-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const btn = $('#create');
  if (btn.disabled) return;
  btn.disabled = true;
  btn.textContent = t('h.creating');
  $('#create-error').textContent = '';
  let questions;
  try {
    questions = choice.body();
  } catch {
    btn.disabled = false;
    btn.textContent = t('h.create');
    return;
  }
  try {
    const m = await api('/api/meetings', {
      method: 'POST',
      body: JSON.stringify({
        title: $('#title-input').value.trim(),
        bank: $('#bank-select').value,
        // Left out: the server's default (Party wording for a Party bank).
        ...($('#wording-input').value ? { wording: $('#wording-input').value } : {}),
        ...questions,
      }),
    });
    $('#title-input').value = '';
    meetings.push({ pin: m.pin, title: m.title, join_url: m.join_url, created_at: Date.now(), members: 0, ended: false });
    openMeeting(m.pin);
  } catch (err) {
    if (err.status === 401) return wrongSecret();
    $('#create-error').textContent = t('h.createFailed', { message: apiMessage(err) });
  } finally {
    btn.disabled = false;
    btn.textContent = t('h.create');
  }
});

function showSetup() {
  disconnect();
  setWording('neutral');
  pin = null;
  store.remove(PIN_KEY);
  setView('setup');
  $('#logout').hidden = false;
  loadSetup();
}

$('#other-meetings').addEventListener('click', showSetup);

// ---- console -----------------------------------------------------------

function disconnect() {
  if (conn) conn.stop();
  conn = null;
  st = null;
  live = null;
  members = [];
  roster = [];
  statusNode.hidden = true;
  manageTicker();
}

function openMeeting(newPin) {
  disconnect();
  pin = newPin;
  store.set(PIN_KEY, pin);
  lastIndex = null;
  memberRows.clear();
  fill($('#members'));
  rosterTab.reset();
  votesTab.reset();
  $('#control-error').textContent = '';
  const known = meetings.find((m) => m.pin === pin);
  $('#meeting-title').textContent = known ? known.title : '';
  showPin($('#meeting-pin'), pin);
  $('#ms-title').textContent = known ? known.title : '';
  $('#ms-pin').textContent = pin;
  $('#meeting-url').textContent = known ? known.join_url : '';
  $('#meeting-qr').src = `/qr/${pin}.svg`;
  setView('console');
  $('#logout').hidden = false;
  renderConsole();

  conn = new Connection({ role: 'host', pin, hello: () => ({ secret }) });
  repaintStatus = bindStatus(conn, statusNode);
  conn.on('status', () => paintControls());
  conn.on('state', (s) => {
    st = s;
    setWording(s.wording);
    if (s.question) lastIndex = s.question.index;
    clock.update(s.question);
    renderConsole();
    agendaTab.render();
  });
  conn.on('live', (l) => {
    live = l;
    renderLive();
    rosterTab.renderAttendance();
    votesTab.renderLive();
    paintTabBadges();
  });
  conn.on('members', (m) => {
    members = m.members || [];
    roster = m.roster || [];
    notVoted = m.not_voted || null;
    matches = m.matches || [];
    renderMembers();
    renderRemoved(m.removed || []);
    rosterTab.render();
    votesTab.renderLive();
    agendaTab.render();
  });
  conn.on('error', (err) => {
    if (!err.hello) {
      $('#control-error').textContent = errorText(err);
      return;
    }
    if (err.code === 'unauthorized') return wrongSecret();
    if (err.code === 'unknown_meeting') {
      showSetup();
      $('#list-error').textContent = errorText(err);
      return;
    }
    $('#control-error').textContent = errorText(err);
  });
  conn.start();
}

function openScreen() {
  if (pin) window.open(`/screen/${pin}`, `handsup-screen-${pin}`);
}
$('#open-screen').addEventListener('click', openScreen);
$('#ms-screen').addEventListener('click', openScreen);

$('#copy-url').addEventListener('click', async () => {
  const text = $('#meeting-url').textContent;
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    // Plain http on a LAN address has no clipboard API: the old way.
    const ta = el('textarea', { style: 'position:fixed;opacity:0' });
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    try {
      ok = document.execCommand('copy');
    } catch { /* ignore */ }
    ta.remove();
  }
  if (ok) {
    const b = $('#copy-url');
    b.textContent = t('h.copied');
    setTimeout(() => { b.textContent = t('h.copy'); }, 1500);
  }
});

/** Which commands each phase allows (docs/PROTOCOL.md). */
const ALLOWED = {
  lobby: ['start', 'end'],
  question: ['reveal', 'skip', 'end'],
  reveal: ['next', 'end'],
  leaderboard: ['next', 'end'],
  podium: ['end'],
  ended: [],
};

/** The step the organiser most likely wants now: drawn as the main button. */
const MAIN = { lobby: 'start', question: 'reveal', reveal: 'next', leaderboard: 'next', podium: 'end' };

const BUTTONS = ['start', 'next', 'reveal', 'skip', 'end'];
let busy = false;

for (const cmd of BUTTONS) {
  $(`#btn-${cmd}`).addEventListener('click', () => command(cmd));
}

async function command(cmd) {
  if (!conn || !st || busy) return;
  if (cmd === 'skip' && live && live.answered > 0) {
    if (!(await confirmDialog(t('h.confirmSkip', { n: live.answered }), t('h.skip')))) return;
  }
  if (cmd === 'end') {
    const text = st.phase === 'podium' ? t('h.confirmEndMeeting') : t('h.confirmEndQuiz');
    if (!(await confirmDialog(text, st.phase === 'podium' ? t('h.endMeeting') : t('h.endQuiz')))) return;
  }
  busy = true;
  paintControls();
  $('#control-error').textContent = '';
  try {
    await conn.send({ type: cmd });
  } catch (err) {
    $('#control-error').textContent = errorText(err);
  } finally {
    busy = false;
    paintControls();
  }
}

function paintControls() {
  const phase = st ? st.phase : null;
  const allowed = phase ? ALLOWED[phase] || [] : [];
  for (const cmd of BUTTONS) {
    const b = $(`#btn-${cmd}`);
    b.disabled = busy || !conn || !conn.welcomed || !allowed.includes(cmd);
    b.classList.toggle('primary', MAIN[phase] === cmd && cmd !== 'end');
  }
  // Labels that say where "next" and "end" lead (the server tells: `next`).
  const where = st && st.next;
  let next = t('h.next');
  if (where === 'question') next = t('h.nextQuestion');
  else if (where === 'leaderboard') next = t('h.showLeaderboard');
  else if (where === 'podium') next = t('h.showPodium');
  $('#btn-next').textContent = next;
  $('#btn-end').textContent = phase === 'podium' || phase === 'ended' ? t('h.endMeeting') : t('h.endQuiz');
  $('#btn-end').classList.toggle('solid', phase === 'podium');
}

function renderConsole() {
  const phase = st ? st.phase : null;
  body.dataset.phase = phase || '';
  const pill = $('#phase');
  pill.dataset.phase = phase || '';
  pill.textContent = phase ? t(`phase.${phase}`) : t('status.connecting');
  if (st) {
    $('#meeting-title').textContent = st.meeting.title;
    $('#meeting-url').textContent = st.meeting.join_url;
    $('#bank-title').textContent = st.bank_title !== st.meeting.title ? st.bank_title : '';
    $('#ms-title').textContent = st.meeting.title;
    document.title = `${st.meeting.title} · Handsup`;
  }
  $('#host-hint').textContent = phase ? t(`h.hint.${phase}`) : '';
  paintControls();
  renderQuestion();
  paintReask();
  paintQuizScreen();
  renderBoard();
  renderLive();
  renderMembers();
  rosterTab.render();
  votesTab.render();
  paintTabBadges();
  manageTicker();
}

// ---- current question with the answer key --------------------------------

// The answer key is off on every console until asked for, and only for this
// window: a reload, or another console, starts hidden again.
const keyToggle = $('#key-toggle');
keyToggle.checked = false;
store.remove(KEY_SHOWN_KEY);
keyToggle.addEventListener('change', () => renderQuestion());

/** Whether this window looks like the one on the projector. */
function looksProjected() {
  if (document.fullscreenElement) return true;
  const w = window.innerWidth;
  const h = window.innerHeight;
  if (w >= screen.width - 1 && h >= screen.height - 1) return true;
  const projector = store.get('handsup:screen-size');
  return projector === `${w}x${h}`;
}

function paintKeyWarning() {
  const warn = $('#key-warn');
  const q = st && st.question;
  warn.hidden = !(q && keyToggle.checked && !st.reveal && looksProjected());
}
for (const ev of ['resize', 'fullscreenchange', 'storage']) {
  (ev === 'fullscreenchange' ? document : window).addEventListener(ev, paintKeyWarning);
}
$('#key-warn-off').addEventListener('click', () => {
  keyToggle.checked = false;
  renderQuestion();
});

function renderQuestion() {
  const card = $('#question-card');
  const q = st && st.question;
  card.hidden = !q;
  $('#hq-empty').hidden = !!q;
  $('#key-toggle-label').hidden = !q || q.kind === 'poll';
  for (const id of ['#hq-counter', '#hq-kind', '#hq-text', '#hq-options', '#hq-seconds', '#hq-accepted', '#hq-source', '#hq-typed']) {
    $(id).hidden = !q;
  }
  if (!q) return;
  const rv = st.reveal;
  // The key is drawn only when asked for (or once revealed to everybody).
  const key = keyToggle.checked || rv
    ? st.answer_key || (rv ? { correct: rv.correct, answers: rv.answers } : null)
    : null;
  card.classList.toggle('show-key', keyToggle.checked || !!rv);
  paintKeyWarning();
  $('#hq-counter').textContent = t('q.counter', { n: q.index + 1, count: q.count });
  $('#hq-kind').textContent = t(`kind.${q.kind}`);
  $('#hq-text').textContent = q.text;
  const dist = rv ? rv.distribution || [] : null;
  const correct = new Set(key ? key.correct || [] : []);
  fill(
    $('#hq-options'),
    (q.options || []).map((o, i) =>
      el(
        'li',
        { class: `opt-${i % 6}${correct.has(i) ? ' is-key' : ''}` },
        badge(i),
        el('span', { class: 'ot', text: o }),
        el('span', { class: 'key' }, icon('check'), t('h.answerKey')),
        dist ? el('span', { class: 'cnt', text: num(dist[i] || 0) }) : null,
      ),
    ),
  );
  const accepted = key && key.answers && key.answers.length ? key.answers.join(' · ') : '';
  $('#hq-accepted').textContent = accepted ? `${t('h.answerKey')}: ${accepted}` : '';
  renderSource(key || (rv ? { source: rv.source } : null));
  let typed = '';
  if (rv && q.kind === 'typed') {
    const [right = 0, wrong = 0] = rv.distribution || [];
    typed = `${t('q.right')}: ${num(right)} · ${t('q.wrong')}: ${num(wrong)}`;
    if ((rv.typed_top || []).length) {
      typed += ` — ${rv.typed_top.slice(0, 6).map((x) => `${x.text} (${x.count})`).join(', ')}`;
    }
  }
  $('#hq-typed').textContent = typed;
  $('#hq-typed').hidden = !typed;
  tick();
}

/**
 * The question's source with the answer key: its label and, for the chair
 * to open, its web address (the projector shows only the label).
 */
function renderSource(key) {
  const label = (key && key.source) || '';
  const url = (key && key.source_url) || '';
  const link = /^https?:\/\//i.test(url);
  fill(
    $('#hq-source'),
    label || url ? el('span', { text: t('s.source', { source: label || sourceLabel(url) }) }) : null,
    link ? ' — ' : null,
    link ? el('a', { class: 'hq-source-url', href: url, target: '_blank', rel: 'noopener noreferrer', text: url }) : null,
  );
}

function tick() {
  const q = st && st.question;
  const out = $('#hq-seconds');
  if (!q || st.phase !== 'question') {
    out.textContent = st && st.reveal ? t(`s.reason.${st.reveal.reason}`) : '';
    out.dataset.text = '';
    return;
  }
  const reading = clock.reading();
  out.toggleAttribute('data-text', reading || !clock.open());
  // After a restart: the "Tiếp tục" countdown before the time left runs.
  if (clock.resumesIn() > 0) out.textContent = t('q.resumesIn', { s: secs(clock.resumesIn()) });
  else if (reading) out.textContent = t('q.opensIn', { s: secs(clock.opensIn()) });
  else out.textContent = clock.open() ? t('q.seconds', { s: secs(clock.closesIn()) }) : t('q.timeUp');
}

function manageTicker() {
  const running = st && st.phase === 'question';
  if (running && !ticker) ticker = setInterval(tick, 250);
  else if (!running && ticker) {
    clearInterval(ticker);
    ticker = null;
  }
}

// ---- live counts, leaderboard and members ---------------------------------

function renderLive() {
  const l = live || { joined: 0, connected: 0, answered: 0 };
  $('#stat-joined').textContent = num(l.joined);
  $('#stat-connected').textContent = num(l.connected);
  $('#stat-answered').textContent = st && st.phase === 'question'
    ? `${num(l.answered)}/${num(l.connected)}`
    : st && st.reveal ? num(st.reveal.answered) : '–';
}

function renderBoard() {
  const rows = st && st.leaderboard;
  $('#board-card').hidden = !rows;
  if (!rows) return;
  fill(
    $('#host-board'),
    rows.map((r) =>
      el('li', {}, el('span', { class: 'r', text: String(r.rank) }), el('span', { class: 'n', text: r.name }), el('span', { class: 's', text: num(r.score) })),
    ),
  );
}

/** Rows by member id, updated in place so a click is never lost to a redraw. */
const memberRows = new Map();

function renderMembers() {
  const list = $('#members');
  const question = st && st.phase === 'question';
  const sorted = [...members].sort((a, b) => b.score - a.score || a.id - b.id);
  const seen = new Set();
  for (const m of sorted) {
    seen.add(m.id);
    let row = memberRows.get(m.id);
    if (!row) {
      row = el(
        'li',
        { class: 'member', dataset: { id: m.id } },
        el('span', { class: 'dot' }),
        el('span', { class: 'mname' }),
        el('span', { class: 'answered-mark' }, icon('check')),
        el('span', { class: 'mscore' }),
        el('button', { type: 'button', class: 'btn small primary approve' }),
        el('button', { type: 'button', class: 'btn small danger remove' }),
      );
      row.querySelector('.remove').addEventListener('click', () => kick(Number(row.dataset.id)));
      row.querySelector('.approve').addEventListener('click', (e) => approve(Number(row.dataset.id), e.currentTarget));
      memberRows.set(m.id, row);
    }
    row.dataset.connected = String(m.connected);
    row.dataset.answered = String(question && m.answered);
    row.querySelector('.dot').title = m.connected ? t('h.online') : t('h.offline');
    row.querySelector('.mname').textContent = m.name;
    const mark = row.querySelector('.answered-mark');
    mark.hidden = !question;
    mark.title = m.answered ? t('h.answered') : t('h.notAnswered');
    row.querySelector('.mscore').textContent = num(m.score);
    // Waiting for approval (meetings without a roster, approval on).
    const ok = row.querySelector('.approve');
    ok.hidden = !m.pending;
    ok.textContent = t('h.approve');
    ok.setAttribute('aria-label', t('h.approveLabel', { name: m.name }));
    const rm = row.querySelector('.remove');
    rm.textContent = t('h.remove');
    rm.setAttribute('aria-label', t('h.removeLabel', { name: m.name }));
  }
  // Reorder only when the order changed.
  const wanted = sorted.map((m) => memberRows.get(m.id));
  if (wanted.some((row, i) => list.children[i] !== row)) list.replaceChildren(...wanted);
  for (const id of [...memberRows.keys()]) {
    if (!seen.has(id)) {
      memberRows.get(id).remove();
      memberRows.delete(id);
    }
  }
  $('#member-count').textContent = num(members.length);
  $('#members-empty').hidden = members.length > 0;
}

async function approve(id, btn) {
  if (!conn) return;
  $('#control-error').textContent = '';
  btn.disabled = true;
  try {
    await conn.send({ type: 'approve', member: id });
  } catch (err) {
    $('#control-error').textContent = errorText(err);
  } finally {
    btn.disabled = false;
  }
}

/** Removed members, each with a way to let them back in. */
function renderRemoved(removed) {
  $('#removed-box').hidden = removed.length === 0;
  fill(
    $('#removed-list'),
    removed.map((r) =>
      el(
        'li',
        { dataset: { id: r.id } },
        el('span', { class: 'mname', text: r.name }),
        el('button', {
          type: 'button',
          class: 'btn small readmit',
          text: t('h.readmit'),
          onclick: () => readmit(r),
        }),
      ),
    ),
  );
}

async function readmit(r) {
  if (!conn) return;
  if (!(await confirmDialog(t('h.confirmReadmit', { name: r.name }), t('h.readmit')))) return;
  $('#control-error').textContent = '';
  try {
    await conn.send({ type: 'readmit', member: r.id });
  } catch (err) {
    $('#control-error').textContent = errorText(err);
  }
}

async function kick(id) {
  const m = members.find((x) => x.id === id);
  if (!m || !conn) return;
  if (!(await confirmDialog(t('h.confirmKick', { name: m.name }), t('h.remove')))) return;
  $('#control-error').textContent = '';
  try {
    await conn.send({ type: 'kick', member: id });
  } catch (err) {
    $('#control-error').textContent = errorText(err);
  }
}

// ---- what the projector shows -----------------------------------------------

/** The chair's choice for the projector, from the quiz tab too (the Agenda
 * tab has every screen; these are the ones a quiz needs at hand). */
const QUIZ_SCREENS = ['', 'lobby', 'attendance', 'quiz', 'vote'];

function paintQuizScreen() {
  const now = (st && st.screen) || '';
  fill(
    $('#quiz-screen'),
    QUIZ_SCREENS.map((s) =>
      el('button', {
        type: 'button',
        class: 'btn small',
        'aria-pressed': String(now === s),
        dataset: { screen: s || 'auto' },
        text: t(`a.screen.${s || 'auto'}`),
        disabled: !conn || !conn.welcomed || !st || st.phase === 'ended',
        onclick: async () => {
          $('#control-error').textContent = '';
          try {
            await conn.send({ type: 'screen', screen: s || null });
          } catch (err) {
            $('#control-error').textContent = errorText(err);
          }
        },
      }),
    ),
  );
}

// ---- asking a question again --------------------------------------------------

/** The re-ask control: question number, prefilled with the current one. */
function paintReask() {
  const q = st && st.question;
  const input = $('#reask-n');
  input.max = String(st ? st.question_count : 1);
  if (q && document.activeElement !== input) input.value = String(q.index + 1);
  $('#btn-reask').disabled = !conn || !conn.welcomed || !st || st.phase === 'ended' || st.phase === 'lobby';
}

$('#reask-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const n = Number($('#reask-n').value);
  if (!Number.isInteger(n) || n < 1) return;
  if (!(await confirmDialog(t('h.confirmReask', { n }), t('h.reask')))) return;
  $('#control-error').textContent = '';
  try {
    await conn.send({ type: 'reask', question: n - 1 });
  } catch (err) {
    $('#control-error').textContent = errorText(err);
  }
});

// ---- confirmation dialog ---------------------------------------------------

function confirmDialog(text, okLabel) {
  const dlg = $('#confirm');
  $('#confirm-text').textContent = text;
  $('#confirm-ok').textContent = okLabel || t('h.confirm');
  $('#confirm-cancel').textContent = t('h.cancel');
  return new Promise((resolve) => {
    const done = () => {
      dlg.removeEventListener('close', done);
      resolve(dlg.returnValue === 'ok');
    };
    dlg.returnValue = '';
    dlg.addEventListener('close', done);
    dlg.showModal();
    $('#confirm-cancel').focus();
  });
}

// ---- tabs: quiz, roster & attendance, votes ----------------------------------------

let tab = TABS.includes(store.get(TAB_KEY)) ? store.get(TAB_KEY) : 'quiz';

function setTab(next, focus = false) {
  tab = TABS.includes(next) ? next : 'quiz';
  store.set(TAB_KEY, tab);
  body.dataset.tab = tab;
  for (const b of $$('#view-console .tabs .tab')) {
    const on = b.dataset.tab === tab;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
    if (on && focus) b.focus();
  }
  for (const name of TABS) $(`#panel-${name}`).hidden = name !== tab;
}

for (const b of $$('#view-console .tabs .tab')) {
  b.addEventListener('click', () => setTab(b.dataset.tab));
  b.addEventListener('keydown', (e) => {
    // Arrow keys move between tabs, as in any tab list.
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!step) return;
    e.preventDefault();
    setTab(TABS[(TABS.indexOf(tab) + step + TABS.length) % TABS.length], true);
  });
}

function paintTabBadges() {
  const a = live && live.attendance;
  const b = $('#tab-roster-badge');
  b.hidden = !(a && a.roster);
  b.textContent = a && a.roster ? `${num(a.present)}/${num(a.convened)}` : '';
}

/** What the tabs' modules need from the console. */
const ctx = {
  get st() { return st; },
  get live() { return live; },
  get members() { return members; },
  get notVoted() { return notVoted; },
  get matches() { return matches; },
  get roster() { return roster; },
  get pin() { return pin; },
  send(cmd) {
    if (!conn) return Promise.reject({ code: 'network', message: t('err.network') });
    return conn.send(cmd);
  },
  api,
  apiMessage,
  wrongSecret,
  confirm: (text, ok) => confirmDialog(text, ok),
};
const rosterTab = createRoster(ctx);
let banksTab = null;
let choice = null;
const votesTab = createVotes(ctx);
const agendaTab = createAgenda(ctx);
const setupCtx = {
  get banks() { return banks; },
  get secret() { return secret; },
  api,
  apiMessage,
  wrongSecret,
  reloadBanks,
  confirm: (text, ok) => confirmDialog(text, ok),
};
banksTab = createBanks(setupCtx);
choice = createQuestionChoice(setupCtx);

// ---- the first view's tabs: meetings, question banks -------------------------

let setupTab = SETUP_TABS.includes(store.get(SETUP_TAB_KEY)) ? store.get(SETUP_TAB_KEY) : 'meetings';

function setSetupTab(next, focus = false) {
  setupTab = SETUP_TABS.includes(next) ? next : 'meetings';
  store.set(SETUP_TAB_KEY, setupTab);
  for (const b of $$('.setup-tabs .tab')) {
    const on = b.dataset.stab === setupTab;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
    if (on && focus) b.focus();
  }
  for (const name of SETUP_TABS) $(`#spanel-${name}`).hidden = name !== setupTab;
  if (setupTab === 'banks') banksTab.shown();
}

for (const b of $$('.setup-tabs .tab')) {
  b.addEventListener('click', () => setSetupTab(b.dataset.stab));
  b.addEventListener('keydown', (e) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!step) return;
    e.preventDefault();
    setSetupTab(SETUP_TABS[(SETUP_TABS.indexOf(setupTab) + step + SETUP_TABS.length) % SETUP_TABS.length], true);
  });
}

// ---- views and start ---------------------------------------------------------

function setView(view) {
  body.dataset.view = view;
  if (view !== 'console') body.dataset.phase = '';
}

async function boot() {
  if (!secret) return showSecret();
  setView('loading');
  const ok = await loadSetup();
  if (!ok) return;
  $('#logout').hidden = false;
  const saved = store.get(PIN_KEY);
  if (saved && meetings.some((m) => m.pin === saved)) openMeeting(saved);
  else {
    store.remove(PIN_KEY);
    setView('setup');
  }
}

applyI18n();
bindToggle($('#lang-toggle'));
onLangChange(() => {
  renderBanks();
  renderMeetings();
  rosterTab.relabel();
  votesTab.relabel();
  agendaTab.relabel();
  banksTab.relabel();
  choice.relabel();
  if (body.dataset.view === 'console') renderConsole();
  repaintStatus();
});
setTab(tab);
setSetupTab(setupTab);
takeSecretFromHash();
boot();
window.addEventListener('hashchange', () => {
  if (/secret=/.test(location.hash)) {
    takeSecretFromHash();
    boot();
  }
});
