// The minutes (biên bản) of a meeting, for A4: /host/meetings/{PIN}/minutes.
//
// GETs the meeting's record (/api/meetings/{PIN}/export.json) with the host
// secret (kept by the console in localStorage; a `#secret=` fragment signs
// in, as on /host) and lays out the minutes in Vietnamese, the document's
// language, whatever the page's. The toolbar, the details form and the
// export buttons follow the page's language and are not printed.
//
// Whatever the meeting did not use (agenda, quiz, votes, evaluation) is left
// out, not shown empty. A Party meeting (agenda.party) gets the Party's
// headings and "đồng chí"; any other the neutral "BIÊN BẢN CUỘC HỌP".

import { applyI18n, bindToggle, errorText, onLangChange, setWording, t, tr } from '/assets/i18n.js';
import { explainText, ruleText } from '/assets/js/ballots.js';
import { store } from '/assets/net.js';
import { $, el, fill } from '/assets/js/ui.js';

const SECRET_KEY = 'handsup:secret';
const SHEETS = ['tong-quan', 'diem-danh', 'trac-nghiem', 'xep-hang', 'y-kien', 'bieu-quyet', 'danh-gia'];
const FIELDS = ['committee', 'cell', 'place', 'chair', 'secretary', 'guests', 'topic', 'approved'];
/** The document's language. */
const DOC_LANG = 'vi';

const PIN = (location.pathname.match(/\/meetings\/(\d{6})\/minutes/) || [])[1] || '';
const body = document.body;
let secret = store.get(SECRET_KEY);
let rec = null;

// A secret in the fragment signs in once, then leaves the address bar.
{
  const m = location.hash.match(/(?:^#|&)secret=([^&]+)/);
  if (m) {
    secret = decodeURIComponent(m[1]);
    store.set(SECRET_KEY, secret);
    history.replaceState(null, '', location.pathname + location.search);
  }
}

/** A string of the document. */
const D = (key, params) => tr(DOC_LANG, key, params);
/** The Party's wording of a key when it has one and the meeting is a Party one. */
const P = (key, params) => D(rec.party ? `${key}.party` : key, params);

function setView(view) {
  body.dataset.view = view;
}

function showError(message) {
  setView('error');
  $('#minutes-error').textContent = message;
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

async function api(path, init = {}) {
  return fetch(path, { ...init, headers: { ...(init.headers || {}), authorization: `Bearer ${secret}` } });
}

async function load() {
  $('#minutes-error').textContent = '';
  if (!PIN) return showError(t('mn.noPin'));
  if (!secret) return askSecret();
  setView('loading');
  let r;
  try {
    r = await api(`/api/meetings/${PIN}/export.json`);
  } catch {
    return showError(t('err.network'));
  }
  if (r.status === 401) {
    store.remove(SECRET_KEY);
    secret = null;
    return askSecret(t('h.wrongSecret'));
  }
  if (r.status === 404) return showError(t('err.unknown_meeting'));
  if (!r.ok) return showError(t('mn.loadFailed', { message: String(r.status) }));
  rec = await r.json();
  setWording(rec.party ? 'party' : 'neutral');
  fillForm();
  render();
}

// ---- dates and numbers ------------------------------------------------------

const two = (n) => String(n).padStart(2, '0');

/** Date parts as Nghị định 30/2020 writes them: a day below 10 and the
 * months 1 and 2 with a leading zero ("ngày 05 tháng 02", "tháng 11"). */
function parts(ms) {
  const d = new Date(ms);
  const m = d.getMonth() + 1;
  return { d: two(d.getDate()), m: m < 3 ? two(m) : String(m), y: d.getFullYear(), h: two(d.getHours()), min: two(d.getMinutes()) };
}

function stamp(ms) {
  const p = parts(ms);
  return `${p.h}:${p.min} ${p.d}/${p.m}/${p.y}`;
}

/** One decimal, with the document's decimal comma. */
function pct(x) {
  const s = (Math.round(Number(x) * 10) / 10).toString();
  return DOC_LANG === 'vi' ? s.replace('.', ',') : s;
}

const dots = '…………';

// ---- the document -------------------------------------------------------------

function heading() {
  const d = rec.details;
  const date = parts(rec.agenda?.opened_at || rec.created_at);
  const left = rec.party
    ? [
      d.committee ? el('p', { class: 'mn-org', text: D('mn.d.committee', { name: d.committee.toUpperCase() }) }) : null,
      el('p', { class: 'mn-org mn-bold', text: D('mn.d.cell', { name: (d.cell || dots).toUpperCase() }) }),
      el('p', { class: 'mn-star', text: '*' }),
    ]
    : [
      d.committee ? el('p', { class: 'mn-org', text: d.committee.toUpperCase() }) : null,
      d.cell ? el('p', { class: 'mn-org mn-bold', text: d.cell.toUpperCase() }) : null,
    ];
  const right = rec.party
    ? [el('p', { class: 'mn-bold', text: D('mn.d.party') }), el('hr', { class: 'mn-rule' })]
    : [
      el('p', { class: 'mn-bold', text: D('mn.d.state') }),
      el('p', { class: 'mn-bold', text: D('mn.d.motto') }),
      el('hr', { class: 'mn-rule' }),
    ];
  right.push(el('p', { class: 'mn-dateline', text: D('mn.d.dateline', { place: d.place || dots, ...date }) }));
  const topical = rec.agenda?.template === 'topical';
  return [
    el('header', { class: 'mn-heading' }, el('div', {}, left), el('div', {}, right)),
    rec.party
      ? [
        el('p', { class: 'mn-title', text: D('mn.d.title') }),
        el('p', { class: 'mn-subtitle', text: D(topical ? 'mn.d.sub.topical' : 'mn.d.sub.regular', date) }),
      ]
      : [
        el('p', { class: 'mn-title', text: D('mn.d.title.neutral') }),
        el('p', { class: 'mn-subtitle', text: rec.title }),
      ],
    d.topic ? el('p', { class: 'mn-draft', text: D('mn.d.topic', { topic: d.topic }) }) : null,
    rec.status !== 'ended' ? el('p', { class: 'mn-draft', text: D('mn.d.draft', { time: stamp(rec.snapshot_at) }) }) : null,
  ];
}

function timePlace() {
  const start = rec.agenda?.opened_at || rec.created_at;
  return [
    el('h2', { text: D('mn.d.s1') }),
    el('p', { text: D('mn.d.start', parts(start)) }),
    el('p', { text: D('mn.d.place', { place: rec.details.place || dots }) }),
  ];
}

const STATUSES = ['official', 'probationary', 'exempt', 'attached', 'visiting', 'suspended'];

function byStatus(rows) {
  return STATUSES.map((s) => [s, rows.filter((r) => r.status === s).length])
    .filter(([, n]) => n > 0)
    .map(([s, n]) => D(`mn.d.st.${s}`, { n }))
    .join('; ');
}

function attendance() {
  const d = rec.details;
  const out = [
    el('h2', { text: D('mn.d.s2') }),
    el('p', { text: P('mn.d.chair', { name: d.chair || dots }) }),
    el('p', { text: P('mn.d.secretary', { name: d.secretary || dots }) }),
  ];
  const guests = [d.guests, ...rec.guests].filter(Boolean).join(', ');
  if (guests) out.push(el('p', { text: D('mn.d.guests', { names: guests }) }));
  if (!rec.roster.length) {
    const present = rec.members.filter((m) => m.present).length;
    out.push(el('p', { text: D('mn.d.attendees', { n: present }) }));
    return out;
  }
  // Only the convened are counted absent: official and probationary
  // members, and exempt members who came (RULES.md; `Attendance` in
  // docs/PROTOCOL.md). The others each have their own line.
  const convened = (r) => r.status === 'official' || r.status === 'probationary' || (r.status === 'exempt' && r.present);
  const a = rec.attendance;
  const members = rec.roster.filter((r) => r.status !== 'visiting');
  const present = members.filter((r) => r.present);
  out.push(el('p', { text: P('mn.d.total', { n: members.length, detail: byStatus(members) }) }));
  out.push(el('p', { text: P('mn.d.present', { n: present.length, detail: byStatus(present) }) }));
  if (a && a.convened) out.push(el('p', { text: P('mn.d.rate', { pct: a.rate.toLocaleString(DOC_LANG), base: a.convened }) }));
  const visiting = rec.roster.filter((r) => r.status === 'visiting' && r.present);
  if (visiting.length) {
    out.push(el('p', { text: P('mn.d.visiting', { n: visiting.length, names: visiting.map((r) => r.name).join(', ') }) }));
  }
  const absent = rec.roster.filter((r) => !r.present && convened(r));
  const excused = absent.filter((r) => r.excused || r.reason);
  const unexcused = absent.filter((r) => !r.excused && !r.reason);
  if (!absent.length) out.push(el('p', { text: D('mn.d.absentNone') }));
  if (excused.length) {
    const names = excused.map((r) => (r.reason ? D('mn.d.absentWith', { name: r.name, reason: r.reason }) : r.name));
    out.push(el('p', { text: D('mn.d.absentReason', { n: excused.length, names: names.join(', ') }) }));
  }
  if (unexcused.length) {
    out.push(el('p', { text: D('mn.d.absentNoReason', { n: unexcused.length, names: unexcused.map((r) => r.name).join(', ') }) }));
  }
  // Not convened and not here: exempt, attending elsewhere, suspended,
  // visiting members who did not come. Never absent.
  const away = rec.roster.filter((r) => !r.present && !convened(r));
  if (away.length) {
    const names = away.map((r) => {
      const status = r.status === 'visiting' && rec.party ? D('st.visiting.party') : D(`st.${r.status}`);
      const why = r.reason ? `${status.toLocaleLowerCase('vi')}; ${r.reason}` : status.toLocaleLowerCase('vi');
      return D('mn.d.absentWith', { name: r.name, reason: why });
    });
    out.push(el('p', { text: D('mn.d.notCounted', { n: away.length, names: names.join(', ') }) }));
  }
  return out;
}

function opinionLine(o) {
  if (!o.name) return D('mn.d.anonymous', { text: o.text });
  return P('mn.d.opinion', { name: o.name, text: o.text });
}

function items() {
  const a = rec.agenda;
  if (!a || !a.items.length) return [];
  const out = [
    el('p', { class: 'mn-bold', text: D('mn.d.agenda') }),
    el('ol', {}, a.items.map((i) => el('li', { text: i.title }))),
  ];
  for (const i of a.items) {
    const opinions = rec.opinions.filter((o) => o.item === i.index);
    if (!i.presenter && !opinions.length && !i.conclusion) continue;
    out.push(el('h3', { text: D('mn.d.item', { n: i.index + 1, title: i.title }) }));
    if (i.presenter) out.push(el('p', { text: D('mn.d.presenter', { name: i.presenter }) }));
    if (opinions.length) {
      out.push(el('p', { text: D('mn.d.opinions') }));
      out.push(el('ul', {}, opinions.map((o) => el('li', { text: opinionLine(o) }))));
    }
    if (i.conclusion) out.push(el('p', { text: D('mn.d.conclusion', { text: i.conclusion }) }));
  }
  return out;
}

function baseOf(res) {
  return res.outcome?.base_size ?? res.election?.base ?? res.discipline?.base ?? res.voted;
}

function motionResult(m) {
  const res = m.result;
  if (!res) return D('mn.d.notClosed');
  if (res.decision === 'passed') return D('mn.d.passed');
  if (res.decision === 'not_passed') return D('mn.d.notPassed');
  return D('mn.d.poll');
}

const STANDING = { elected: 'mn.d.elected', not_elected: 'mn.d.notElected', tied: 'mn.d.tied' };

function motion(m) {
  const out = [el('h3', { text: D('mn.d.motion', { n: m.id, text: m.text }) })];
  out.push(el('p', { text: D(m.ballot === 'secret' ? 'mn.d.ballot.secret' : 'mn.d.ballot.open') }));
  const res = m.result;
  if (!res) {
    out.push(el('p', { class: 'mn-result', text: D('mn.d.result', { result: D('mn.d.notClosed') }) }));
    return out;
  }
  const base = baseOf(res);
  out.push(el('p', { text: D('mn.d.base', { base, present: res.present_at_close, voted: res.voted }) }));
  out.push(el('ul', {}, m.options.map((option, i) => {
    const standing = res.election?.candidates?.[i]?.standing;
    const line = D('mn.d.count', { option, n: res.counts[i] ?? 0, base, pct: pct(res.percent_of_base[i] ?? 0) });
    return el('li', { text: standing ? `${line}: ${D(STANDING[standing] || 'mn.d.notElected')}` : line });
  })));
  out.push(el('p', { text: D('mn.d.rule', { rule: ruleText(m.rule, { tt: D }) }) }));
  if (res.discipline) {
    const d = res.discipline.decided;
    out.push(el('p', { class: 'mn-result', text: d === null || d === undefined ? D('mn.d.noPenalty') : D('mn.d.penalty', { penalty: m.options[d] }) }));
  } else if (!res.election) {
    out.push(el('p', { class: 'mn-result', text: D('mn.d.result', { result: motionResult(m) }) }));
  }
  if (res.outcome) out.push(el('p', { text: explainText(res.outcome, m.rule, D) }));
  for (const r of m.reservations || []) {
    out.push(el('p', { text: P('mn.d.reservation', { name: r.name, text: r.text }) }));
  }
  if (m.ballot === 'open' && m.voters?.length) out.push(el('p', { class: 'mn-hint', text: D('mn.d.annexRef') }));
  return out;
}

function motions() {
  if (!rec.motions.length) return [];
  return [el('p', { class: 'mn-bold', text: D('mn.d.motions') }), rec.motions.map(motion)];
}

function quiz() {
  const q = rec.quiz;
  if (!q) return [];
  const top = q.ranking.slice(0, 3).map((r) => D('mn.d.topRow', { rank: r.rank, name: r.name, score: r.score }));
  return [
    el('p', { class: 'mn-bold', text: D('mn.d.quiz') }),
    el('p', { text: D('mn.d.quizLine', { questions: q.questions.length, participants: q.participants, members: rec.members.length }) }),
    top.length ? el('p', { text: D('mn.d.top', { list: top.join('; ') }) }) : null,
  ];
}

function evaluation() {
  const e = rec.evaluation;
  if (!e || !e.result) return [];
  const r = e.result;
  return [
    el('p', { class: 'mn-bold', text: D('mn.d.evaluation') }),
    el('ul', {}, e.form.criteria.map((c, i) => el('li', { text: D('mn.d.criterion', { title: c.title, score: pct(r.scores[i] ?? 0), max: c.max }) }))),
    el('p', { class: 'mn-result', text: D('mn.d.evalTotal', { score: pct(r.total), max: e.total_max, band: D(`mn.d.band.${r.band}`) }) }),
  ];
}

function closing() {
  const end = rec.agenda?.closed_at || rec.ended_at;
  const present = rec.roster.length
    ? rec.roster.filter((r) => r.present).length
    : rec.members.filter((m) => m.present).length;
  const approved = rec.details.approved;
  return [
    el('h2', { text: D('mn.d.s4') }),
    end ? el('p', { text: D('mn.d.closed', parts(end)) }) : null,
    el('p', { text: P('mn.d.approved', { n: approved ?? dots, of: present }) }),
    el(
      'div',
      { class: 'mn-signatures' },
      el('div', {}, el('p', { class: 'mn-bold', text: D('mn.d.secretarySign') }), el('p', { class: 'mn-hint', text: D('mn.d.signHint') }),
        el('p', { class: 'mn-sign-name', text: rec.details.secretary || '' })),
      el('div', {}, el('p', { class: 'mn-bold', text: D('mn.d.chairSign') }), el('p', { class: 'mn-hint', text: D('mn.d.signHint') }),
        el('p', { class: 'mn-sign-name', text: rec.details.chair || '' })),
    ),
  ];
}

function annex() {
  const open = rec.motions.filter((m) => m.ballot === 'open' && m.voters?.length);
  if (!open.length) return [];
  return el(
    'section',
    { class: 'mn-annex' },
    el('p', { class: 'mn-title', text: D('mn.d.annex') }),
    open.map((m) => [
      el('h3', { text: D('mn.d.motion', { n: m.id, text: m.text }) }),
      el('ol', {}, m.voters.map((v) => el('li', { text: D('mn.d.voter', { name: v.name, option: m.options[v.option] ?? '' }) }))),
    ]),
  );
}

function render() {
  if (!rec) return;
  document.title = `${t('mn.title')} · ${rec.title} · Handsup`;
  $('#minutes-heading').textContent = `${t('mn.title')} · ${rec.title}`;
  $('#minutes-snapshot').textContent = rec.status === 'ended' ? '' : t('mn.snapshot', { time: stamp(rec.snapshot_at) });
  fill(
    $('#doc'),
    heading(),
    timePlace(),
    attendance(),
    el('h2', { text: D('mn.d.s3') }),
    items(),
    motions(),
    quiz(),
    evaluation(),
    closing(),
    annex(),
  );
  renderExports();
  $('#minutes-tools').hidden = false;
  $('#print').disabled = false;
  setView('ready');
}

// ---- details and exports ------------------------------------------------------

function fillForm() {
  for (const f of FIELDS) {
    const v = rec.details[f];
    $(`#d-${f}`).value = v === null || v === undefined ? '' : String(v);
  }
  // One reason per roster member absent (approved absences first).
  const absent = rec.roster.filter((r) => !r.present).sort((a, b) => Number(b.excused) - Number(a.excused));
  $('#d-reasons').hidden = !absent.length;
  fill(
    $('#d-reasons-list'),
    absent.map((r) => el(
      'div',
      { class: 'field' },
      el('label', { for: `d-reason-${r.code}`, text: t('mn.f.reason', { name: r.name }) }),
      el('input', { id: `d-reason-${r.code}`, class: 'input d-reason', maxlength: 200, dataset: { code: r.code }, value: rec.details.reasons?.[r.code] || '' }),
    )),
  );
}

$('#details-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const details = {};
  for (const f of FIELDS) {
    const v = $(`#d-${f}`).value.trim();
    if (f === 'approved') details[f] = v === '' ? null : Math.max(0, Math.floor(Number(v)) || 0);
    else details[f] = v;
  }
  details.reasons = {};
  for (const input of document.querySelectorAll('.d-reason')) {
    const v = input.value.trim();
    if (v) details.reasons[input.dataset.code] = v;
  }
  $('#details-status').textContent = '';
  let r;
  try {
    r = await api(`/api/meetings/${PIN}/minutes`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(details),
    });
  } catch {
    $('#details-status').textContent = t('err.network');
    return;
  }
  if (!r.ok) {
    const j = await r.json().catch(() => ({}));
    const why = j.error ? errorText({ code: j.error, message: String(r.status), params: j.params }) : String(r.status);
    $('#details-status').textContent = t('mn.saveFailed', { message: why });
    return;
  }
  $('#details-status').textContent = t('mn.saved');
  await load();
});

/** Downloads an export with the secret (a plain link could not send it). */
async function download(path, name) {
  const r = await api(path);
  if (!r.ok) throw new Error(String(r.status));
  const url = URL.createObjectURL(await r.blob());
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function renderExports() {
  const button = (label, path, name) => el('button', {
    class: 'btn',
    type: 'button',
    text: label,
    onclick: () => download(path, name).catch((err) => {
      $('#minutes-error').textContent = t('mn.loadFailed', { message: err.message });
    }),
  });
  fill(
    $('#exports'),
    button(t('mn.xlsx'), `/api/meetings/${PIN}/export.xlsx`, `handsup-${PIN}.xlsx`),
    button(t('mn.json'), `/api/meetings/${PIN}/export.json`, `handsup-${PIN}.json`),
    SHEETS.map((s) => button(t('mn.csv', { sheet: t(`mn.sheet.${s}`) }), `/api/meetings/${PIN}/export/${s}.csv`, `handsup-${PIN}-${s}.csv`)),
  );
}

$('#print').addEventListener('click', async () => {
  // The embedded font must be loaded before printing, or the paper falls back.
  await document.fonts.ready;
  window.print();
});

applyI18n();
bindToggle($('#lang-toggle'));
onLangChange(render);
load();
