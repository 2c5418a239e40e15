// The projector's agenda, opinion wall and evaluation views, and the strip
// in its header with the current agenda item and the meeting clock. The
// chair chooses the view (`state.screen`); text from members is set with
// textContent only.

import { num, pct, t } from '/assets/i18n.js';
import { $, el, fill } from '/assets/js/ui.js';
import { dec, duration, itemElapsed, itemTitle, meetingElapsed, opinionCount, tp, wall } from '/assets/js/meeting-common.js';

let st = null;
let receivedAt = 0;

/** Views this module draws (values of `state.screen`). */
const OWN = ['agenda', 'opinions', 'evaluation'];

/**
 * Takes a new state; returns the view to show when the chair chose one of
 * this module's views, else null (the projector decides as before).
 */
export function update(state, setView) {
  st = state;
  receivedAt = performance.now();
  renderStrip();
  if (st.phase === 'ended' || !OWN.includes(st.screen)) return false;
  if (st.screen === 'agenda') renderAgenda();
  if (st.screen === 'opinions') renderOpinions();
  if (st.screen === 'evaluation') renderEvaluation();
  setView(st.screen);
  return true;
}

/** Redraws what depends on the language. */
export function relabel() {
  if (st) update(st, (v) => { document.body.dataset.view = v; });
}

function clockText() {
  const a = st.agenda;
  if (!a.opened_at) return t('a.notOpened');
  return t('a.clockOf', { elapsed: duration(meetingElapsed(a, receivedAt)), min: a.minimum_minutes });
}

function renderStrip() {
  const strip = $('#s-agenda-strip');
  const a = st && st.agenda;
  strip.hidden = !a || !a.template;
  if (strip.hidden) return;
  $('#s-item').textContent = a.current != null ? itemTitle(st, a.current) : a.closed_at ? t('a.closed') : '';
  $('#s-clock').textContent = clockText();
  strip.classList.toggle('short', !!a.opened_at && meetingElapsed(a, receivedAt) < a.minimum_minutes * 60000);
}

function renderAgenda() {
  const a = st.agenda;
  $('#sa-clock').textContent = clockText();
  fill(
    $('#sa-items'),
    a.items.map((it, i) => {
      const state = it.ended_at ? 'done' : i === a.current ? 'running' : 'todo';
      return el(
        'li',
        { class: `sa-item ${state}`, dataset: { state } },
        el('span', { class: 'sa-n', text: String(i + 1) }),
        el('span', { class: 'sa-title', text: it.title }),
        el('span', { class: 'sa-who', text: it.presenter }),
        el('span', {
          class: 'sa-time',
          text: state === 'running' ? duration(itemElapsed(a, receivedAt)) : it.minutes ? t('a.planned', { n: it.minutes }) : '',
        }),
      );
    }),
  );
}

function opinionCard(o, big) {
  return el(
    'article',
    { class: `so-card${big ? ' pinned' : ''}${o.answered ? ' answered' : ''}`, dataset: { id: o.id } },
    el('p', { class: 'so-text', text: o.text }),
    el(
      'footer',
      {},
      el('span', { class: 'so-name', text: o.name || t('o.anonymous') }),
      o.answered ? el('span', { class: 'so-tag', text: t('o.answered') }) : null,
      el('span', { class: 'so-up', text: t('o.upvotes', { n: num(o.upvotes) }) }),
    ),
  );
}

function renderOpinions() {
  const o = st.opinions;
  $('#so-item').textContent = o.item != null ? itemTitle(st, o.item) : '';
  $('#so-count').textContent = opinionCount(st);
  const pinned = o.list.find((x) => x.id === o.pinned && x.status === 'shown');
  fill($('#so-pinned'), pinned ? opinionCard(pinned, true) : null);
  const rest = wall(o.list, o.item, o.settings.sort).filter((x) => !pinned || x.id !== pinned.id);
  fill($('#so-wall'), rest.length || pinned ? rest.slice(0, 12).map((x) => opinionCard(x, false)) : el('p', { class: 'so-empty', text: t('o.none') }));
}

function renderEvaluation() {
  const e = st.evaluation;
  $('#se-status').textContent = t(`e.status.${e.status}`);
  $('#se-scored').textContent = e.mode === 'members' ? t('e.scored', { n: num(e.scored) }) : '';
  const rows = e.form.criteria.map((c, i) => {
    const stat = e.stats && e.stats[i];
    const score = e.result ? e.result.scores[i] : null;
    let fact = '';
    if (c.fact === 'attendance') {
      const f = e.facts.attendance;
      fact = `${t('e.fact.attendance', { present: num(f.present), convened: num(f.convened), pct: pct(f.percent), absent: num(f.absent_without_reason) })} · ${t(f.met ? 'e.fact.met' : 'e.fact.notMet')}`;
    } else if (c.fact === 'length') {
      const f = e.facts.length;
      fact = `${t('e.fact.length', { minutes: num(f.minutes), min: num(f.minimum) })} · ${t(f.met ? 'e.fact.met' : 'e.fact.notMet')}`;
    }
    return el(
      'tr',
      {},
      el('td', { class: 'se-n', text: String(i + 1) }),
      el('td', {}, el('div', { text: c.title }), fact ? el('div', { class: 'se-fact', text: fact }) : null),
      el('td', { class: 'se-num', text: score == null ? '' : dec(score) }),
      el('td', { class: 'se-num', text: stat && stat.count ? t('e.meanSpread', { mean: dec(stat.mean), spread: dec(stat.spread) }) : '' }),
      el('td', { class: 'se-num', text: num(c.max) }),
    );
  });
  fill($('#se-rows'), rows);
  const r = e.result;
  $('#se-total').textContent = r ? t('e.total', { total: dec(r.total), max: e.total_max }) : '';
  const band = $('#se-band');
  band.textContent = r ? t(`e.band.${r.band}`) : '';
  band.dataset.band = r ? r.band : '';
  $('#se-approved').textContent = r && r.approved != null ? tp(st, r.approved ? 'e.approved' : 'e.notApproved') : '';
}

/** Once a second: the clocks. */
export function tick() {
  if (!st || !st.agenda || !st.agenda.opened_at) return;
  $('#s-clock').textContent = clockText();
  if (document.body.dataset.view === 'agenda') {
    $('#sa-clock').textContent = clockText();
    const running = document.querySelector('.sa-item.running .sa-time');
    if (running) running.textContent = duration(itemElapsed(st.agenda, receivedAt));
  }
}
