// Helpers shared by the agenda, opinion and evaluation parts of the three
// pages: the meeting clock, the opinion count line, sorting the wall.

import { getLang, t } from '/assets/i18n.js';

/** "mm:ss" or "h:mm:ss" of a duration in milliseconds. */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * The meeting clock of an `agenda` view received at `receivedAt`
 * (performance.now()): counts on while the meeting is open.
 */
export function meetingElapsed(agenda, receivedAt) {
  if (!agenda || !agenda.opened_at) return 0;
  const running = !agenda.closed_at;
  return agenda.elapsed_ms + (running ? performance.now() - receivedAt : 0);
}

export function itemElapsed(agenda, receivedAt) {
  if (!agenda || agenda.current == null) return 0;
  return agenda.item_elapsed_ms + (performance.now() - receivedAt);
}

/** "{n} ý kiến, {k} đồng chí phát biểu" (Party wording only in a cell meeting). */
export function opinionCount(st) {
  const o = st.opinions;
  // `t` takes the `.party` form itself in a Party meeting (`state.wording`).
  return t('o.count', { n: o.count, k: o.speakers });
}

/** The wall of `item`, sorted newest first or by upvotes. */
export function wall(list, item, sort) {
  const xs = list.filter((o) => o.status === 'shown' && (item == null || o.item === item));
  if (sort === 'upvotes') xs.sort((a, b) => b.upvotes - a.upvotes || b.at - a.at);
  else xs.sort((a, b) => b.at - a.at || b.id - a.id);
  return xs;
}

/** The title of agenda item `i`, or ''. */
export function itemTitle(st, i) {
  const it = st.agenda && i != null ? st.agenda.items[i] : null;
  return it ? it.title : '';
}

/** A number with at most one decimal, written as each language writes it. */
export function dec(x) {
  const v = Math.round((Number(x) || 0) * 10) / 10;
  const s = Number.isInteger(v) ? String(v) : v.toFixed(1);
  return getLang() === 'vi' ? s.replace('.', ',') : s;
}

/**
 * `key` in the meeting's wording: `t` itself takes `key.party` in a Party
 * meeting (`state.wording`, set with `setWording`).
 */
export function tp(_st, key, params) {
  return t(key, params);
}
