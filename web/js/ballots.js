// Wording of election and discipline results, shared by the projector, the
// phones and the host console (docs/PROTOCOL.md, `state.motion.result`).
// Everything is built from the numbers the server sends and the page's
// catalogue: an election says TRÚNG CỬ / KHÔNG TRÚNG CỬ per candidate, never
// THÔNG QUA; a discipline ballot shows the arithmetic of its adding-up.

import { num, pct, t } from '/assets/i18n.js';

/** A fraction of a rule (`{num, den}`): "một nửa", "hai phần ba", or "3/5". */
function fraction(f, tt) {
  if (!f) return '';
  if (f.num === 1 && f.den === 2) return tt('r.half');
  if (f.num === 2 && f.den === 3) return tt('r.twoThirds');
  return `${num(f.num)}/${num(f.den)}`;
}

/** "trên một nửa", "ít nhất hai phần ba", "toàn bộ" from a rule's `threshold`. */
function threshold(th, tt) {
  if (th === 'more_than_half') return tt('r.th.more_than', { f: tt('r.half') });
  if (th === 'at_least_two_thirds') return tt('r.th.at_least', { f: tt('r.twoThirds') });
  const [kind, f] = Object.entries(th || {})[0] || [];
  if (kind === 'at_least' && f && f.num === f.den && f.den > 0) return tt('r.th.all');
  if (kind === 'more_than') return tt('r.th.more_than', { f: fraction(f, tt) });
  return tt('r.th.at_least', { f: fraction(f, tt) });
}

/**
 * A motion's rule (`motion.rule`: base, threshold, quorum) in words, in the
 * meeting's wording: "trên một nửa tổng số đảng viên chính thức được triệu
 * tập" in a Party meeting, "… thành viên …" otherwise. `quorum`: with the
 * quorum clause. `tt`: the translation function (the minutes pass theirs).
 */
export function ruleText(rule, { quorum = true, tt = t } = {}) {
  if (!rule) return '';
  let s = tt('r.rule', { threshold: threshold(rule.threshold, tt), base: tt(`r.base.${rule.base}`) });
  if (quorum && rule.quorum) {
    s += tt(rule.quorum_strict ? 'r.quorum.strict' : 'r.quorum', { q: `${num(rule.quorum.num)}/${num(rule.quorum.den)}` });
  }
  return s;
}

/** Why a decided motion passed or not (`result.outcome`), with its verdict. */
export function explainText(outcome, rule, tt = t) {
  if (!outcome) return '';
  const q = outcome.quorum && typeof outcome.quorum === 'object' ? outcome.quorum : {};
  let body;
  switch (outcome.reason) {
    case 'no_quorum_at_open': {
      const d = q.not_met_at_open || {};
      body = tt('r.x.no_quorum_at_open', { needed: num(d.needed_present), present: num(d.present_at_open) });
      break;
    }
    case 'quorum_lost_before_close': {
      const d = q.lost_before_close || {};
      body = tt('r.x.quorum_lost_before_close', { needed: num(d.needed_present), present: num(d.present_at_close) });
      break;
    }
    case 'nobody_eligible':
    case 'nobody_present':
    case 'no_votes_cast':
    case 'invalid_rule':
    case 'inconsistent_tally':
      body = tt(`r.x.${outcome.reason}`);
      break;
    default:
      body = tt('r.x.count', {
        required: num(outcome.required),
        base: num(outcome.base_size),
        rule: ruleText(rule, { quorum: false, tt }),
        approve: num(outcome.approve),
      });
  }
  return tt('r.x.verdict', { body, verdict: tt(outcome.passed ? 'r.passed' : 'r.notPassed') });
}

/** The line under a motion's text saying how it is decided. */
export function ruleLine(m) {
  const rule = t('v.rule', { rule: ruleText(m.rule) });
  if (m.kind === 'election') return `${t('v.election.seats', { seats: num(m.seats), n: num(m.options.length) })} · ${rule}`;
  if (m.kind === 'discipline') return t('v.discipline.ruleShort');
  return rule;
}

/**
 * How an option looks: approving, rejecting, abstaining, or a plain option
 * (a poll, a penalty; "no penalty" looks like an abstention).
 */
export function optionRole(m, i) {
  if (m.kind === 'discipline') return i === m.abstain ? 'abstain' : 'option';
  if (m.kind === 'election') return 'option';
  if (!m.decide) return 'option';
  if (i === m.approve) return 'approve';
  if (i === m.abstain) return 'abstain';
  return 'reject';
}

const STANDING = { elected: 'v.elected', not_elected: 'v.notElected', tied: 'v.tied' };

/** A quorum that failed (`outcome.quorum` shape), as a line; '' when met or not required. */
function quorumLost(q) {
  if (!q || typeof q === 'string') return '';
  const [kind, d] = Object.entries(q)[0] || [];
  if (kind !== 'not_met_at_open' && kind !== 'lost_before_close') return '';
  const present = kind === 'not_met_at_open' ? d.present_at_open : d.present_at_close;
  return t(`v.quorum.${kind}`, { needed: num(d.needed_present), present: num(present) });
}

/** One row per candidate: {name, votes, standing, label, detail, percent}. */
export function electionRows(m) {
  const r = m.result;
  const e = r && r.election;
  if (!e) return [];
  return m.options.map((name, i) => {
    const c = e.candidates[i] || { votes: 0, standing: 'not_elected' };
    const p = (r.percent_of_base || [])[i] || 0;
    return {
      name,
      votes: c.votes,
      standing: c.standing,
      label: t(STANDING[c.standing] || 'v.notElected'),
      detail: t('v.election.row', { votes: num(c.votes), pct: pct(p), base: num(e.base) }),
      percent: p,
    };
  });
}

/** The lines under an election's result: the rule, seats filled, ties, what is left. */
export function electionFacts(m) {
  const r = m.result;
  const e = r && r.election;
  if (!e) return [];
  const facts = [
    quorumLost(e.quorum),
    t('v.election.rule', { base: num(e.base), required: num(e.required) }),
    t('v.election.filled', { elected: num(e.elected), seats: num(e.seats) }),
  ];
  if (e.tied_seats) facts.push(t('v.election.tie', { n: num(e.tied_seats) }));
  if (e.remaining_seats) facts.push(t('v.election.remaining', { n: num(e.remaining_seats) }));
  if (m.options.length === 1) {
    // One candidate: the ballot was Đồng ý / Không đồng ý.
    facts.push(t('v.election.single', { agree: num(e.candidates[0].votes), disagree: num(r.blank) }));
    if (r.invalid) facts.push(t('v.election.blankInvalid', { blank: num(r.blank), invalid: num(r.invalid) }));
  } else if (r.blank || r.invalid) {
    facts.push(t('v.election.blankInvalid', { blank: num(r.blank), invalid: num(r.invalid) }));
  }
  return facts.filter(Boolean);
}

/** The penalty decided, in capitals, or KHÔNG KỶ LUẬT. */
export function disciplineVerdict(m) {
  const d = m.result && m.result.discipline;
  if (!d || d.decided === null || d.decided === undefined) return t('v.discipline.none');
  return String(m.options[d.decided] || '').toLocaleUpperCase('vi');
}

/** The arithmetic: each penalty alone, then the adding-up when it was needed. */
export function disciplineLines(m) {
  const d = m.result && m.result.discipline;
  if (!d) return [];
  const ok = (x) => t(x ? 'v.discipline.ok' : 'v.discipline.notOk');
  const lines = [quorumLost(d.quorum), t('v.discipline.rule', { base: num(d.base) })].filter(Boolean);
  for (const s of d.alone || []) {
    lines.push(t('v.discipline.alone', { penalty: m.options[s.penalty], votes: num(s.votes), required: num(s.required), ok: ok(s.reached) }));
  }
  if ((d.steps || []).length) {
    lines.push(t('v.discipline.addingUp'));
    for (const s of d.steps) {
      const parts = d.alone.slice(0, s.penalty + 1).map((a) => num(a.votes));
      lines.push(t('v.discipline.step', { penalty: m.options[s.penalty], sum: parts.join(' + '), total: num(s.cumulative), required: num(s.required), ok: ok(s.reached) }));
    }
    if (d.decided === null || d.decided === undefined) lines.push(t('v.discipline.noneReached'));
  }
  if (d.proposal) lines.push(t('v.discipline.proposal'));
  return lines;
}

/** The big verdict of a closed motion of any kind. */
export function verdictText(m) {
  const r = m.result;
  if (m.kind === 'election') return t('v.electionResult');
  if (m.kind === 'discipline') return disciplineVerdict(m);
  return r.decision === 'passed' ? t('v.passed') : r.decision === 'not_passed' ? t('v.notPassed') : t('v.pollResult');
}

/** `data-decision` for styling: passed / not_passed / poll / election / discipline. */
export function verdictKind(m) {
  if (m.kind === 'election') return 'election';
  if (m.kind === 'discipline') {
    const d = m.result.discipline;
    return d && d.decided !== null && d.decided !== undefined ? 'passed' : 'not_passed';
  }
  return m.result.decision || 'poll';
}
