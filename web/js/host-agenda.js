// The host console's "Agenda" tab: the agenda and the meeting clock (open,
// start and end items, conclusions), what the projector shows, the opinion
// wall with moderation and the secretary's record of spoken opinions, and
// the meeting's evaluation. `ctx` is the same as for the other tabs.

import { num, pct, t } from '/assets/i18n.js';
import { $, busy, el, fill } from '/assets/js/ui.js';
import { dec, duration, itemTitle, meetingElapsed, opinionCount, tp } from '/assets/js/meeting-common.js';

const KINDS = ['information', 'attendance', 'quiz', 'opinions', 'motion', 'evaluation', 'minutes'];
const SCREENS = ['', 'lobby', 'agenda', 'attendance', 'quiz', 'opinions', 'vote', 'evaluation'];

export function createAgenda(ctx) {
  const root = $('#panel-agenda');
  let st = null;
  let receivedAt = 0;
  /** Signature of the agenda the editor was built from. */
  let editorKey = null;
  /** The item whose conclusion the box holds. */
  let conclusionItem = null;
  let proposalKey = null;

  const send = (cmd, control, errorNode) => busy(control, errorNode, () => ctx.send(cmd));

  fill(
    root,
    el(
      'div',
      { class: 'host-grid' },
      el(
        'div',
        { class: 'col col-main' },
        el(
          'div',
          { class: 'card', id: 'ag-card' },
          el('div', { class: 'card-head' }, el('h2', { id: 'ag-title' }), el('span', { class: 'ag-clock', id: 'ag-clock', role: 'timer' })),
          el('div', { class: 'row-actions' }, el('button', { id: 'ag-open', class: 'btn primary', type: 'button' }), el('button', { id: 'ag-close', class: 'btn', type: 'button' })),
          el('ol', { class: 'ag-items', id: 'ag-items' }),
          el(
            'div',
            { id: 'ag-editor' },
            el('div', { class: 'row-actions' }, el('select', { id: 'ag-template', class: 'input' }), el('label', {}, el('input', { type: 'checkbox', id: 'ag-combined' }), ' ', el('span', { id: 'ag-combined-l' })), el('button', { id: 'ag-apply', class: 'btn', type: 'button' })),
            el('div', { id: 'ag-edit-rows' }),
            el('div', { class: 'row-actions' }, el('button', { id: 'ag-add', class: 'btn small', type: 'button' }), el('button', { id: 'ag-save', class: 'btn primary', type: 'button' })),
          ),
          el('div', { id: 'ag-conclusion', class: 'form' }, el('label', { for: 'ag-conclusion-text', class: 'label', id: 'ag-conclusion-l' }), el('textarea', { id: 'ag-conclusion-text', class: 'input textarea', rows: 2, maxlength: 2000 }), el('button', { id: 'ag-conclude', class: 'btn small', type: 'button' })),
          el('p', { id: 'ag-error', class: 'error', role: 'alert' }),
        ),
        el(
          'div',
          { class: 'card', id: 'op-card' },
          el('div', { class: 'card-head' }, el('h2', { id: 'op-title' }), el('span', { id: 'op-count', class: 'hint' })),
          el('label', {}, el('input', { type: 'checkbox', id: 'op-moderate' }), ' ', el('span', { id: 'op-moderate-l' })),
          el('label', { id: 'op-anon-wrap' }, el('input', { type: 'checkbox', id: 'op-anonymous' }), ' ', el('span', { id: 'op-anonymous-l' })),
          el('label', {}, el('span', { id: 'op-sort-l' }), ' ', el('select', { id: 'op-sort', class: 'input' })),
          el('form', { id: 'op-record', class: 'form', novalidate: true }, el('span', { class: 'label', id: 'op-record-l' }), el('input', { id: 'op-speaker', class: 'input', maxlength: 64, list: 'op-speakers' }), el('datalist', { id: 'op-speakers' }), el('textarea', { id: 'op-record-text', class: 'input textarea', rows: 2, maxlength: 1000 }), el('button', { id: 'op-record-send', class: 'btn', type: 'submit' })),
          el('p', { id: 'op-error', class: 'error', role: 'alert' }),
          el('ul', { class: 'op-list', id: 'op-list' }),
        ),
      ),
      el(
        'div',
        { class: 'col col-side' },
        el('div', { class: 'card', id: 'sc-card' }, el('h2', { id: 'sc-title' }), el('div', { class: 'ag-screen', id: 'sc-buttons' }), el('p', { id: 'sc-error', class: 'error', role: 'alert' })),
        el(
          'div',
          { class: 'card', id: 'ev-card' },
          el('div', { class: 'card-head' }, el('h2', { id: 'ev-title' }), el('span', { id: 'ev-status', class: 'phase-pill' })),
          el('p', { class: 'hint', id: 'ev-sample' }),
          el('label', {}, el('span', { id: 'ev-mode-l' }), ' ', el('select', { id: 'ev-mode', class: 'input' })),
          el('table', { class: 'ev-table' }, el('tbody', { id: 'ev-rows' })),
          el(
            'details',
            { id: 'ev-editor' },
            el('summary', { id: 'ev-edit-l' }),
            el('div', { id: 'ev-edit-rows' }),
            el('div', { class: 'row-actions' }, el('button', { id: 'ev-add', class: 'btn small', type: 'button' }), el('button', { id: 'ev-save', class: 'btn', type: 'button' })),
          ),
          el('p', { id: 'ev-result' }),
          el('div', { class: 'row-actions' }, el('button', { id: 'ev-open', class: 'btn primary', type: 'button' }), el('button', { id: 'ev-close', class: 'btn', type: 'button' }), el('button', { id: 'ev-propose', class: 'btn primary', type: 'button' })),
          el('p', { id: 'ev-error', class: 'error', role: 'alert' }),
        ),
      ),
    ),
  );

  // ---- agenda ------------------------------------------------------------

  $('#ag-open').addEventListener('click', (e) => send({ type: 'meeting_open' }, e.currentTarget, $('#ag-error')));
  $('#ag-close').addEventListener('click', (e) => {
    const b = e.currentTarget;
    ctx.confirm(t('a.close'), () => send({ type: 'meeting_close' }, b, $('#ag-error')));
  });
  $('#ag-apply').addEventListener('click', (e) =>
    send({ type: 'agenda_set', template: $('#ag-template').value, combined: $('#ag-combined').checked }, e.currentTarget, $('#ag-error')),
  );
  $('#ag-add').addEventListener('click', () => $('#ag-edit-rows').append(editRow({ title: '', kind: 'information', presenter: '', minutes: 5 })));
  $('#ag-save').addEventListener('click', (e) => {
    const items = [...root.querySelectorAll('#ag-edit-rows .ag-edit')].map((r) => ({
      title: r.querySelector('[name=title]').value,
      kind: r.querySelector('[name=kind]').value,
      presenter: r.querySelector('[name=presenter]').value,
      minutes: Number(r.querySelector('[name=minutes]').value) || 0,
    }));
    const a = st.agenda;
    send({ type: 'agenda_set', template: a.template || 'custom', combined: $('#ag-combined').checked, items }, e.currentTarget, $('#ag-error'));
  });
  $('#ag-conclude').addEventListener('click', (e) => {
    if (conclusionItem == null) return;
    send({ type: 'item_conclude', item: conclusionItem, text: $('#ag-conclusion-text').value }, e.currentTarget, $('#ag-error'));
  });

  function editRow(it) {
    return el(
      'div',
      { class: 'ag-edit' },
      el('input', { class: 'input', name: 'title', value: it.title, maxlength: 200, 'aria-label': t('a.itemTitle') }),
      el('select', { class: 'input', name: 'kind', 'aria-label': t('a.kind') }, KINDS.map((k) => el('option', { value: k, selected: k === it.kind, text: t(`a.kind.${k}`) }))),
      el('input', { class: 'input', name: 'presenter', value: it.presenter, maxlength: 64, 'aria-label': t('a.presenter') }),
      el('input', { class: 'input', name: 'minutes', type: 'number', min: 0, max: 600, value: it.minutes, 'aria-label': t('a.minutes') }),
      el('button', { class: 'btn small ghost', type: 'button', text: t('a.remove'), onclick: (e) => e.currentTarget.parentElement.remove() }),
    );
  }

  function clockText() {
    const a = st.agenda;
    if (!a.opened_at) return t('a.notOpened');
    const text = t('a.clockOf', { elapsed: duration(meetingElapsed(a, receivedAt)), min: a.minimum_minutes });
    return a.closed_at ? `${text} · ${t('a.closed')}` : text;
  }

  function renderAgenda() {
    const a = st.agenda;
    $('#ag-title').textContent = t('a.title');
    $('#ag-clock').textContent = clockText();
    $('#ag-open').textContent = t('a.open');
    $('#ag-close').textContent = t('a.close');
    $('#ag-open').hidden = !a.template || !!a.opened_at;
    $('#ag-close').hidden = !a.opened_at || !!a.closed_at;
    const open = !!a.opened_at && !a.closed_at;
    fill(
      $('#ag-items'),
      a.items.length
        ? a.items.map((it, i) => {
            const state = it.ended_at ? 'done' : i === a.current ? 'running' : 'todo';
            let action = null;
            if (open && state === 'running') {
              action = el('button', { class: 'btn small', type: 'button', text: t('a.end'), dataset: { item: i } });
              action.addEventListener('click', () => send({ type: 'item_end', item: i }, action, $('#ag-error')));
            } else if (open && state === 'todo' && !it.started_at) {
              action = el('button', { class: 'btn small primary', type: 'button', text: t('a.start'), disabled: a.current != null, dataset: { item: i } });
              action.addEventListener('click', () => send({ type: 'item_start', item: i }, action, $('#ag-error')));
            }
            return el(
              'li',
              { class: `ag-item ${state}`, dataset: { state } },
              el('span', { text: String(i + 1) }),
              el('span', {}, el('span', { class: 'ag-title', text: it.title }), ' ', el('span', { class: 'ag-meta', text: [t(`a.kind.${it.kind}`), it.presenter, it.minutes ? t('a.planned', { n: it.minutes }) : ''].filter(Boolean).join(' · ') })),
              action || el('span', { class: 'ag-meta', text: state === 'done' ? `${t('a.done')} · ${duration(it.ended_at - it.started_at)}` : '' }),
            );
          })
        : el('li', { class: 'hint', text: t('a.none') }),
    );
    // The editor, before the meeting opens.
    $('#ag-editor').hidden = !!a.opened_at;
    const key = JSON.stringify([a.template, a.combined, a.items.map((i) => [i.title, i.kind, i.presenter, i.minutes]), document.documentElement.lang]);
    if (!a.opened_at && key !== editorKey) {
      editorKey = key;
      const sel = $('#ag-template');
      const value = sel.value || a.template || 'regular';
      fill(sel, ['regular', 'topical', 'custom'].map((k) => el('option', { value: k, text: t(`a.tpl.${k}`) })));
      sel.value = value;
      sel.setAttribute('aria-label', t('a.template'));
      $('#ag-combined').checked = a.combined;
      $('#ag-combined-l').textContent = t('a.combined');
      $('#ag-apply').textContent = t('a.apply');
      $('#ag-add').textContent = t('a.addItem');
      $('#ag-save').textContent = t('a.save');
      fill($('#ag-edit-rows'), a.items.map((it) => editRow(it)));
    }
    // The conclusion of the running item, else of the last one held.
    const target = a.current != null ? a.current : st.opinions.item;
    $('#ag-conclusion').hidden = target == null;
    $('#ag-conclusion-l').textContent = target == null ? '' : `${t('a.conclusion')}: ${itemTitle(st, target)}`;
    $('#ag-conclude').textContent = t('a.conclude');
    if (target !== conclusionItem) {
      conclusionItem = target;
      $('#ag-conclusion-text').value = target != null ? a.items[target].conclusion || '' : '';
    }
  }

  // ---- projector ---------------------------------------------------------

  function renderScreen() {
    $('#sc-title').textContent = t('a.screen');
    fill(
      $('#sc-buttons'),
      SCREENS.map((s) => {
        const b = el('button', { class: 'btn small', type: 'button', 'aria-pressed': String((st.screen || '') === s), dataset: { screen: s || 'auto' }, text: t(`a.screen.${s || 'auto'}`) });
        b.addEventListener('click', () => send({ type: 'screen', screen: s || null }, b, $('#sc-error')));
        return b;
      }),
    );
  }

  // ---- opinions ----------------------------------------------------------

  for (const [id, field] of [['#op-moderate', 'moderate'], ['#op-anonymous', 'anonymous']]) {
    $(id).addEventListener('change', (e) => send({ type: 'opinion_settings', [field]: e.currentTarget.checked }, e.currentTarget, $('#op-error')));
  }
  $('#op-sort').addEventListener('change', (e) => send({ type: 'opinion_settings', sort: e.currentTarget.value }, e.currentTarget, $('#op-error')));
  $('#op-record').addEventListener('submit', (e) => {
    e.preventDefault();
    const cmd = { type: 'opinion_record', speaker: $('#op-speaker').value, text: $('#op-record-text').value };
    busy($('#op-record-send'), $('#op-error'), async () => {
      await ctx.send(cmd);
      $('#op-record-text').value = '';
      $('#op-speaker').value = '';
    });
  });

  function actionsFor(o, pinned) {
    const acts = [];
    if (o.status === 'pending') acts.push('approve');
    if (o.status === 'hidden') acts.push('restore');
    else acts.push('hide');
    if (o.status === 'shown') acts.push(pinned === o.id ? 'unpin' : 'pin');
    acts.push(o.answered ? 'unanswered' : 'answered');
    return acts;
  }

  function renderOpinions() {
    const o = st.opinions;
    $('#op-title').textContent = t('o.title');
    $('#op-count').textContent = o.item != null ? `${itemTitle(st, o.item)} · ${opinionCount(st)}` : '';
    $('#op-moderate').checked = o.settings.moderate;
    $('#op-moderate-l').textContent = t('o.moderate');
    // Anonymity is for other meetings: a cell meeting's opinions are named.
    $('#op-anon-wrap').hidden = st.wording === 'party' && !o.settings.anonymous;
    $('#op-anonymous').checked = o.settings.anonymous;
    $('#op-anonymous-l').textContent = t('o.anonymousSetting');
    $('#op-sort-l').textContent = t('o.sortSetting');
    const sort = $('#op-sort');
    fill(sort, ['newest', 'upvotes'].map((k) => el('option', { value: k, text: t(`o.sort.${k}`) })));
    sort.value = o.settings.sort;
    $('#op-record').hidden = st.agenda.current == null;
    $('#op-record-l').textContent = t('o.record');
    $('#op-speaker').placeholder = t('o.speaker');
    $('#op-record-send').textContent = t('o.send');
    fill($('#op-speakers'), (ctx.roster || []).map((r) => el('option', { value: r.name })));
    // Opinions waiting for approval, on the tab.
    const waiting = o.list.filter((x) => x.status === 'pending').length;
    const badge = $('#tab-agenda-badge');
    badge.hidden = !waiting;
    badge.textContent = waiting ? num(waiting) : '';
    const list = o.list.filter((x) => x.item === o.item).sort((a, b) => b.at - a.at || b.id - a.id);
    fill(
      $('#op-list'),
      list.map((x) =>
        el(
          'li',
          { class: 'op-row', dataset: { id: x.id, status: x.status } },
          el('p', { class: 'op-text', text: x.text }),
          el(
            'div',
            { class: 'op-meta' },
            el('b', { text: x.name || t('o.anonymous') }),
            x.spoken ? el('span', { text: t('o.spoken') }) : null,
            el('span', { text: t(`o.status.${x.status}`) }),
            o.pinned === x.id ? el('span', { text: t('o.pinned') }) : null,
            x.answered ? el('span', { text: t('o.answered') }) : null,
            el('span', { text: t('o.upvotes', { n: num(x.upvotes) }) }),
          ),
          el(
            'div',
            { class: 'op-actions' },
            actionsFor(x, o.pinned).map((action) => {
              const b = el('button', { class: 'btn small', type: 'button', dataset: { action }, text: t(`o.act.${action}`) });
              b.addEventListener('click', () => send({ type: 'opinion_moderate', opinion: x.id, action }, b, $('#op-error')));
              return b;
            }),
          ),
        ),
      ),
    );
  }

  // ---- evaluation --------------------------------------------------------

  $('#ev-mode').addEventListener('change', (e) => send({ type: 'evaluation_set', mode: e.currentTarget.value }, e.currentTarget, $('#ev-error')));
  $('#ev-open').addEventListener('click', (e) => send({ type: 'evaluation_open' }, e.currentTarget, $('#ev-error')));
  $('#ev-close').addEventListener('click', (e) => send({ type: 'evaluation_close' }, e.currentTarget, $('#ev-error')));
  $('#ev-propose').addEventListener('click', (e) => {
    const scores = [...root.querySelectorAll('#ev-rows input')].map((i) => Number(i.value) || 0);
    send({ type: 'evaluation_propose', scores }, e.currentTarget, $('#ev-error'));
  });

  function criterionRow(c) {
    return el(
      'div',
      { class: 'ag-edit ev-edit', dataset: { fact: c.fact || '' } },
      el('input', { class: 'input', name: 'title', value: c.title, maxlength: 300, 'aria-label': t('e.criterion') }),
      el('input', { class: 'input', name: 'max', type: 'number', min: 1, max: 100, value: c.max, 'aria-label': t('e.max') }),
      el('button', { class: 'btn small ghost', type: 'button', text: t('a.remove'), onclick: (ev) => ev.currentTarget.parentElement.remove() }),
    );
  }
  $('#ev-add').addEventListener('click', () => $('#ev-edit-rows').append(criterionRow({ title: '', max: 20 })));
  $('#ev-save').addEventListener('click', (ev) => {
    const criteria = [...root.querySelectorAll('#ev-edit-rows .ev-edit')].map((r) => ({
      title: r.querySelector('[name=title]').value,
      max: Number(r.querySelector('[name=max]').value) || 0,
      ...(r.dataset.fact ? { fact: r.dataset.fact } : {}),
    }));
    send({ type: 'evaluation_set', form: { criteria, sample: false } }, ev.currentTarget, $('#ev-error'));
  });
  let formEditorKey = null;

  function factText(c, e) {
    if (c.fact === 'attendance') {
      const f = e.facts.attendance;
      return `${t('e.fact.attendance', { present: num(f.present), convened: num(f.convened), pct: pct(f.percent), absent: num(f.absent_without_reason) })} · ${t(f.met ? 'e.fact.met' : 'e.fact.notMet')}`;
    }
    if (c.fact === 'length') {
      const f = e.facts.length;
      return `${t('e.fact.length', { minutes: num(f.minutes), min: num(f.minimum) })} · ${t(f.met ? 'e.fact.met' : 'e.fact.notMet')}`;
    }
    return '';
  }

  function renderEvaluation() {
    const e = st.evaluation;
    $('#ev-title').textContent = t('e.title');
    $('#ev-status').textContent = t(`e.status.${e.status}`);
    $('#ev-sample').textContent = e.form.sample ? tp(st, 'e.sample') : '';
    $('#ev-mode-l').textContent = t('e.mode');
    const mode = $('#ev-mode');
    fill(mode, ['members', 'committee'].map((k) => el('option', { value: k, text: tp(st, `e.mode.${k}`) })));
    mode.value = e.mode;
    mode.disabled = e.status !== 'draft';
    const committee = e.mode === 'committee';
    const key = JSON.stringify([e.form, e.mode, e.proposal, document.documentElement.lang]);
    const rebuild = key !== proposalKey;
    proposalKey = key;
    if (rebuild || !committee) {
      fill(
        $('#ev-rows'),
        e.form.criteria.map((c, i) => {
          const stat = e.stats && e.stats[i];
          const fact = factText(c, e);
          const suggested = c.fact === 'attendance' ? e.facts.attendance.proposed : c.max;
          return el(
            'tr',
            {},
            el('td', {}, el('div', { text: `${i + 1}. ${c.title}` }), fact ? el('div', { class: 'hint', text: fact }) : null),
            el('td', { text: `/${c.max}` }),
            el(
              'td',
              {},
              committee
                ? el('input', { class: 'input', type: 'number', min: 0, max: c.max, value: e.proposal ? e.proposal[i] : suggested, 'aria-label': t('e.score') })
                : stat && stat.count
                  ? t('e.meanSpread', { mean: dec(stat.mean), spread: dec(stat.spread) })
                  : '',
            ),
          );
        }),
      );
    }
    // The form is edited before scoring opens.
    $('#ev-editor').hidden = e.status !== 'draft' || e.proposal != null;
    const formKey = JSON.stringify([e.form, document.documentElement.lang]);
    if (e.status === 'draft' && formKey !== formEditorKey) {
      formEditorKey = formKey;
      $('#ev-edit-l').textContent = t('e.edit');
      $('#ev-add').textContent = t('e.addCriterion');
      $('#ev-save').textContent = t('e.saveForm');
      fill($('#ev-edit-rows'), e.form.criteria.map((c) => criterionRow(c)));
    }
    const r = e.result;
    $('#ev-result').textContent = [
      e.mode === 'members' ? t('e.scored', { n: num(e.scored) }) : '',
      r ? t('e.total', { total: dec(r.total), max: e.total_max }) : '',
      r ? t(`e.band.${r.band}`) : '',
      r && r.approved != null ? tp(st, r.approved ? 'e.approved' : 'e.notApproved') : '',
    ].filter(Boolean).join(' · ');
    $('#ev-open').textContent = t('e.open');
    $('#ev-close').textContent = t('e.close');
    $('#ev-propose').textContent = t('e.propose');
    $('#ev-open').hidden = committee || e.status !== 'draft';
    $('#ev-close').hidden = committee || e.status !== 'open';
    $('#ev-propose').hidden = !committee || e.status === 'closed' || e.motion != null;
  }

  function render() {
    st = ctx.st;
    if (!st || !st.agenda) return;
    receivedAt = performance.now();
    renderAgenda();
    renderScreen();
    renderOpinions();
    renderEvaluation();
  }

  setInterval(() => {
    if (st && st.agenda && st.agenda.opened_at && !st.agenda.closed_at) $('#ag-clock').textContent = clockText();
  }, 1000);

  return {
    render,
    relabel: () => {
      editorKey = null;
      proposalKey = null;
      formEditorKey = null;
      render();
    },
  };
}
