// The member page's opinions and evaluation: send an opinion on the running
// agenda item, follow and upvote the wall, score the meeting. Shown below
// the lobby, leaderboard and podium (not over a question or a vote). Text
// from members is set with textContent only.

import { errorText, num, t } from '/assets/i18n.js';
import { $, busy, el, fill } from '/assets/js/ui.js';
import { dec, itemTitle, opinionCount, wall } from '/assets/js/meeting-common.js';

/** Views under which the activities stay out of the way. */
const BUSY_VIEWS = ['loading', 'join', 'question', 'reveal', 'motion', 'stopped', 'ended'];

export function createMemberActivities(send) {
  const root = $('#m-activities');
  let st = null;
  let me = null;
  let sort = 'newest';
  /** The form the score inputs were built for. */
  let formKey = null;

  fill(
    root,
    el(
      'div',
      { class: 'card', id: 'ma-opinions' },
      el('h2', { class: 'section-title', id: 'ma-item' }),
      el('p', { class: 'hint', id: 'ma-count' }),
      el(
        'form',
        { class: 'form', id: 'op-form', novalidate: true },
        el('label', { for: 'op-text', class: 'label', id: 'op-label' }),
        el('textarea', { id: 'op-text', class: 'input textarea', maxlength: 1000, rows: 3 }),
        el('p', { id: 'op-error', class: 'error', role: 'alert' }),
        el('button', { id: 'op-send', class: 'btn primary block', type: 'submit' }),
      ),
      el('ul', { class: 'm-mine', id: 'op-mine' }),
      el(
        'div',
        { class: 'row-actions', id: 'op-sort' },
        el('button', { class: 'btn small', type: 'button', dataset: { sort: 'newest' } }),
        el('button', { class: 'btn small', type: 'button', dataset: { sort: 'upvotes' } }),
      ),
      el('ul', { class: 'm-wall', id: 'op-wall' }),
      el('p', { id: 'op-up-error', class: 'error', role: 'alert' }),
    ),
    el(
      'div',
      { class: 'card', id: 'ma-eval' },
      el('h2', { class: 'section-title', id: 'ev-title' }),
      el('form', { class: 'form', id: 'ev-form', novalidate: true }, el('div', { id: 'ev-rows' }), el('p', { id: 'ev-error', class: 'error', role: 'alert' }), el('button', { id: 'ev-send', class: 'btn primary block', type: 'submit' })),
      el('p', { id: 'ev-note', class: 'hint' }),
      el('p', { id: 'ev-result', class: 'notice' }),
    ),
  );

  $('#op-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const box = $('#op-text');
    const text = box.value.trim();
    if (!text) {
      $('#op-error').textContent = t('err.invalid_opinion');
      return;
    }
    busy($('#op-send'), $('#op-error'), async () => {
      await send({ type: 'opinion', text });
      box.value = '';
    });
  });
  for (const b of root.querySelectorAll('#op-sort .btn')) {
    b.addEventListener('click', () => {
      sort = b.dataset.sort;
      render(st, me);
    });
  }
  $('#ev-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const inputs = [...root.querySelectorAll('#ev-rows input')];
    const scores = inputs.map((i) => Number(i.value));
    if (inputs.some((i, k) => i.value === '' || !Number.isInteger(scores[k]) || scores[k] < 0 || scores[k] > Number(i.max))) {
      $('#ev-error').textContent = t('err.score_out_of_range');
      return;
    }
    busy($('#ev-send'), $('#ev-error'), () => send({ type: 'evaluation_score', scores }));
  });

  function upvote(id, button) {
    busy(button, $('#op-up-error'), () => send({ type: 'upvote', opinion: id }));
  }

  function renderOpinions() {
    const a = st.agenda;
    const o = st.opinions;
    const running = a.current != null;
    const item = running ? a.current : o.item;
    $('#ma-opinions').hidden = item == null;
    if (item == null) return;
    $('#ma-item').textContent = t('o.onItem', { title: itemTitle(st, item) });
    $('#ma-count').textContent = opinionCount(st);
    $('#op-form').hidden = !running;
    $('#op-label').textContent = t('o.yours') + (o.settings.anonymous ? ` (${t('o.anonymous')})` : '');
    $('#op-text').placeholder = t('o.placeholder');
    $('#op-send').textContent = t('o.send');
    const mine = (me && me.activities && me.activities.opinions) || [];
    const upvoted = new Set((me && me.activities && me.activities.upvoted) || []);
    const mineIds = new Set(mine.map((x) => x.id));
    fill(
      $('#op-mine'),
      mine
        .filter((x) => x.status !== 'shown')
        .map((x) => el('li', { dataset: { id: x.id, status: x.status } }, el('b', { text: `${t(`o.status.${x.status}`)}: ` }), x.text)),
    );
    for (const b of root.querySelectorAll('#op-sort .btn')) {
      b.textContent = t(`o.sort.${b.dataset.sort}`);
      b.setAttribute('aria-pressed', String(b.dataset.sort === sort));
    }
    const list = wall(o.list, item, sort);
    fill(
      $('#op-wall'),
      list.length
        ? list.map((x) => {
            const own = mineIds.has(x.id);
            const done = upvoted.has(x.id);
            const button = el('button', {
              class: 'btn small',
              type: 'button',
              disabled: own || done,
              'aria-pressed': String(done),
              text: done ? t('o.upvoted') : t('o.upvote'),
            });
            button.addEventListener('click', () => upvote(x.id, button));
            return el(
              'li',
              { class: `m-op${o.pinned === x.id ? ' pinned' : ''}`, dataset: { id: x.id } },
              el('p', { text: x.text }),
              el(
                'footer',
                {},
                el('span', { text: x.name || t('o.anonymous') }),
                el('span', { class: 'm-up', text: t('o.upvotes', { n: num(x.upvotes) }) }),
                button,
              ),
            );
          })
        : el('li', { class: 'hint', text: t('o.none') }),
    );
  }

  function renderEvaluation() {
    const e = st.evaluation;
    const card = $('#ma-eval');
    card.hidden = !e || e.status === 'draft' || (e.mode !== 'members' && !e.result);
    if (card.hidden) return;
    $('#ev-title').textContent = t('e.title');
    const mine = me && me.activities && me.activities.scores;
    const canScore = e.status === 'open' && e.mode === 'members' && !mine && me && me.eligible;
    $('#ev-form').hidden = !canScore;
    $('#ev-send').textContent = t('e.send');
    const key = JSON.stringify(e.form);
    if (canScore && key !== formKey) {
      formKey = key;
      fill(
        $('#ev-rows'),
        e.form.criteria.map((c, i) =>
          el(
            'label',
            { class: 'm-eval-row' },
            el('span', { text: `${i + 1}. ${c.title} (${t('e.max')} ${c.max})` }),
            el('input', { class: 'input', type: 'number', inputmode: 'numeric', min: 0, max: c.max, step: 1, required: true, dataset: { i } }),
          ),
        ),
      );
    }
    let note = '';
    if (mine) note = t('e.sent');
    else if (e.status === 'open' && e.mode === 'members' && me && !me.eligible) note = t('e.notEligible');
    $('#ev-note').textContent = note;
    const r = e.result;
    $('#ev-result').textContent = r ? `${t('e.total', { total: dec(r.total), max: e.total_max })} · ${t(`e.band.${r.band}`)}` : '';
  }

  function render(state, mine) {
    st = state;
    me = mine;
    const view = document.body.dataset.view;
    const a = st && st.agenda;
    const show = !!a && !BUSY_VIEWS.includes(view) && (a.current != null || st.opinions.item != null || !!st.evaluation);
    root.hidden = !show;
    // Once the meeting is under way the lobby's "waiting for the chair"
    // gives way to the activities.
    document.body.toggleAttribute('data-activities', show && view === 'lobby');
    if (!show) return;
    renderOpinions();
    renderEvaluation();
  }

  return {
    render,
    relabel: () => {
      formKey = null;
      if (st) render(st, me);
    },
    errorText,
  };
}
