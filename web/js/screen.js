// The projector at /screen/{PIN}: read-only, sized for 1920×1080 and
// readable at 1366×768. It never scrolls: long questions and motions shrink
// their type (down to a floor) until the view fits. A motion on show takes
// the whole screen; with a roster, the lobby shows the attendance the chair
// reads out, and the header keeps a small attendance strip.

import { applyI18n, bindToggle, errorText, num, onLangChange, pct, setWording, t } from '/assets/i18n.js';
import { Connection, pinFromPath, store } from '/assets/net.js';
import * as activities from '/assets/js/screen-meeting.js';
import * as sounds from '/assets/js/sounds.js';
import { $, badge, bindStatus, el, fill, icon, QuestionClock, secs, showPin, sourceLabel } from '/assets/js/ui.js';
import { disciplineLines, electionFacts, electionRows, explainText, optionRole, ruleLine, verdictKind, verdictText } from '/assets/js/ballots.js';
import { keepAwake } from '/assets/js/wake.js';

const PIN = pinFromPath();
const body = document.body;
const conn = new Connection({ role: 'screen', pin: PIN, hello: () => ({}) });
const clock = new QuestionClock();

let st = null;
let live = { joined: 0, connected: 0, recent: [], answered: 0, attendance: null, vote: null };
let fatal = null;
/** The index of the last question shown, for "after question 3 of 8". */
let lastIndex = null;
let builtKey = null;
let ticker = null;

/** The phase last rendered, for the sounds of a change. */
let lastPhase = null;
/** Leaderboard rows last shown: id → [position on screen, rank]. */
let lastBoard = new Map();
/** The last whole second announced by the countdown sound. */
let lastTick = null;

const reducedMotion = () => window.matchMedia('(prefers-reduced-motion: reduce)').matches;

conn.on('state', (s) => {
  if (s.phase !== lastPhase) {
    if (s.phase === 'reveal' && lastPhase === 'question') sounds.reveal();
    if (s.phase === 'podium') sounds.podium();
    lastPhase = s.phase;
  }
  st = s;
  setWording(s.wording);
  if (s.question) lastIndex = s.question.index;
  clock.update(s.question);
  render();
});
conn.on('live', (l) => {
  live = l;
  renderLive();
  if (body.dataset.view === 'motion') renderMotionLive();
});
conn.on('error', (err) => {
  if (err.hello) {
    fatal = err;
    conn.stop();
    render();
  }
});

function setView(view) {
  body.dataset.view = view;
}

function render() {
  if (fatal) {
    setView('ended');
    $('#s-ended .s-heading').textContent = errorText(fatal);
    $('#s-ended .s-sub').textContent = '';
    return;
  }
  if (!st) return setView('loading');
  body.dataset.phase = st.phase;
  const m = st.meeting;
  $('#s-meeting-title').textContent = m.title;
  $('#s-bank-title').textContent = st.bank_title && st.bank_title !== m.title ? st.bank_title : '';
  document.title = `${m.title} · Handsup`;
  $('#s-join').hidden = st.phase === 'lobby' || st.phase === 'ended';
  $('#s-join-url').textContent = shortUrl(m.join_url);
  showPin($('#s-pin'), m.pin);
  body.toggleAttribute('data-roster', !!st.roster);

  // Agenda, opinions, evaluation: when the chair puts them on the screen.
  if (activities.update(st, setView)) {
    renderLive();
    manageTicker();
    return;
  }
  if (st.screen === 'lobby' || st.screen === 'attendance') {
    renderLobby();
    setView('lobby');
    renderLive();
    manageTicker();
    return;
  }
  if (st.motion && st.phase !== 'ended' && st.screen !== 'quiz') {
    setView('motion');
    $('#s-join').hidden = false;
    renderMotion();
    renderLive();
    manageTicker();
    return;
  }
  switch (st.phase) {
    case 'lobby':
      renderLobby();
      setView('lobby');
      break;
    case 'question':
    case 'reveal':
      setView(st.phase);
      renderQuestion();
      break;
    case 'leaderboard':
      setView('leaderboard');
      renderLeaderboard();
      break;
    case 'podium':
      setView('podium');
      renderPodium();
      break;
    case 'ended':
      setView('ended');
      break;
    default:
      setView('loading');
  }
  renderLive();
  manageTicker();
}

/** The join address without "http://", which nobody needs to type. */
function shortUrl(url) {
  return (url || '').replace(/^https?:\/\//, '');
}

// ---- lobby -------------------------------------------------------------

function renderLobby() {
  const m = st.meeting;
  const qr = $('#qr');
  const src = m.qr_url || `/qr/${m.pin}.svg`;
  if (qr.getAttribute('src') !== src) qr.src = src;
  qr.alt = m.join_url;
  // The full address stays in the text (scheme muted) so it can be copied.
  const url = m.join_url || '';
  const scheme = (url.match(/^https?:\/\//) || [''])[0];
  fill($('#join-url'), scheme ? el('span', { class: 'sr-only', text: scheme }) : null, url.slice(scheme.length));
  showPin($('#pin'), m.pin);
}

function renderLive() {
  renderAttendance();
  $('#joined-count').textContent = num(live.joined);
  const recent = $('#recent-names');
  const names = [...(live.recent || [])].reverse();
  if (names.length) {
    fill(recent, names.map((n, i) => el('span', { class: i === 0 ? 'newest' : '', text: n })));
    // Newest first: drop the oldest names that do not fit whole.
    while (recent.lastChild && recent.lastChild !== recent.firstChild && recent.scrollHeight > recent.clientHeight + 1) {
      recent.lastChild.remove();
    }
  } else {
    fill(recent, el('p', { class: 'recent-empty', text: t('s.noMembers') }));
  }
  if (st && st.phase === 'question') {
    $('#answered-n').textContent = `${num(live.answered)} / ${num(live.connected)}`;
    const pct = live.connected ? Math.min(100, (100 * live.answered) / live.connected) : 0;
    $('#answered-fill').style.width = `${pct}%`;
  }
}

// ---- attendance ----------------------------------------------------------

/** The attendance panel (lobby, with a roster) and the header strip. */
function renderAttendance() {
  const a = live.attendance;
  const roster = !!(st && st.roster && a && a.roster);
  const strip = $('#s-att');
  const view = body.dataset.view;
  strip.hidden = !roster || view === 'lobby' || view === 'motion' || view === 'ended';
  if (roster) strip.textContent = t('s.att.strip', { present: num(a.present), convened: num(a.convened) });
  $('#sm-att').textContent = roster
    ? t('s.att.eligible', { present: num(a.eligible_present), convened: num(a.eligible_convened) })
    : '';
  // Congress mode: the two-thirds quorum, for the whole room to see.
  const c = live.congress;
  const cg = $('#s-congress');
  cg.hidden = !c;
  if (c) {
    cg.dataset.met = String(c.met);
    fill(
      cg,
      el('b', { text: t(c.met ? 's.congress.met' : 's.congress.notMet') }),
      el('span', { text: t('s.congress', { present: num(c.present), convened: num(c.convened), needed: num(c.needed) }) }),
    );
  }
  const panel = $('#attendance');
  panel.hidden = !roster;
  if (!roster) return;
  $('#att-present').textContent = num(a.present);
  $('#att-of').textContent = ` / ${num(a.convened)} ${t('s.att.present')}`;
  fill(
    $('#att-rows'),
    (a.by_status || [])
      .filter((r) => r.listed > 0)
      .map((r) => {
        // Only official and probationary members can be absent; the other
        // statuses are on their own line and never counted absent.
        const convened = ['official', 'probationary'].includes(r.status);
        return el(
          'tr',
          { dataset: { status: r.status || 'guest' } },
          el('th', { scope: 'row', text: t(`st.${r.status || 'guest'}`) }),
          el('td', { text: num(r.listed) }),
          el('td', { class: 'p', text: num(r.present) }),
          el('td', { text: convened ? num(r.absent) : t('s.att.notCounted') }),
        );
      }),
  );
  const facts = [t('s.att.eligible', { present: num(a.eligible_present), convened: num(a.eligible_convened) })];
  facts.push(t('s.att.rate', { pct: pct(a.rate) }));
  if (a.excused) facts.push(t('s.att.excused', { n: num(a.excused) }));
  if (a.unexcused) facts.push(t('s.att.unexcused', { n: num(a.unexcused) }));
  if (a.guests) facts.push(t('s.att.guests', { n: num(a.guests) }));
  fill($('#att-facts'), facts.map((f) => el('span', { text: f })));
}

// ---- motions ---------------------------------------------------------------


function renderMotion() {
  const m = st.motion;
  const ballot = $('#sm-ballot');
  ballot.textContent = m.decide ? t(`v.ballot.${m.ballot}`) : `${t('v.poll')} · ${t(`v.ballot.${m.ballot}`)}`;
  ballot.dataset.ballot = m.ballot;
  const status = $('#sm-status');
  status.textContent = m.status === 'draft' ? t('s.vote.draft') : t(`v.status.${m.status}`);
  status.dataset.status = m.status;
  const text = $('#sm-text');
  text.textContent = m.text;
  text.classList.toggle('long', m.text.length > 160);
  $('#sm-rule').textContent = m.decide ? ruleLine(m) : '';
  // The source of each count: how many came from a show of hands or paper
  // ballots of members without phones (the rest from phones).
  const hand = $('#sm-hand');
  hand.hidden = !m.hand_counts;
  if (m.hand_counts) {
    hand.textContent = t('s.hand', { counts: m.options.map((o, i) => `${o} ${num(m.hand_counts[i] || 0)}`).join(' · ') });
  }
  const closed = m.status === 'closed' && m.result;
  body.dataset.motion = closed ? 'closed' : m.status;
  $('#sm-open').hidden = !!closed;
  $('#sm-closed').hidden = !closed;
  if (closed) renderMotionResult(m);
  else renderMotionLive();
  fit($('#s-motion'));
}

/** While voting: the rising count and, when the motion shows it, the tally. */
function renderMotionLive() {
  const m = st && st.motion;
  if (!m || m.status === 'closed') return;
  const open = m.status === 'open';
  const v = live.vote && live.vote.motion === m.id ? live.vote : null;
  const voted = v ? v.voted : 0;
  const of = v ? v.eligible_present : 0;
  $('#sm-count').hidden = !open;
  // "đã bỏ phiếu" for a ballot, "đã biểu quyết" for a show of hands (docs/GLOSSARY.md).
  const label = $('#sm-count .sm-count-l');
  if (label) {
    label.dataset.i18n = m.ballot === 'secret' ? 's.vote.votedLabelSecret' : 's.vote.votedLabel';
    label.textContent = t(label.dataset.i18n);
  }
  $('#sm-voted').textContent = num(voted);
  $('#sm-eligible').textContent = num(of);
  $('#sm-count').setAttribute('aria-label', t('v.voted', { voted, of }));
  $('#sm-voted-fill').style.width = `${of ? Math.min(100, (100 * voted) / of) : 0}%`;
  $('#sm-voted-fill').parentElement.hidden = !open;
  const counts = v && v.counts;
  const total = Math.max(1, of);
  const bars = $('#sm-live-bars');
  const key = JSON.stringify([m.id, m.options, m.status, !!counts]);
  if (bars.dataset.key !== key) {
    // Built once per motion; then counts and widths change in place, so the
    // bars grow smoothly as votes come in.
    bars.dataset.key = key;
    fill(bars, m.options.map((o, i) => motionBar(m, i, o, counts ? 0 : null, 0, null)));
  }
  if (counts) {
    for (const b of bars.querySelectorAll('.sm-bar')) {
      const n = counts[Number(b.dataset.index)] || 0;
      b.querySelector('.sm-bar-count').textContent = num(n);
      b.querySelector('.fill').style.width = `${Math.min(100, (100 * n) / total)}%`;
    }
  }
  let note = '';
  if (open && !counts) note = m.ballot === 'secret' ? t('s.vote.secretLive') : t('s.vote.hiddenLive');
  $('#sm-note').textContent = note;
  $('#sm-note').hidden = !note;
}

function motionBar(m, i, label, count, widthPct, pctText) {
  return el(
    'div',
    { class: 'sm-bar', dataset: { index: i, role: optionRole(m, i) } },
    el('div', { class: 'fill', style: `width:${Math.max(0, Math.min(100, widthPct))}%` }),
    el('span', { class: 'sm-bar-text', text: label }),
    count === null ? null : el('span', { class: 'sm-bar-count', text: num(count) }),
    pctText ? el('span', { class: 'sm-bar-pct', text: pctText }) : null,
  );
}

function quorumText(r) {
  const q = r.outcome && r.outcome.quorum;
  if (!q) return '';
  if (typeof q === 'string') return t(`v.quorum.${q}`);
  const [kind, d] = Object.entries(q)[0] || [];
  if (!kind) return '';
  const present = kind === 'not_met_at_open' ? d.present_at_open : d.present_at_close;
  return t(`v.quorum.${kind}`, { needed: num(d.needed_present), present: num(present) });
}

/** An election's or a discipline ballot's result: TRÚNG CỬ per candidate, or the adding-up. */
function renderBallotResult(m) {
  const r = m.result;
  if (m.kind === 'election') {
    fill(
      $('#sm-bars'),
      electionRows(m).map((row, i) => {
        const bar = motionBar(m, i, row.name, row.votes, row.percent, `${row.label}\n${row.detail}`);
        bar.dataset.role = row.standing === 'elected' ? 'approve' : row.standing === 'tied' ? 'abstain' : 'reject';
        bar.dataset.standing = row.standing;
        return bar;
      }),
    );
  } else {
    const base = r.discipline ? r.discipline.base : r.voted;
    fill(
      $('#sm-bars'),
      m.options.map((o, i) => {
        const p = (r.percent_of_base || [])[i] || 0;
        return motionBar(m, i, o, r.counts[i] || 0, p, t('s.vote.ofBase', { pct: pct(p), base: num(base) }));
      }),
    );
  }
  const decision = $('#sm-decision');
  decision.dataset.decision = verdictKind(m);
  decision.textContent = verdictText(m);
  const lines = m.kind === 'election' ? electionFacts(m) : disciplineLines(m);
  fill($('#sm-explain'), lines.map((l) => el('span', { class: 'sm-line', text: l })));
  fill($('#sm-quorum'), el('span', { text: t('v.presentAtClose', { present: num(r.present_at_close), convened: num(r.convened) }) }));
  $('#sm-voters').hidden = true;
}

function renderMotionResult(m) {
  const r = m.result;
  if (m.kind === 'election' || m.kind === 'discipline') return renderBallotResult(m);
  const base = r.outcome ? r.outcome.base_size : r.voted;
  fill(
    $('#sm-bars'),
    m.options.map((o, i) => {
      const p = (r.percent_of_base || [])[i] || 0;
      return motionBar(m, i, o, r.counts[i] || 0, p, t('s.vote.ofBase', { pct: pct(p), base: num(base) }));
    }),
  );
  const decision = $('#sm-decision');
  decision.dataset.decision = r.decision || 'poll';
  decision.textContent = r.decision === 'passed' ? t('v.passed') : r.decision === 'not_passed' ? t('v.notPassed') : t('v.pollResult');
  const explain = explainText(r.outcome, m.rule);
  $('#sm-explain').textContent = explain || t('v.votes', { n: r.voted });
  const facts = [t('v.presentAtClose', { present: num(r.present_at_close), convened: num(r.convened) })];
  const q = quorumText(r);
  if (q) facts.push(q);
  fill($('#sm-quorum'), facts.map((f) => el('span', { text: f })));

  // Open ballots with "show voters": who chose what, by option.
  const voters = m.voters;
  const box = $('#sm-voters');
  box.hidden = !voters;
  if (voters) {
    // Only options someone chose: the names are what the room reads.
    const rows = m.options.map((o, i) => [o, i, voters.filter((x) => x.option === i).map((x) => x.name)]).filter((r) => r[2].length);
    box.classList.toggle('many', rows.length > 4);
    fill(
      box,
      el('div', { class: 'mini-label', text: t('s.vote.voters') }),
      rows.length ? null : el('div', { class: 'sm-voter-row', text: t('s.vote.noVoters') }),
      rows.map(([o, i, names]) => {
        return el(
          'div',
          { class: 'sm-voter-row', dataset: { role: optionRole(m, i) } },
          el('b', { text: `${o} (${num(names.length)})` }),
          el('span', { text: names.join(', ') }),
        );
      }),
    );
  }
}

// ---- question and reveal -----------------------------------------------

function renderQuestion() {
  const q = st.question;
  const rv = st.reveal;
  $('#s-counter').textContent = t('q.counter', { n: q.index + 1, count: q.count });
  $('#s-kind').textContent = t(`kind.${q.kind}`);
  $('#s-points').textContent = q.kind === 'poll' ? '' : t('q.points', { points: num(q.points) });
  const facts = [];
  if (rv) {
    facts.push(t(`s.reason.${rv.reason}`));
    if (q.kind === 'poll') facts.push(t('s.pollCount', { n: rv.answered }));
    else facts.push(t('s.correctCount', { n: rv.correct_count, answered: rv.answered }));
  }
  $('#s-reason').textContent = facts.join(' · ');
  const text = $('#question-text');
  text.textContent = q.text;
  text.classList.toggle('long', q.text.length > 140);

  const key = `${q.index}/${q.reasked || 0}:${st.phase}`;
  if (builtKey !== key) {
    builtKey = key;
    if (st.phase === 'question') buildTiles(q);
    else buildReveal(q, rv);
  }
  tick();
  fit($('#s-question'));
}

function buildTiles(q) {
  const tiles = $('#tiles');
  const typed = q.kind === 'typed';
  tiles.hidden = typed;
  $('#typed-prompt').hidden = !typed;
  tiles.className = 'tiles question-only' + (q.kind === 'true_false' ? ' tf' : '');
  fill(
    tiles,
    (q.options || []).map((o, i) =>
      el('div', { class: `tile opt-${i % 6}`, dataset: { index: i } }, badge(i), el('span', { text: o })),
    ),
  );
  // One column when options are long, so each stays on few lines.
  const longest = Math.max(0, ...(q.options || []).map((o) => o.length));
  tiles.style.gridTemplateColumns = longest > 60 && (q.options || []).length <= 4 ? '1fr' : '';
}

function buildReveal(q, rv) {
  const bars = $('#bars');
  const dist = rv.distribution || [];
  const total = Math.max(1, rv.answered || dist.reduce((a, b) => a + b, 0));
  const rows = [];
  if (q.kind === 'typed') {
    const labels = [t('q.right'), t('q.wrong')];
    labels.forEach((label, i) => {
      rows.push(bar(i, label, dist[i] || 0, total, i === 0, i === 0 ? 'typed-right' : 'typed-wrong'));
    });
  } else {
    (q.options || []).forEach((o, i) => {
      rows.push(bar(i, o, dist[i] || 0, total, (rv.correct || []).includes(i), `opt-${i % 6}`));
    });
  }
  fill(bars, rows);
  if ((rv.correct || []).length) bars.dataset.hasCorrect = '';
  else delete bars.dataset.hasCorrect;

  // typed: accepted answers and what people wrote
  const extra = $('#typed-extra');
  extra.hidden = q.kind !== 'typed';
  if (q.kind === 'typed') {
    const accepted = new Set((rv.answers || []).map(fold));
    fill(
      extra,
      el(
        'div',
        {},
        el('div', { class: 'mini-label', text: t('s.accepted') }),
        el('div', { class: 'chips' }, (rv.answers || []).map((a) => el('span', { class: 'ok', text: a }))),
      ),
      (rv.typed_top || []).length
        ? el(
          'div',
          {},
          el('div', { class: 'mini-label', text: t('s.topTyped') }),
          el(
            'div',
            { class: 'chips' },
            rv.typed_top.slice(0, 8).map((x) => el('span', { class: accepted.has(fold(x.text)) ? 'ok' : '' }, x.text, el('b', { text: num(x.count) }))),
          ),
        )
        : null,
    );
  }

  const ex = $('#explanation');
  const parts = [];
  if (rv.explanation) parts.push(el('div', { text: rv.explanation }));
  if (rv.source) parts.push(el('div', { class: 'src', text: t('s.source', { source: sourceLabel(rv.source) }) }));
  fill(ex, parts);

  // Let the bars grow from zero once they are on screen.
  requestAnimationFrame(() => {
    for (const b of bars.querySelectorAll('.bar')) b.querySelector('.fill').style.width = b.dataset.width;
  });
}

function bar(i, label, count, total, correct, cls) {
  const pct = Math.round((100 * count) / total);
  const node = el(
    'div',
    { class: `bar ${cls}${correct ? ' correct' : ''}`, dataset: { index: i, width: `${(100 * count) / total}%` } },
    el('div', { class: 'fill' }),
    cls.startsWith('opt-') ? badge(i) : el('span', { class: 'mark-typed' }, icon(i === 0 ? 'check' : 'cross')),
    el('span', { class: 'bar-text', text: label }),
    el(
      'span',
      { class: 'count-wrap' },
      el('span', { class: 'mark' }, icon('check')),
      el('span', { class: 'count' }, String(count)),
      el('span', { class: 'pct', text: `${pct}%` }),
    ),
  );
  return node;
}

/**
 * Text folded the way the server matches typed answers (case, spaces,
 * diacritics), only to mark the accepted ones among the most common.
 */
function fold(s) {
  return String(s)
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Shrinks the type of `section` until nothing overflows it. */
function fit(section) {
  let scale = 1;
  section.style.setProperty('--scale', '1');
  const over = () =>
    section.scrollHeight > section.clientHeight + 1 ||
    [...section.children].some((c) => c.offsetParent && c.scrollHeight > c.clientHeight + 1 && getComputedStyle(c).minHeight === '0px');
  while (over() && scale > 0.62) {
    scale -= 0.04;
    section.style.setProperty('--scale', scale.toFixed(2));
  }
}
window.addEventListener('resize', () => {
  if (body.dataset.view === 'motion') fit($('#s-motion'));
  else if (st && (st.phase === 'question' || st.phase === 'reveal')) fit($('#s-question'));
});

/** The countdown: reading time first, then answering time. */
function tick() {
  if (!st || st.phase !== 'question') return;
  const cd = $('#countdown');
  const numEl = $('#countdown-num');
  const arc = $('#countdown-arc');
  const reading = clock.reading();
  const left = reading ? clock.opensIn() : clock.closesIn();
  numEl.textContent = String(secs(left));
  if (!reading && left > 0 && left <= 5000 && secs(left) !== lastTick) {
    lastTick = secs(left);
    sounds.countdown(lastTick);
  }
  cd.toggleAttribute('data-reading', reading);
  cd.toggleAttribute('data-urgent', !reading && left > 0 && left <= 5000);
  cd.toggleAttribute('data-done', !reading && left <= 0);
  const frac = reading ? 1 : clock.fraction();
  arc.setAttribute('stroke-dasharray', `${(frac * 100).toFixed(2)} 100`);
  $('#tiles').toggleAttribute('data-reading', reading);
  // After a server restart: "Tiếp tục" before the time left runs again.
  const resumes = clock.resumesIn();
  const again = st.question && st.question.reasked ? t('q.reasked') : '';
  $('#s-resume').textContent = resumes > 0 ? t('q.resumesIn', { s: secs(resumes) }) : again;
}

function manageTicker() {
  const running = st && st.phase === 'question' && body.dataset.view === 'question';
  if (running && !ticker) ticker = setInterval(tick, 100);
  else if (!running && ticker) {
    clearInterval(ticker);
    ticker = null;
  }
}

// ---- leaderboard and podium -----------------------------------------------

function renderLeaderboard() {
  const rows = st.leaderboard || [];
  $('#lb-sub').textContent = lastIndex !== null ? t('s.afterQuestion', { n: lastIndex + 1, count: st.question_count }) : '';
  const board = $('#leaderboard');
  if (!rows.length) {
    fill(board, el('p', { class: 'empty-note', text: t('s.noRanking') }));
    return;
  }
  fill(
    board,
    rows.slice(0, 10).map((r) => {
      const before = lastBoard.get(String(r.id));
      const up = before ? before[1] - r.rank : 0;
      return el(
        'div',
        { class: `row${before ? '' : ' new'}`, dataset: { id: r.id, rank: r.rank } },
        el('span', { class: 'rank', text: String(r.rank) }),
        el(
          'span',
          { class: 'name' },
          r.name,
          up > 0 ? el('span', { class: 'delta', text: ` ▲${up}`, title: t('s.movedUp', { n: up }) }) : null,
        ),
        el('span', { class: 'score', text: num(r.score) }),
      );
    }),
  );
  animateBoard(board);
}

/**
 * Rank changes slide: each row starts where it was on the last
 * leaderboard and moves to its new place (FLIP). Nothing moves for
 * `prefers-reduced-motion`.
 */
function animateBoard(board) {
  const now = new Map();
  const moved = [];
  for (const row of board.querySelectorAll('.row')) {
    const top = row.offsetTop;
    now.set(row.dataset.id, [top, Number(row.dataset.rank)]);
    const before = lastBoard.get(row.dataset.id);
    if (before && before[0] !== top && !reducedMotion()) {
      row.classList.add('moving');
      row.style.transform = `translateY(${before[0] - top}px)`;
      moved.push(row);
    }
  }
  lastBoard = now;
  if (!moved.length) return;
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      for (const row of moved) {
        row.classList.remove('moving');
        row.style.transform = '';
      }
    }),
  );
}

function renderPodium() {
  const rows = st.leaderboard || [];
  const podium = $('#podium');
  if (!rows.length) {
    fill(podium, el('p', { class: 'empty-note', text: t('s.noRanking') }));
    return;
  }
  const top = rows.slice(0, 3);
  // Second, first, third: the classic podium.
  const order = [top[1], top[0], top[2]].filter(Boolean);
  const steps = order.map((r) => {
    // Colour and height follow the rank, so a tie shows as one.
    const place = Math.min(3, r.rank);
    return el(
      'div',
      { class: `step p${place} row`, dataset: { id: r.id, rank: r.rank } },
      el('div', { class: 'who name', text: r.name }),
      el('div', { class: 'pts' }, el('span', { class: 'score', text: num(r.score) }), ` ${t('s.points')}`),
      el('div', { class: 'block', text: String(r.rank) }),
    );
  });
  const rest = rows.slice(3, 10).map((r) =>
    el('span', { class: 'row', dataset: { id: r.id } }, el('b', { text: String(r.rank) }), el('span', { class: 'name', text: r.name }), el('i', { class: 'score', text: num(r.score) })),
  );
  fill(podium, el('div', { class: 'steps' }, steps), rest.length ? el('div', { class: 'rest' }, rest) : null);
}

// ---- start -------------------------------------------------------------

const soundButton = $('#sound-toggle');
function paintSound() {
  const on = sounds.enabled();
  soundButton.setAttribute('aria-pressed', String(on));
  soundButton.textContent = t(on ? 's.soundOn' : 's.soundOff');
}
soundButton.addEventListener('click', () => {
  sounds.toggle();
  paintSound();
});
onLangChange(paintSound);

// The host console compares its own window with this one to warn when it
// is itself on the projector (and would show the answer key to the room).
function reportSize() {
  store.set('handsup:screen-size', `${window.innerWidth}x${window.innerHeight}`);
}
reportSize();
window.addEventListener('resize', reportSize);

applyI18n();
bindToggle($('#lang-toggle'));
const repaintStatus = bindStatus(conn, $('#status'));
onLangChange(() => {
  builtKey = null;
  render();
  repaintStatus();
});
if (PIN) {
  conn.start();
  keepAwake();
}
else {
  fatal = { code: 'unknown_meeting' };
  render();
}
// The meeting clock on the header strip and the agenda view.
setInterval(activities.tick, 1000);
