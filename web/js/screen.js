// The projector at /screen/{PIN}: read-only, sized for 1920×1080 and
// readable at 1366×768. It never scrolls: long questions shrink their type
// (down to a floor) until the view fits.

import { applyI18n, bindToggle, errorText, num, onLangChange, t } from '/assets/i18n.js';
import { Connection, pinFromPath } from '/assets/net.js';
import { $, badge, bindStatus, el, fill, icon, QuestionClock, secs, showPin } from '/assets/js/ui.js';

const PIN = pinFromPath();
const body = document.body;
const conn = new Connection({ role: 'screen', pin: PIN, hello: () => ({}) });
const clock = new QuestionClock();

let st = null;
let live = { joined: 0, connected: 0, recent: [], answered: 0 };
let fatal = null;
/** The index of the last question shown, for "after question 3 of 8". */
let lastIndex = null;
let builtKey = null;
let ticker = null;

conn.on('state', (s) => {
  st = s;
  if (s.question) lastIndex = s.question.index;
  clock.update(s.question);
  render();
});
conn.on('live', (l) => {
  live = l;
  renderLive();
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

  const key = `${q.index}:${st.phase}`;
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
  if (rv.source) parts.push(el('div', { class: 'src', text: t('s.source', { source: rv.source }) }));
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
  if (st && (st.phase === 'question' || st.phase === 'reveal')) fit($('#s-question'));
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
  cd.toggleAttribute('data-reading', reading);
  cd.toggleAttribute('data-urgent', !reading && left > 0 && left <= 5000);
  cd.toggleAttribute('data-done', !reading && left <= 0);
  const frac = reading ? 1 : clock.fraction();
  arc.setAttribute('stroke-dasharray', `${(frac * 100).toFixed(2)} 100`);
  $('#tiles').toggleAttribute('data-reading', reading);
}

function manageTicker() {
  const running = st && st.phase === 'question';
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
    rows.slice(0, 10).map((r) =>
      el(
        'div',
        { class: 'row', dataset: { id: r.id, rank: r.rank } },
        el('span', { class: 'rank', text: String(r.rank) }),
        el('span', { class: 'name', text: r.name }),
        el('span', { class: 'score', text: num(r.score) }),
      ),
    ),
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

applyI18n();
bindToggle($('#lang-toggle'));
const repaintStatus = bindStatus(conn, $('#status'));
onLangChange(() => {
  builtKey = null;
  render();
  repaintStatus();
});
if (PIN) conn.start();
else {
  fatal = { code: 'unknown_meeting' };
  render();
}
