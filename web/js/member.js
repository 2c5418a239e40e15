// The member page at /j/{PIN}: join by name (or with a personal QR code,
// /j/{PIN}?k=KEY, without typing anything), then follow the meeting: the
// quiz, and any motion put to the vote, which takes precedence.
//
// The member token is made once per meeting and kept in localStorage, so a
// reload, a locked screen or a server restart resumes the same member with
// the same score. Until the first `welcome` the token and name (or key) are
// kept in sessionStorage as a pending join: a page reloaded before the
// welcome arrived says hello with both and resumes instead of joining twice.
// After the welcome the key is removed from the address bar.

import { applyI18n, bindToggle, errorText, getLang, num, onLangChange, pct, t, setWording } from '/assets/i18n.js';
import { disciplineLines, electionFacts, electionRows, explainText, optionRole, ruleLine, verdictKind, verdictText } from '/assets/js/ballots.js';
import { Connection, newToken, pinFromPath, store } from '/assets/net.js';
import { createMemberActivities } from '/assets/js/member-meeting.js';
import { $, answerLabel, badge, bindStatus, el, fill, icon, LETTERS, QuestionClock, secs, sourceLabel } from '/assets/js/ui.js';
import { keepAwake } from '/assets/js/wake.js';

const PIN = pinFromPath();
const TOKEN_KEY = `handsup:token:${PIN}`;
const PENDING_KEY = `handsup:pending:${PIN}`;
const NAME_KEY = 'handsup:name';

const body = document.body;
let token = store.get(TOKEN_KEY);
let pending = readPending();
/** A personal join key from the roster's QR code, while not yet welcomed. */
let joinKey = new URLSearchParams(location.search).get('k');
if (joinKey) {
  // The token this browser already holds goes with the key: a guest becomes
  // the roster member, and someone else's identity is replaced by the key's
  // (the welcome then carries a new token).
  if (!pending || pending.key !== joinKey) pending = { token: token || newToken(), key: joinKey };
  writePending(pending);
}

/** Latest frames from the server. */
let st = null;
let me = null;
let meeting = null;
/** Why the page stopped following the meeting (removed, replaced, …). */
let stopped = null;
/** The local answer to the current question: {index, status, choice, text, error}. */
let ans = null;
/** Choices toggled on a multiple-choice question (not yet sent). */
let selection = new Set();
const clock = new QuestionClock();
let builtFor = null;
let ticker = null;
/** The vote being sent or just acknowledged: {motion, option, status: 'sending'|'sent'}. */
let myVote = null;
/** What the vote buttons were built for. */
let motionBuiltFor = null;
/** The reservation form: {motion, open, sending, warned}. */
let reserveUi = null;
/** An election ballot being filled in: {motion, kept: Set of candidate indices}. */
let pick = null;
/** A secret choice shown on a tap, for a few seconds: {motion, timer}. */
let peek = null;
/** How long a tapped-for secret choice stays on screen. */
const PEEK_MS = 4000;

const conn = new Connection({ role: 'member', pin: PIN, hello: helloFields });
/** Opinions and evaluation (js/member-meeting.js). */
const activities = createMemberActivities((cmd) => conn.send(cmd));

function readPending() {
  try {
    const p = JSON.parse(sessionStorage.getItem(PENDING_KEY) || 'null');
    return p && p.token && (p.name || p.key) ? p : null;
  } catch {
    return null;
  }
}

function writePending(p) {
  try {
    if (p) sessionStorage.setItem(PENDING_KEY, JSON.stringify(p));
    else sessionStorage.removeItem(PENDING_KEY);
  } catch { /* ignore */ }
}

/** What the next hello says: join with a key, resume by token, or join with a name. */
/** Who this page is, when it knows: a token, a personal key, a name. */
function identity() {
  if (pending && pending.key) return { token: pending.token, key: pending.key };
  if (token) return { token };
  if (pending) return { token: pending.token, name: pending.name };
  return null;
}

/** Waiting for the answer to a nameless hello. */
let probing = false;

/**
 * The hello's fields. With nothing to say yet, a nameless hello asks
 * whether the meeting still takes members: an ended meeting answers
 * `meeting_ended` (the page says so, with no name form), any other
 * `invalid_name` (the name form).
 */
function helloFields() {
  const id = identity();
  probing = !id;
  return id || {};
}

// ---- joining ------------------------------------------------------------

const nameInput = $('#name');
const joinBtn = $('#join');
const joinError = $('#join-error');
const joinSuggestion = $('#join-suggestion');
let joinBusy = false;

function showJoin(errorMessage = '', suggestion = '') {
  joinBusy = false;
  joinError.textContent = errorMessage;
  joinSuggestion.textContent = suggestion ? t('m.suggestion', { suggestion }) : '';
  nameInput.setAttribute('aria-invalid', errorMessage ? 'true' : 'false');
  if (suggestion) nameInput.value = suggestion;
  else if (!nameInput.value) nameInput.value = (pending && pending.name) || store.get(NAME_KEY) || '';
  setView('join');
  paintJoinButton();
  // Focus only when the keyboard is expected (not on first paint of a phone).
  if (errorMessage) nameInput.focus();
}

function paintJoinButton() {
  joinBtn.disabled = joinBusy;
  joinBtn.textContent = joinBusy ? t('m.joining') : t('m.join');
}

$('#join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (joinBusy) return;
  const name = nameInput.value.replace(/\s+/g, ' ').trim();
  if (!name) {
    joinError.textContent = t('m.nameEmpty');
    nameInput.setAttribute('aria-invalid', 'true');
    nameInput.focus();
    return;
  }
  joinError.textContent = '';
  joinSuggestion.textContent = '';
  pending = { token: (pending && pending.token) || newToken(), name };
  writePending(pending);
  joinBusy = true;
  paintJoinButton();
  conn.hello();
});

// ---- connection events -------------------------------------------------

conn.on('welcome', (w) => {
  keepAwake();
  meeting = w.meeting;
  if (w.member && w.member.token) {
    token = w.member.token;
    store.set(TOKEN_KEY, token);
    store.set(NAME_KEY, w.member.name);
  }
  pending = null;
  writePending(null);
  dropKeyFromUrl();
  joinBusy = false;
  stopped = null;
  render();
});

/** Removes the personal key from the address bar (and the history). */
function dropKeyFromUrl() {
  joinKey = null;
  const params = new URLSearchParams(location.search);
  if (!params.has('k')) return;
  params.delete('k');
  const q = params.toString();
  history.replaceState(null, '', location.pathname + (q ? `?${q}` : '') + location.hash);
}

/** A question as asked: the same question asked again is a new one. */
const askKey = (q) => (q ? `${q.index}/${q.reasked || 0}` : null);

conn.on('state', (s) => {
  const prevKey = askKey(st && st.question);
  st = s;
  meeting = s.meeting;
  setWording(s.wording);
  clock.update(s.question);
  const index = s.question ? s.question.index : null;
  if (askKey(s.question) !== prevKey) {
    // A new question (or none, or asked again): forget what was chosen.
    selection = new Set();
    const again = prevKey !== null && prevKey.split('/')[0] === String(index);
    if (ans && (ans.index !== index || again)) ans = null;
    if (again) builtFor = null;
  }
  render();
  activities.render(st, me);
});

conn.on('me', (m) => {
  me = m;
  render();
  activities.render(st, me);
});

conn.on('error', (err) => {
  if (!err.hello) return;
  switch (err.code) {
    case 'name_taken':
      showJoin(errorText(err), err.suggestion || '');
      break;
    case 'invalid_name':
      if (probing) {
        // The answer to the nameless hello: the meeting takes members.
        probing = false;
        showJoin();
      } else showJoin(errorText(err));
      break;
    case 'bad_token':
      if (pending && pending.key) {
        // The personal QR code is not valid here.
        pending = null;
        writePending(null);
        dropKeyFromUrl();
        showJoin(t('m.badKey'));
        break;
      }
      // A token from another meeting, or a removed member: join again by name.
      store.remove(TOKEN_KEY);
      token = null;
      pending = null;
      writePending(null);
      showJoin(errorText(err));
      break;
    case 'guests_not_allowed':
      // Only the roster's members may join: by their personal QR code. A
      // stored token that got this answer is unknown here.
      store.remove(TOKEN_KEY);
      token = null;
      pending = null;
      writePending(null);
      showJoin(errorText(err));
      break;
    case 'meeting_ended':
      stop('ended');
      break;
    case 'removed':
      // Removed by the host: no name form to come back under another name.
      pending = null;
      writePending(null);
      stop('removed', errorText(err));
      break;
    case 'unknown_meeting':
    case 'unsupported_protocol':
    default:
      stop(err.code, errorText(err));
      break;
  }
});

conn.on('bye', (b) => {
  if (b.code === 'removed') stop('removed', t('m.removed'));
  if (b.code === 'replaced') stop('replaced', t('m.replaced'));
});

function stop(reason, message = '') {
  stopped = { reason, message };
  if (reason !== 'replaced' && reason !== 'removed') conn.stop();
  render();
}

// ---- rendering ---------------------------------------------------------

function setView(view) {
  if (body.dataset.view !== view) {
    body.dataset.view = view;
    window.scrollTo(0, 0);
  }
}

function render() {
  // Out of the way while a question is open (a thumb near the top of the
  // screen must not leave the meeting by mistake).
  const asking = st && st.phase === 'question' && !st.motion;
  $('#leave').hidden = !conn.everWelcomed || !!stopped || !me || (st && st.phase === 'ended') || asking;
  $('#loading-text').textContent = pending && pending.key ? t('m.keyJoining') : t('status.connecting');
  $('#meeting-title').textContent = meeting ? meeting.title : '';
  $('#join-pin').textContent = PIN;
  document.title = meeting ? `${meeting.title} · Handsup` : 'Handsup';
  if (st) body.dataset.phase = st.phase;
  renderMeBar();

  if (stopped) return renderStopped();
  if (!conn.welcomed && !conn.everWelcomed) {
    if (body.dataset.view !== 'join') setView(identity() || probing ? 'loading' : 'join');
    return;
  }
  if (!st) return setView('loading');
  if (st.motion && st.phase !== 'ended') {
    // A motion on show takes precedence over the quiz.
    renderMotion();
    setView('motion');
    manageTicker();
    return;
  }
  switch (st.phase) {
    case 'lobby':
      renderLobby(t('m.waiting'));
      setView('lobby');
      break;
    case 'question':
      renderQuestion();
      setView('question');
      break;
    case 'reveal':
      renderReveal();
      setView('reveal');
      break;
    case 'leaderboard':
      renderRanking('#lb-place', '#lb-list', false);
      setView('leaderboard');
      break;
    case 'podium':
      if (me && !me.played) {
        // Joined after the quiz: no "final rank" with 0 points, a waiting
        // screen until the next activity.
        renderLobby(t('m.quizOver'));
        setView('lobby');
        break;
      }
      renderRanking('#podium-place', '#podium-list', true);
      setView('podium');
      break;
    case 'ended':
      setView('ended');
      break;
    default:
      setView('loading');
  }
  manageTicker();
}

/** The waiting screen: greeting, check-in time, what we wait for. */
function renderLobby(waitingText) {
  $('#lobby-hello').textContent = t('m.hello', { name: me ? me.name : '' });
  fill($('#lobby .hero-icon'), icon('check'));
  $('#lobby-waiting').textContent = waitingText;
  const at = me && me.checked_in_at ? new Date(me.checked_in_at) : null;
  const checkin = $('#lobby-checkin');
  checkin.hidden = !at;
  if (at) {
    const hhmm = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
    checkin.textContent = t('m.checkedIn', { time: hhmm });
  }
}

function renderStopped() {
  if (stopped.reason === 'ended') {
    setView('ended');
    return;
  }
  $('#stopped-text').textContent = stopped.reason === 'left' ? t('m.left') : stopped.message;
  const hint = $('#stopped-hint');
  hint.hidden = stopped.reason !== 'left';
  hint.textContent = t('m.leftHint');
  const action = $('#stopped-action');
  action.hidden = true;
  action.onclick = null;
  if (stopped.reason === 'left') {
    action.hidden = false;
    action.textContent = t('m.rejoin');
    action.onclick = () => {
      // Coming back with the token counts the member present again.
      stopped = null;
      conn.start();
      render();
    };
  } else if (stopped.reason === 'replaced') {
    action.hidden = false;
    action.textContent = t('m.useHere');
    action.onclick = () => {
      stopped = null;
      conn.start();
      render();
    };
  } else if (stopped.reason === 'unsupported_protocol') {
    action.hidden = false;
    action.textContent = t('m.reload');
    action.onclick = () => location.reload();
  } else if (stopped.reason === 'unknown_meeting') {
    action.hidden = false;
    action.textContent = t('m.home');
    action.onclick = () => { location.href = '/'; };
  }
  setView('stopped');
}

function renderMeBar() {
  const bar = $('#me-bar');
  // The quiz score has no place during a vote.
  const voting = st && st.motion && st.phase !== 'ended';
  bar.hidden = !me || !!stopped || !!voting;
  if (!me) return;
  $('#me-name').textContent = me.name;
  $('#score').textContent = num(me.score);
  // A rank only for someone who has played (not a late joiner's 0 points).
  const showRank = st && st.phase !== 'lobby' && me.rank > 0 && me.played;
  $('#rank').textContent = showRank ? t('m.rank', { rank: me.rank, of: me.of }) : '';
}

// ---- question ----------------------------------------------------------

/** The member's answer to question `index`: local first, then the server's. */
function answerFor(index) {
  if (ans && ans.index === index) return ans;
  if (me && me.answer && me.answer.question === index) {
    return { index, status: 'received', choice: me.answer.choice, text: me.answer.text };
  }
  return null;
}

function buildQuestion(q) {
  builtFor = q.index;
  $('#question-text').textContent = q.text;
  const box = $('#options');
  box.replaceChildren();
  box.className = 'options' + (q.kind === 'true_false' ? ' tf' : '');
  const multiple = q.kind === 'multiple';
  (q.options || []).forEach((text, i) => {
    const b = el(
      'button',
      {
        type: 'button',
        class: `option opt-${i % 6}`,
        dataset: { index: i },
      },
      // The name is what the button shows (WCAG 2.5.3): letter and text.
      el('span', { class: 'sr-only', text: `${LETTERS[i]}. ` }),
      badge(i),
      el('span', { class: 'opt-text', text }),
      multiple ? el('span', { class: 'tick' }, icon('check')) : null,
    );
    if (multiple) b.setAttribute('aria-pressed', 'false');
    b.addEventListener('click', () => onOption(i));
    box.appendChild(b);
  });
  $('#typed').hidden = q.kind !== 'typed';
  $('#typed-input').value = '';
  // A number to type: the phone's numeric keypad.
  $('#typed-input').inputMode = q.numeric ? 'decimal' : 'text';
  $('#answer-error').textContent = '';
}

function onOption(i) {
  const q = st && st.question;
  if (!q || !canAnswer(q)) return;
  if (q.kind === 'multiple') {
    if (selection.has(i)) selection.delete(i);
    else selection.add(i);
    updateQuestion();
  } else {
    submit({ choice: [i] });
  }
}

function canAnswer(q) {
  return st.phase === 'question' && clock.index === q.index && clock.open() && !answerFor(q.index);
}

function submit(answer) {
  const q = st.question;
  if (!canAnswer(q)) return;
  ans = { index: q.index, status: 'sending', ...answer };
  $('#answer-error').textContent = '';
  const frame = { type: 'answer', question: q.index, ...answer };
  const mine = ans;
  conn
    .send(frame)
    .then(() => {
      mine.status = 'received';
      render();
    })
    .catch((err) => {
      if (ans !== mine) return;
      if (err.code === 'already_answered') {
        mine.status = 'received';
        mine.fromServer = true;
      } else if (err.code === 'too_late' || err.code === 'not_open') {
        mine.status = 'late';
        mine.error = errorText(err);
      } else if (err.code === 'removed' || err.code === 'replaced') {
        return;
      } else {
        // The answer was refused but may be fixed and sent again.
        ans = null;
        $('#answer-error').textContent = errorText(err);
      }
      render();
    });
  render();
}

$('#submit-answer').addEventListener('click', () => {
  const q = st && st.question;
  if (!q) return;
  if (q.kind === 'multiple') {
    if (selection.size) submit({ choice: [...selection].sort((a, b) => a - b) });
  } else if (q.kind === 'typed') {
    const text = $('#typed-input').value.replace(/\s+/g, ' ').trim();
    if (text) submit({ text });
  }
});

$('#typed-input').addEventListener('input', () => updateQuestion());
$('#typed-input').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    e.preventDefault();
    $('#submit-answer').click();
  }
});

function renderQuestion() {
  const q = st.question;
  if (builtFor !== q.index) buildQuestion(q);
  $('#q-counter').textContent = t('q.counter', { n: q.index + 1, count: q.count });
  $('#q-kind').textContent = t(`kind.${q.kind}`);
  updateQuestion();
}

/** Everything on the question view that changes with time or answers. */
function updateQuestion() {
  if (!st || st.phase !== 'question' || !st.question) return;
  const q = st.question;
  const a = answerFor(q.index);
  const reading = clock.reading();
  const open = clock.open();
  const timeUp = !reading && !open;

  // countdown
  const seconds = $('#q-seconds');
  const progress = $('#q-progress');
  if (reading) {
    seconds.textContent = String(secs(clock.opensIn()));
    seconds.dataset.reading = '';
    progress.dataset.reading = '';
  } else {
    delete seconds.dataset.reading;
    delete progress.dataset.reading;
    seconds.textContent = String(secs(clock.closesIn()));
  }
  if (open && clock.closesIn() <= 5000) seconds.dataset.urgent = '';
  else delete seconds.dataset.urgent;
  seconds.setAttribute('aria-label', t('q.seconds', { s: seconds.textContent }));
  progress.firstElementChild.style.transform = `scaleX(${reading ? 1 : clock.fraction()})`;

  const note = $('#q-reading');
  note.hidden = !reading;
  const resuming = clock.resumesIn() > 0;
  note.dataset.resuming = resuming ? 'true' : 'false';
  if (resuming) note.textContent = t('q.resumesIn', { s: secs(clock.resumesIn()) });
  else if (reading) note.textContent = t('q.opensIn', { s: secs(clock.opensIn()) });
  const skipped = $('#q-skipped');
  skipped.hidden = !(me && me.skipped !== null && me.skipped !== undefined && me.skipped !== q.index);
  if (!skipped.hidden) skipped.textContent = t('m.skipped', { n: me.skipped + 1 });

  // options
  const box = $('#options');
  const locked = !!a || timeUp;
  const chosen = new Set(a && a.choice ? a.choice : []);
  if (locked) box.dataset.locked = '';
  else delete box.dataset.locked;
  // Once answered (or too late) the confirmation replaces the choices, so
  // it is in view on the smallest phone.
  box.hidden = locked;
  $('#typed').hidden = q.kind !== 'typed' || locked;
  if (reading) box.dataset.reading = '';
  else delete box.dataset.reading;
  for (const b of box.querySelectorAll('.option')) {
    const i = Number(b.dataset.index);
    b.disabled = locked || reading;
    b.classList.toggle('chosen', chosen.has(i));
    if (q.kind === 'multiple') {
      b.setAttribute('aria-pressed', String(a ? chosen.has(i) : selection.has(i)));
    }
  }

  // typed input and the submit button
  const typed = $('#typed-input');
  typed.disabled = locked || reading;
  if (a && a.text !== undefined && a.text !== null) typed.value = a.text;
  const needsSubmit = q.kind === 'multiple' || q.kind === 'typed';
  const submitBtn = $('#submit-answer');
  submitBtn.hidden = !needsSubmit || locked;
  const ready = q.kind === 'multiple' ? selection.size > 0 : typed.value.trim().length > 0;
  submitBtn.disabled = !open || !ready;
  const help = $('#q-help');
  help.hidden = !(q.kind === 'multiple' && !locked);
  help.textContent = t('m.pickSome');

  // answer state
  const status = a ? a.status : timeUp ? 'timeup' : 'idle';
  $('#sending').hidden = status !== 'sending';
  $('#received').hidden = status !== 'received';
  $('#timeup').hidden = !(status === 'timeup' || status === 'late');
  if (status === 'sending') {
    const label = answerLabel(a, q);
    $('#sending-answer').textContent = label ? t('m.yourAnswer', { answer: label }) : '';
  }
  if (status === 'received') {
    fill($('#received-icon'), icon('check'));
    const label = answerLabel(a.fromServer && me && me.answer ? me.answer : a, q);
    $('#received-answer').textContent = label ? t('m.yourAnswer', { answer: label }) : '';
  }
  if (status === 'late' && a.error) $('#answer-error').textContent = a.error;
}

function manageTicker() {
  const running = st && st.phase === 'question' && !st.motion && !stopped;
  if (running && !ticker) {
    ticker = setInterval(updateQuestion, 200);
  } else if (!running && ticker) {
    clearInterval(ticker);
    ticker = null;
  }
}

// ---- reveal ------------------------------------------------------------

function renderReveal() {
  const q = st.question;
  const rv = st.reveal || {};
  const a = answerFor(q.index);
  const res = me && me.result && me.result.question === q.index ? me.result : null;
  const box = $('#result');
  let kind;
  let title;
  let iconName = null;
  if (q.kind === 'poll') {
    kind = a ? 'poll' : 'none';
    title = a ? t('m.pollThanks') : t('m.noAnswer');
    iconName = a ? 'check' : null;
  } else if (res) {
    kind = res.correct ? 'correct' : res.partial ? 'partial' : 'wrong';
    title = t(`m.${kind}`);
    iconName = res.correct || res.partial ? 'check' : 'cross';
  } else if (a) {
    // Answered, and our result is on its way (`me` follows the `state`).
    kind = 'pending';
    title = '…';
  } else {
    kind = 'none';
    title = t('m.noAnswer');
  }
  box.dataset.kind = kind;
  fill($('#result-icon'), iconName ? icon(iconName) : '–');
  $('#result-title').textContent = title;
  const points = res ? res.points : 0;
  $('#result-points').textContent = q.kind === 'poll' ? '' : t('m.earned', { points: num(points) });
  $('#result-points').hidden = q.kind === 'poll' || kind === 'pending';
  const sub = [];
  if (res && res.correct && res.streak >= 2) sub.push(t('m.streak', { n: res.streak }));
  if (me && q.kind !== 'poll') sub.push(t('m.score', { score: num(me.score) }));
  if (me && me.rank > 0) sub.push(t('m.rank', { rank: me.rank, of: me.of }));
  $('#result-sub').textContent = sub.join(' · ');

  // the key: the right options or accepted answers, and what was given
  const key = $('#reveal-key');
  const parts = [];
  if (q.kind === 'typed' && rv.answers && rv.answers.length) {
    parts.push(el('span', { class: 'label', text: t('s.accepted') }));
    parts.push(el('div', { class: 'key-option', text: rv.answers.join(' · ') }));
  } else if (rv.correct && rv.correct.length) {
    parts.push(el('span', { class: 'label', text: t('m.correctLabel') }));
    for (const i of rv.correct) {
      parts.push(el('div', { class: `key-option opt-${i % 6}` }, badge(i), el('span', { text: q.options[i] })));
    }
  }
  if (q.kind === 'poll' && rv.distribution && rv.distribution.length) {
    // A poll has no right answer: what the room chose is the result.
    const total = rv.distribution.reduce((x, y) => x + y, 0);
    parts.push(el('span', { class: 'label', text: t('m.pollResults') }));
    rv.distribution.forEach((n, i) => {
      const share = total ? Math.round((n * 100) / total) : 0;
      parts.push(
        el(
          'div',
          { class: `key-option poll-row opt-${i % 6}`, dataset: { index: i } },
          badge(i),
          el('span', { class: 'poll-text', text: q.options[i] }),
          el('span', { class: 'poll-count', text: `${num(n)} · ${share}%` }),
        ),
      );
    });
  }
  if (a) {
    const given = answerLabel(a.choice || a.text !== undefined ? a : me && me.answer, q);
    if (given) parts.push(el('p', { class: 'hint', text: t('m.yourAnswer', { answer: given }) }));
  }
  fill(key, parts);
  key.hidden = parts.length === 0;

  const explain = $('#reveal-explain');
  explain.hidden = !rv.explanation;
  $('#reveal-explanation').textContent = rv.explanation || '';
  $('#reveal-source').textContent = rv.source ? t('s.source', { source: sourceLabel(rv.source) }) : '';
  if (!explain.dataset.touched) explain.open = true;
}
$('#reveal-explain').addEventListener('toggle', (e) => { e.currentTarget.dataset.touched = '1'; });

// ---- leaderboard and podium ---------------------------------------------

function renderRanking(placeSel, listSel, final) {
  const place = $(placeSel);
  const rows = st.leaderboard || [];
  const myId = me ? me.id : null;
  const rank = me ? me.rank : 0;
  const onPodium = final && rank >= 1 && rank <= 3 && me.score > 0;
  place.classList.toggle('gold', onPodium);
  const items = [];
  if (final) items.push(el('div', { class: 'label', text: onPodium ? t('m.congrats') : t('m.finalTitle') }));
  else items.push(el('div', { class: 'label', text: t('m.yourPlace') }));
  if (rank > 0) {
    items.push(el('div', { class: 'place' }, String(rank), el('small', { text: ` / ${me.of}` })));
  } else {
    items.push(el('div', { class: 'pts', text: t('m.unranked') }));
  }
  if (me) items.push(el('div', { class: 'pts', text: t('q.points', { points: num(me.score) }) }));
  if (final) items.push(el('div', { class: 'label', text: t('m.thanks') }));
  fill(place, items);

  const shown = final ? rows.slice(0, 3) : rows;
  const list = $(listSel);
  const lis = shown.map((r) =>
    el(
      'li',
      { class: r.id === myId ? 'mine' : '' },
      el('span', { class: 'r', text: String(r.rank) }),
      el('span', { class: 'n', text: r.name }),
      r.id === myId ? el('span', { class: 'you', text: t('m.you') }) : null,
      el('span', { class: 's', text: num(r.score) }),
    ),
  );
  if (me && rank > 0 && !shown.some((r) => r.id === myId)) {
    lis.push(el('li', { class: 'gap', 'aria-hidden': 'true', text: '⋯' }));
    lis.push(
      el(
        'li',
        { class: 'mine' },
        el('span', { class: 'r', text: String(rank) }),
        el('span', { class: 'n', text: me.name }),
        el('span', { class: 'you', text: t('m.you') }),
        el('span', { class: 's', text: num(me.score) }),
      ),
    );
  }
  fill(list, lis);
}


// ---- motions ---------------------------------------------------------------

const voteKey = (id) => `handsup:vote:${PIN}:${id}`;

/**
 * On a secret ballot the server never says what the member chose: the page
 * remembers it itself, in this tab only, to remind them.
 */
function rememberChoice(id, option) {
  try {
    sessionStorage.setItem(voteKey(id), String(option));
  } catch { /* ignore */ }
}

function rememberKept(id, keep) {
  try {
    sessionStorage.setItem(`${voteKey(id)}:kept`, JSON.stringify(keep));
  } catch { /* ignore */ }
}

function recalledKept(id) {
  try {
    const v = JSON.parse(sessionStorage.getItem(`${voteKey(id)}:kept`));
    return Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function recalledChoice(id) {
  try {
    const v = sessionStorage.getItem(voteKey(id));
    return v === null ? null : Number(v);
  } catch {
    return null;
  }
}

/**
 * The member's part in motion `m`: `me.vote` when it is about `m`;
 * otherwise (a motion just opened: the server sends no `me` then) what the
 * member's own eligibility says, with no vote yet.
 */
function voteInfo(m) {
  if (!me) return null;
  if (me.vote && me.vote.motion === m.id) return me.vote;
  if (typeof me.eligible !== 'boolean') return null;
  return {
    motion: m.id,
    eligible: me.eligible,
    reason: me.reason || null,
    voted: false,
    option: null,
    reserved: false,
    may_reserve: false,
  };
}


const isElection = (m) => m.kind === 'election';
/** One candidate for one seat: Đồng ý / Không đồng ý. */
const singleCandidate = (m) => isElection(m) && m.options.length === 1 && m.seats === 1;

function voteButton(role, index, text, onclick) {
  return el(
    'button',
    { type: 'button', class: 'vote-option', dataset: { index, role }, 'aria-pressed': 'false', onclick },
    el('span', { class: 'vote-radio', 'aria-hidden': 'true' }, icon('check')),
    el('span', { class: 'vote-label', text }),
  );
}

function buildVoteOptions(m, key) {
  motionBuiltFor = key;
  if (singleCandidate(m)) {
    fill($('#vote-options'), [
      voteButton('approve', 'agree', t('m.ballot.agree'), () => castBallot([0])),
      voteButton('reject', 'disagree', t('m.ballot.disagree'), () => castBallot([])),
    ]);
    return;
  }
  if (isElection(m)) {
    fill($('#vote-options'), m.options.map((name, i) => voteButton('candidate', i, name, () => togglePick(i))));
    return;
  }
  fill(
    $('#vote-options'),
    m.options.map((text, i) =>
      el(
        'button',
        { type: 'button', class: 'vote-option', dataset: { index: i, role: optionRole(m, i) }, 'aria-pressed': 'false', onclick: () => castVote(i) },
        el('span', { class: 'vote-radio', 'aria-hidden': 'true' }, icon('check')),
        el('span', { class: 'vote-label', text }),
      ),
    ),
  );
}

/** The member's choice on motion `m`, as far as this page knows it. */
function chosenOption(m, v, local) {
  if (local && local.status === 'sent') return local.option;
  if (v && v.option !== null && v.option !== undefined) return v.option;
  if (v && v.voted) return recalledChoice(m.id);
  return null;
}

/** Keeps or strikes candidate `i` on the ballot being filled in. */
function togglePick(i) {
  const m = st && st.motion;
  if (!m || m.status !== 'open') return;
  if (!pick || pick.motion !== m.id) pick = { motion: m.id, kept: new Set() };
  if (pick.kept.has(i)) pick.kept.delete(i);
  else pick.kept.add(i);
  $('#vote-error').textContent = '';
  render();
}

$('#ballot-send').addEventListener('click', () => {
  const m = st && st.motion;
  if (!m || !isElection(m)) return;
  const kept = pick && pick.motion === m.id ? [...pick.kept].sort((a, b) => a - b) : [];
  if (kept.length > m.seats) return;
  castBallot(kept);
});

/** Casts an election ballot: the candidates kept. */
function castBallot(keep) {
  const m = st && st.motion;
  const v = m ? voteInfo(m) : null;
  if (!m || m.status !== 'open' || !v || !v.eligible) return;
  const local = myVote && myVote.motion === m.id ? myVote : null;
  if (local && local.status === 'sending') return;
  if (v.voted || (local && local.status === 'sent')) return;
  const mine = { motion: m.id, keep, status: 'sending' };
  myVote = mine;
  $('#vote-error').textContent = '';
  sendChoice(mine, { type: 'ballot', motion: m.id, keep }, () => {
    rememberKept(m.id, keep);
    pick = null;
  });
  render();
}

/**
 * Sends the member's vote or ballot `frame` for `mine` (now `myVote`).
 * `remember` runs once it is counted: on `received` (a secret ballot held
 * until it is written with a group of others) or on its `ack`.
 */
function sendChoice(mine, frame, remember) {
  const counted = (held) => {
    if (myVote !== mine) return;
    mine.status = 'sent';
    mine.held = held;
    remember();
    render();
  };
  conn
    .send(frame, { onReceived: () => counted(true) })
    .then(() => counted(false))
    .catch((err) => {
      if (myVote !== mine) return;
      myVote = null;
      if (err.code === 'removed' || err.code === 'replaced') return;
      // `already_voted`: a resend whose first copy counted; `me` says so.
      if (err.code !== 'already_voted') $('#vote-error').textContent = errorText(err);
      render();
    });
}

/** What this phone remembers of its secret choice, as one line (or ''). */
function secretChoiceText(m, chosen) {
  if (isElection(m)) {
    const kept = myVote && myVote.motion === m.id && myVote.keep ? myVote.keep : recalledKept(m.id);
    if (!kept) return '';
    return kept.length ? t('m.vote.keptNames', { names: kept.map((i) => m.options[i]).join(', ') }) : t('m.vote.keptNone');
  }
  return chosen !== null && m.options[chosen] !== undefined ? t('m.vote.chosen', { option: m.options[chosen] }) : '';
}

$('#vote-peek').addEventListener('click', () => {
  const m = st && st.motion;
  if (!m) return;
  if (peek) clearTimeout(peek.timer);
  peek = {
    motion: m.id,
    timer: setTimeout(() => {
      peek = null;
      render();
    }, PEEK_MS),
  };
  render();
});

function castVote(i) {
  const m = st && st.motion;
  const v = m ? voteInfo(m) : null;
  if (!m || m.status !== 'open' || !v || !v.eligible) return;
  const local = myVote && myVote.motion === m.id ? myVote : null;
  if (local && local.status === 'sending') return;
  const voted = v.voted || (local && local.status === 'sent');
  if (voted && !(m.changes_allowed && m.ballot === 'open')) return;
  if (voted && chosenOption(m, v, local) === i) return;
  const mine = { motion: m.id, option: i, status: 'sending' };
  myVote = mine;
  $('#vote-error').textContent = '';
  sendChoice(mine, { type: 'vote', motion: m.id, option: i }, () => rememberChoice(m.id, i));
  render();
}

function renderMotion() {
  const m = st.motion;
  const v = voteInfo(m);
  const local = myVote && myVote.motion === m.id ? myVote : null;
  const key = JSON.stringify([m.id, m.options, m.approve, m.abstain, m.decide, m.kind, m.seats, getLang()]);
  if (motionBuiltFor !== key) buildVoteOptions(m, key);
  if (pick && pick.motion !== m.id) pick = null;
  if (peek && peek.motion !== m.id) peek = null;

  const open = m.status === 'open';
  const closed = m.status === 'closed';
  const secret = m.ballot === 'secret';
  const ballot = $('#mv-ballot');
  ballot.textContent = m.decide ? t(`v.ballot.${m.ballot}`) : `${t('v.poll')} · ${t(`v.ballot.${m.ballot}`)}`;
  ballot.dataset.ballot = m.ballot;
  const status = $('#mv-status');
  status.textContent = t(`v.status.${m.status}`);
  status.dataset.status = m.status;
  $('#motion-text').textContent = m.text;
  $('#mv-note').textContent = m.decide ? ruleLine(m) : '';

  const sending = open && local && local.status === 'sending';
  const voted = !!(v && v.voted) || !!(local && local.status === 'sent');
  const chosen = chosenOption(m, v, local);
  const eligible = !!(v && v.eligible);
  const canChange = m.changes_allowed && !secret;
  const showOptions = open && eligible && !sending && (!voted || canChange);

  const box = $('#vote-options');
  box.hidden = !showOptions;
  const election = isElection(m);
  const kept = pick && pick.motion === m.id ? pick.kept : new Set();
  box.dataset.picking = String(election && kept.size > 0);
  for (const b of box.querySelectorAll('.vote-option')) {
    const i = Number(b.dataset.index);
    const isChosen = election ? kept.has(i) : voted && chosen === i;
    b.classList.toggle('chosen', isChosen);
    b.setAttribute('aria-pressed', String(isChosen));
    b.disabled = !showOptions;
  }
  const bar = $('#ballot-bar');
  bar.hidden = !(showOptions && election && !singleCandidate(m));
  if (!bar.hidden) {
    const over = kept.size > m.seats;
    bar.dataset.over = String(over);
    $('#ballot-count').textContent = over
      ? t('m.ballot.tooMany', { seats: num(m.seats), extra: num(kept.size - m.seats) })
      : t('m.ballot.count', { kept: num(kept.size), seats: num(m.seats) });
    $('#ballot-send').disabled = over;
  }
  const help = [];
  if (showOptions && election) {
    help.push(singleCandidate(m) ? t('m.ballot.single', { name: m.options[0] }) : t('m.ballot.keep', { seats: num(m.seats) }));
    if (!singleCandidate(m) && kept.size === 0) help.push(t('m.ballot.blank'));
    help.push(t('m.vote.final'), t('m.vote.secretBefore'));
  } else if (showOptions) {
    if (voted) help.push(t('m.vote.canChange'));
    else help.push(t('m.vote.tap'), canChange ? t('m.vote.canChange') : t('m.vote.final'));
    if (secret) help.push(t('m.vote.secretBefore'));
  }
  $('#vote-help').textContent = help.join(' ');
  $('#vote-help').hidden = !help.length;
  if (!open) $('#vote-error').textContent = '';

  $('#vote-sending').hidden = !sending;
  // A secret choice is not spelled out on the screen, even while sending.
  if (sending) $('#vote-sending-choice').textContent = secret ? '' : t('m.vote.chosen', { option: m.options[local.option] || '' });

  const done = $('#vote-done');
  done.hidden = !(open && voted && !sending);
  if (!done.hidden) {
    fill($('#vote-done-icon'), icon('check'));
    if (secret) {
      // "Ballot recorded", never the choice: a neighbour may be looking. The
      // member may tap to see it for a few seconds; only this phone knows it.
      const remembered = secretChoiceText(m, chosen);
      // A ballot waiting for its group is received, not yet recorded.
      const held = !!(local && local.held);
      $('#vote-choice').textContent = t(held ? 'm.vote.ballotHeld' : 'm.vote.ballotRecorded');
      const hidden = remembered ? t('m.vote.hiddenNote') : t('m.vote.secretNoMemory');
      $('#vote-note').textContent = held ? `${t('m.vote.held')} ${hidden}` : hidden;
      const peeking = !!(peek && peek.motion === m.id && remembered);
      $('#vote-peek').hidden = !remembered || peeking;
      $('#vote-peeked').hidden = !peeking;
      $('#vote-peeked').textContent = peeking ? remembered : '';
    } else {
      $('#vote-choice').textContent = chosen !== null && m.options[chosen] !== undefined
        ? t('m.vote.chosen', { option: m.options[chosen] })
        : t('m.vote.votedOpen');
      $('#vote-note').textContent = t('m.vote.recorded');
      $('#vote-peek').hidden = true;
      $('#vote-peeked').hidden = true;
    }
  }

  const optionList = t('m.vote.options', { options: m.options.join(' · ') });
  const inel = $('#vote-ineligible');
  inel.hidden = !(v && !v.eligible && !closed);
  if (!inel.hidden) {
    const reason = v.reason || 'guest';
    $('#ineligible-title').textContent = t(`m.inel.${reason}`);
    $('#ineligible-why').textContent = t(`m.inel.${reason}.why`);
    $('#ineligible-options').textContent = optionList;
  }
  const waiting = $('#vote-waiting');
  waiting.hidden = !(m.status === 'draft' && !(v && !v.eligible));
  $('#waiting-options').textContent = optionList;

  renderMotionResult(m, v, voted, chosen);
  renderReserve(m, v);
}

function renderMotionResult(m, v, voted, chosen) {
  const r = m.result;
  const box = $('#motion-result');
  box.hidden = !(m.status === 'closed' && r);
  if (box.hidden) return;
  const decision = $('#decision');
  decision.dataset.decision = verdictKind(m);
  decision.textContent = verdictText(m);
  const explain = explainText(r.outcome, m.rule);
  $('#decision-explain').textContent = explain || '';
  $('#decision-explain').hidden = !explain;
  const lines = m.kind === 'election' ? electionFacts(m) : m.kind === 'discipline' ? disciplineLines(m) : [];
  fill($('#decision-lines'), lines.map((l) => el('li', { text: l })));
  $('#decision-lines').hidden = !lines.length;
  if (m.kind === 'election') {
    fill(
      $('#result-counts'),
      electionRows(m).map((row) =>
        el(
          'li',
          { dataset: { standing: row.standing } },
          el('span', { class: 'rc-name', text: row.name }),
          el('span', { class: 'rc-standing', text: row.label }),
          el('span', { class: 'rc-count', text: row.detail }),
        ),
      ),
    );
  } else fill(
    $('#result-counts'),
    m.options.map((o, i) =>
      el(
        'li',
        { dataset: { role: optionRole(m, i) } },
        el('span', { class: 'rc-name', text: o }),
        el('span', { class: 'rc-count', text: t('v.votes', { n: r.counts[i] || 0 }) }),
        el('span', { class: 'rc-pct', text: pct((r.percent_of_base || [])[i]) }),
      ),
    ),
  );
  let mine = '';
  // A secret choice stays off the screen after the count too.
  if (m.ballot === 'secret' && voted) mine = t('m.vote.voted');
  else if (chosen !== null && m.options[chosen] !== undefined) mine = t('m.vote.chosen', { option: m.options[chosen] });
  else if (voted) mine = t('m.vote.votedOpen');
  else if (v && v.eligible) mine = t('m.vote.didNotVote');
  $('#result-mine').textContent = mine;
  $('#result-mine').hidden = !mine;
}

function renderReserve(m, v) {
  const card = $('#reserve');
  const closed = m.status === 'closed';
  if (reserveUi && reserveUi.motion !== m.id) reserveUi = null;
  const reserved = !!(v && v.reserved);
  card.hidden = !(closed && v && (v.may_reserve || reserved));
  body.toggleAttribute('data-reserving', !card.hidden && !!(reserveUi && reserveUi.open && !reserved));
  if (card.hidden) return;
  $('#reserve-hint').textContent = t(reserveHint(m));
  const warning = !reserved && reserveUi && reserveUi.warn && !reserveUi.open;
  const formOpen = !reserved && reserveUi && reserveUi.open;
  $('#reserve-done').hidden = !reserved;
  $('#reserve-open').hidden = reserved || formOpen || warning;
  $('#reserve-warn').hidden = !warning;
  $('#reserve-form').hidden = !formOpen;
  const send = $('#reserve-send');
  send.disabled = !!(reserveUi && reserveUi.sending);
  send.textContent = reserveUi && reserveUi.sending ? t('m.reserveSending') : t('m.reserveSend');
}

/**
 * The reservation's wording: when the motion was not adopted there is no
 * resolution to carry out, so the hint must not say there is.
 */
function reserveHint(m) {
  const r = m.result || {};
  if (m.kind === 'discipline' && r.discipline) {
    return r.discipline.decided === null || r.discipline.decided === undefined ? 'm.reserveHint.notAdopted' : 'm.reserveHint.adopted';
  }
  if (r.decision === 'passed') return 'm.reserveHint.adopted';
  if (r.decision === 'not_passed') return 'm.reserveHint.notAdopted';
  return 'm.reserveHint.other';
}

function openReserveForm(m) {
  reserveUi = { motion: m.id, open: true, sending: false, warn: false };
  $('#reserve-error').textContent = '';
  render();
  $('#reserve-text').focus();
  $('#reserve-send').scrollIntoView({ block: 'nearest' });
}

$('#reserve-open').addEventListener('click', () => {
  const m = st && st.motion;
  if (!m) return;
  // A named reservation on a secret ballot tells how its author voted:
  // say so first.
  if (m.ballot === 'secret') {
    reserveUi = { motion: m.id, open: false, sending: false, warn: true };
    render();
    $('#reserve-warn-go').focus();
    return;
  }
  openReserveForm(m);
});

$('#reserve-warn-go').addEventListener('click', () => {
  const m = st && st.motion;
  if (m) openReserveForm(m);
});

$('#reserve-warn-cancel').addEventListener('click', () => {
  reserveUi = null;
  render();
});

$('#reserve-cancel').addEventListener('click', () => {
  reserveUi = null;
  render();
});

$('#reserve-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const m = st && st.motion;
  if (!m || !reserveUi || reserveUi.sending) return;
  const text = $('#reserve-text').value.trim();
  if (!text) {
    $('#reserve-error').textContent = t('m.reserveEmpty');
    $('#reserve-text').focus();
    return;
  }
  const ui = reserveUi;
  ui.sending = true;
  $('#reserve-error').textContent = '';
  conn
    .send({ type: 'reserve', motion: m.id, text })
    .then(() => {
      ui.sending = false;
      ui.open = false;
      // `me` confirms with `reserved: true`; until then say so ourselves.
      if (me && me.vote && me.vote.motion === m.id) me.vote.reserved = true;
      $('#reserve-text').value = '';
      render();
    })
    .catch((err) => {
      ui.sending = false;
      if (err.code === 'already_reserved' && me && me.vote) me.vote.reserved = true;
      else $('#reserve-error').textContent = errorText(err);
      render();
    });
  render();
});

// ---- leaving -----------------------------------------------------------------

$('#leave').addEventListener('click', () => {
  const dlg = $('#leave-dialog');
  const done = () => {
    dlg.removeEventListener('close', done);
    if (dlg.returnValue === 'ok') leave();
  };
  dlg.returnValue = '';
  dlg.addEventListener('close', done);
  dlg.showModal();
  $('#leave-cancel').focus();
});

function leave() {
  $('#leave').disabled = true;
  conn
    .send({ type: 'leave' })
    .then(() => stop('left'))
    .catch((err) => {
      if (err.code !== 'removed' && err.code !== 'replaced') $('#answer-error').textContent = errorText(err);
    })
    .finally(() => {
      $('#leave').disabled = false;
      render();
    });
}

// ---- start -------------------------------------------------------------

applyI18n();
bindToggle($('#lang-toggle'));
const repaintStatus = bindStatus(conn, $('#status'));
onLangChange(() => {
  render();
  activities.relabel();
  paintJoinButton();
  repaintStatus();
  if (body.dataset.view === 'join' && joinSuggestion.textContent && nameInput.value) {
    joinSuggestion.textContent = t('m.suggestion', { suggestion: nameInput.value });
  }
});
conn.on('status', () => render());

if (!PIN) {
  stop('unknown_meeting', t('err.unknown_meeting'));
} else {
  // Known: resume. Unknown: a nameless hello first (see `helloFields`), so
  // a visitor to an ended meeting never gets a name form.
  setView('loading');
  conn.start();
}
