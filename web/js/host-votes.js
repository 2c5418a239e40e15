// The host console's "Votes" tab: draft motions (from the five Party
// templates, with advanced options), upload a motions file, open / close /
// show / edit / delete them, and follow the open one: the rising count, who
// present has not voted yet, and on open ballots who chose what.
//
// `ctx` is the same as for the roster tab (see host-roster.js).

import { getLang, num, problemText, t } from '/assets/i18n.js';
import { $, busy, el, fill } from '/assets/js/ui.js';
import { showProblems } from '/assets/js/host-roster.js';
import { disciplineLines, electionFacts, explainText, ruleText, verdictKind, verdictText } from '/assets/js/ballots.js';

export const TEMPLATES = ['resolution', 'admission', 'recognition', 'discipline', 'expulsion', 'election'];

/** Templates the regulations put to a secret ballot (never an open one). */
const SECRET_ONLY = new Set(['discipline', 'expulsion', 'election']);
/** The penalties a discipline ballot starts with, heaviest first (src/vote/mod.rs). */
const DEFAULT_PENALTIES = ['Đề nghị khai trừ', 'Cách chức', 'Cảnh cáo', 'Khiển trách'];
const NO_PENALTY = 'Không kỷ luật';

/** What each template sets (src/vote/mod.rs `from_template`). */
const TEMPLATE_DEFAULTS = {
  resolution: { ballot: 'open', threshold: 'more_than_half' },
  admission: { ballot: 'open', threshold: 'at_least_two_thirds' },
  recognition: { ballot: 'open', threshold: 'at_least_two_thirds' },
  discipline: { ballot: 'secret', threshold: 'more_than_half' },
  expulsion: { ballot: 'secret', threshold: 'at_least_two_thirds' },
  election: { ballot: 'secret', threshold: 'more_than_half' },
};

const DEFAULT_OPTIONS = ['Tán thành', 'Không tán thành', 'Không biểu quyết'];

export function createVotes(ctx) {
  /** The draft being edited: {id, template} or null when creating. */
  let editing = null;
  /** Whether "show voters" was touched (the server does not say its value). */
  let votersTouched = false;
  /** Motion list items by id: {node, sig}. */
  const items = new Map();
  /** Problems of the last refused motions file, redrawn when the language changes. */
  let uploadProblems = [];

  // ---- the form --------------------------------------------------------------

  function paintTemplateSelect() {
    const sel = $('#mf-template');
    const value = sel.value || 'resolution';
    fill(sel, TEMPLATES.map((k) => el('option', { value: k, text: t(`v.template.${k}`) })));
    sel.value = value;
    $('#mf-template-desc').textContent = t(`h.tpl.${sel.value}`);
  }

  function applyTemplate(name) {
    const d = TEMPLATE_DEFAULTS[name] || TEMPLATE_DEFAULTS.resolution;
    $('#mf-ballot').value = d.ballot;
    $('#mf-threshold').value = d.threshold;
    $('#mf-base').value = 'convened';
    $('#mf-quorum').value = '';
    $('#mf-decide').checked = true;
    $('#mf-live').checked = d.ballot === 'open';
    $('#mf-changes').checked = false;
    $('#mf-voters').checked = false;
    $('#mf-template-desc').textContent = t(`h.tpl.${name}`);
    $('#mf-list').value = name === 'discipline' ? DEFAULT_PENALTIES.join('\n') : '';
    $('#mf-seats').value = '1';
    paintAdvanced();
  }

  /** Elections list candidates and seats, discipline its penalties; others their options. */
  function paintKind() {
    const tpl = $('#mf-template').value;
    const list = tpl === 'election' || tpl === 'discipline';
    $('#mf-list-field').hidden = !list;
    $('#mf-list-label').textContent = tpl === 'election' ? t('h.vote.candidates') : t('h.vote.penalties');
    $('#mf-seats-field').hidden = tpl !== 'election';
    $('#mf-options').closest('.field').hidden = list;
    const secretOnly = SECRET_ONLY.has(tpl);
    if (secretOnly) $('#mf-ballot').value = 'secret';
    $('#mf-ballot').disabled = secretOnly;
  }

  function paintAdvanced() {
    paintKind();
    const secret = $('#mf-ballot').value === 'secret';
    const decide = $('#mf-decide').checked;
    // No live counts on a secret ballot: they would link voters to choices.
    for (const id of ['#mf-changes', '#mf-voters', '#mf-live']) {
      const box = $(id);
      box.disabled = secret;
      if (secret) box.checked = false;
      box.closest('label').classList.toggle('disabled', secret);
    }
    $('#mf-base').disabled = !decide;
    $('#mf-threshold').disabled = !decide;
    const thr = $('#mf-threshold').value;
    $('#mf-thr-fraction').hidden = !(decide && (thr === 'more_than' || thr === 'at_least'));
    $('#mf-q-fraction').hidden = $('#mf-quorum').value !== 'custom';
  }

  $('#mf-template').addEventListener('change', (e) => applyTemplate(e.currentTarget.value));
  for (const id of ['#mf-ballot', '#mf-decide', '#mf-threshold', '#mf-quorum']) {
    $(id).addEventListener('change', paintAdvanced);
  }
  $('#mf-ballot').addEventListener('change', () => {
    // A secret ballot hides its tally until the close, as its template does.
    $('#mf-live').checked = $('#mf-ballot').value === 'open';
  });
  $('#mf-voters').addEventListener('change', () => { votersTouched = true; });

  function fraction(numSel, denSel) {
    const n = Number($(numSel).value);
    const d = Number($(denSel).value);
    if (!Number.isInteger(n) || !Number.isInteger(d) || n < 1 || d < 1 || n > d) {
      throw new Error(t('h.vote.badFraction'));
    }
    return { num: n, den: d };
  }

  /** The draft fields from the form; throws with a message to show. */
  function readForm() {
    const text = $('#mf-text').value.trim();
    if (!text) {
      $('#mf-text').focus();
      throw new Error(t('h.vote.textEmpty'));
    }
    const tpl = $('#mf-template').value;
    const lines = (id) => $(id).value.split('\n').map((o) => o.trim()).filter(Boolean);
    const options = lines('#mf-options');
    const kindOfList = tpl === 'election' || tpl === 'discipline';
    if (!kindOfList && (options.length < 2 || options.length > 10)) {
      $('#mf-advanced').open = true;
      throw new Error(t('h.vote.badOptions'));
    }
    const thr = $('#mf-threshold').value;
    let threshold = thr;
    if (thr === 'more_than' || thr === 'at_least') threshold = { [thr]: fraction('#mf-thr-num', '#mf-thr-den') };
    const q = $('#mf-quorum').value;
    let quorum = null;
    const strict = q.startsWith('>');
    if (q === 'custom') quorum = fraction('#mf-q-num', '#mf-q-den');
    else if (q) {
      const [n, d] = q.replace('>', '').split('/').map(Number);
      quorum = { num: n, den: d };
    }
    const ballot = $('#mf-ballot').value;
    const draft = {
      text,
      ballot,
      decide: $('#mf-decide').checked,
      rule: { base: $('#mf-base').value, threshold, quorum, quorum_strict: strict },
      live_tally: ballot === 'open' && $('#mf-live').checked,
      changes_allowed: ballot === 'open' && $('#mf-changes').checked,
    };
    // The server says what is wrong with a list (too few names, a name twice).
    if (tpl === 'election') {
      draft.candidates = lines('#mf-list');
      draft.seats = Number($('#mf-seats').value) || 0;
    } else if (tpl === 'discipline') {
      draft.penalties = lines('#mf-list').filter((p) => p !== NO_PENALTY);
    } else {
      draft.options = options;
    }
    const template = tpl;
    // On an edit, a template given restarts the draft from it: send it only
    // when it changed. "Show voters" is not in the host's view of a motion,
    // so an edit sends it only when the checkbox was touched.
    if (!editing || editing.template !== template) draft.template = template;
    if (!editing || votersTouched) draft.show_voters = ballot === 'open' && $('#mf-voters').checked;
    return draft;
  }

  function resetForm() {
    editing = null;
    votersTouched = false;
    $('#mf-text').value = '';
    $('#mf-options').value = DEFAULT_OPTIONS.join('\n');
    $('#mf-template').value = 'resolution';
    applyTemplate('resolution');
    $('#mf-error').textContent = '';
    paintFormTitle();
  }

  function paintFormTitle() {
    $('#motion-form-title').textContent = editing ? t('h.vote.editTitle', { id: editing.id }) : t('h.vote.new');
    $('#mf-save').textContent = editing ? t('h.vote.save') : t('h.vote.create');
    $('#mf-cancel').hidden = !editing;
    $('#motion-form').classList.toggle('editing', !!editing);
  }

  function editMotion(m) {
    editing = { id: m.id, template: m.template || 'resolution' };
    votersTouched = false;
    $('#mf-text').value = m.text;
    $('#mf-template').value = editing.template;
    $('#mf-template-desc').textContent = t(`h.tpl.${editing.template}`);
    $('#mf-options').value = m.options.join('\n');
    $('#mf-list').value = (m.kind === 'discipline' ? m.options.filter((o) => o !== NO_PENALTY) : m.options).join('\n');
    $('#mf-seats').value = String(m.seats || 1);
    $('#mf-ballot').value = m.ballot;
    $('#mf-decide').checked = m.decide;
    $('#mf-base').value = m.rule.base;
    const thr = m.rule.threshold;
    if (typeof thr === 'string') $('#mf-threshold').value = thr;
    else {
      const [kind, f] = Object.entries(thr)[0];
      $('#mf-threshold').value = kind;
      $('#mf-thr-num').value = f.num;
      $('#mf-thr-den').value = f.den;
    }
    const q = m.rule.quorum;
    if (!q) $('#mf-quorum').value = '';
    else if (q.num === 1 && q.den === 2 && m.rule.quorum_strict) $('#mf-quorum').value = '>1/2';
    else if ((q.num === 1 && q.den === 2) || (q.num === 2 && q.den === 3)) $('#mf-quorum').value = `${q.num}/${q.den}`;
    else {
      $('#mf-quorum').value = 'custom';
      $('#mf-q-num').value = q.num;
      $('#mf-q-den').value = q.den;
    }
    $('#mf-live').checked = m.live_tally;
    $('#mf-changes').checked = m.changes_allowed;
    $('#mf-voters').checked = false;
    $('#mf-error').textContent = '';
    paintAdvanced();
    paintFormTitle();
    $('#motion-form').scrollIntoView({ block: 'start', behavior: 'smooth' });
    $('#mf-text').focus({ preventScroll: true });
  }

  /** A new election for the seats left: the candidates not elected. */
  function nextRound(m) {
    const e = m.result.election;
    resetForm();
    $('#mf-template').value = 'election';
    applyTemplate('election');
    $('#mf-text').value = t('h.vote.againText', { text: m.text });
    $('#mf-list').value = m.options.filter((_, i) => e.candidates[i].standing !== 'elected').join('\n');
    $('#mf-seats').value = String(e.remaining_seats + e.tied_seats);
    $('#motion-form').scrollIntoView({ block: 'start', behavior: 'smooth' });
    $('#mf-text').focus({ preventScroll: true });
  }

  $('#mf-cancel').addEventListener('click', resetForm);

  $('#motion-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('#mf-error').textContent = '';
    let draft;
    try {
      draft = readForm();
    } catch (err) {
      $('#mf-error').textContent = err.message;
      return;
    }
    const cmd = editing ? { type: 'motion_update', motion: editing.id, ...draft } : { type: 'motion_create', ...draft };
    if (await busy($('#mf-save'), $('#mf-error'), () => ctx.send(cmd))) resetForm();
  });

  // ---- motions file ------------------------------------------------------------

  $('#motions-upload').addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = $('#motions-file').files[0];
    $('#motions-result').textContent = '';
    $('#motions-upload-error').textContent = '';
    showUploadProblems([]);
    if (!file) {
      $('#motions-upload-error').textContent = t('h.upload.noFile');
      return;
    }
    const btn = $('#motions-send');
    btn.disabled = true;
    btn.textContent = t('h.upload.sending');
    try {
      const text = await file.text();
      const r = await ctx.api(`/api/meetings/${ctx.pin}/motions`, {
        method: 'POST',
        body: text,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
      $('#motions-result').textContent = t('h.vote.uploaded', { n: num((r.created || []).length) });
      $('#motions-file').value = '';
    } catch (err) {
      if (err.status === 401) return ctx.wrongSecret();
      const problems = (err.data && err.data.problems) || [];
      if (problems.length) {
        showUploadProblems(problems);
      } else {
        $('#motions-upload-error').textContent = ctx.apiMessage(err);
      }
    } finally {
      btn.disabled = false;
      btn.textContent = t('h.upload.send');
    }
  });

  // ---- the list of motions -------------------------------------------------------

  function ruleLine(m) {
    const parts = [];
    if (m.template) parts.push(t(`v.template.${m.template}`));
    parts.push(t(`v.ballot.${m.ballot}`));
    if (m.kind === 'election') parts.push(t('v.election.seats', { seats: num(m.seats), n: num(m.options.length) }));
    parts.push(m.decide ? ruleText(m.rule) : t('v.poll'));
    return parts.join(' · ');
  }

  function countsLine(m, counts) {
    return m.options.map((o, i) => t('h.vote.counts', { option: o, n: num(counts[i] || 0) })).join(' · ');
  }

  function actionButton(action, id, label, cls = '') {
    return el('button', { type: 'button', class: `btn small ${cls}`, dataset: { action, id }, text: label });
  }

  function buildItem(m, shown) {
    const actions = [];
    if (m.status === 'draft') {
      actions.push(actionButton('open', m.id, t('h.vote.open'), 'primary'));
      if (!shown) actions.push(actionButton('show', m.id, t('h.vote.show')));
      actions.push(actionButton('edit', m.id, t('h.edit')));
      actions.push(actionButton('delete', m.id, t('h.vote.delete'), 'danger'));
    } else if (m.status === 'open') {
      actions.push(actionButton('close', m.id, t('h.vote.close'), 'danger solid'));
      if (!shown) actions.push(actionButton('show', m.id, t('h.vote.show')));
    } else if (!shown) {
      actions.push(actionButton('show', m.id, t('h.vote.show')));
    }
    if (shown) actions.push(actionButton('hide', m.id, t('h.vote.hide'), 'ghost'));
    const r = m.result;
    const open = r && r.election ? r.election.remaining_seats + r.election.tied_seats : 0;
    // Too few elected, or a tie: the chair may hold another round.
    if (open) actions.push(actionButton('again', m.id, t('h.vote.again', { n: num(open) })));
    const reservations = m.reservations || [];
    const voters = m.status === 'closed' && m.voters && m.voters.length ? m.voters : null;
    return el(
      'li',
      { class: 'motion-item', dataset: { id: m.id, status: m.status, shown: String(shown) } },
      el(
        'div',
        { class: 'mi-head' },
        el('span', { class: 'mi-id', text: `#${m.id}` }),
        el('span', { class: 'mi-status', dataset: { status: m.status }, text: t(`h.vote.status.${m.status}`) }),
        shown ? el('span', { class: 'mi-shown', text: t('h.vote.shown') }) : null,
      ),
      el('p', { class: 'mi-text', text: m.text }),
      el('p', { class: 'mi-meta', text: ruleLine(m) }),
      r
        ? el(
          'div',
          { class: 'mi-result', dataset: { decision: r.decision || 'poll' } },
          el('b', { dataset: { decision: verdictKind(m) }, text: verdictText(m) }),
          el('span', { text: countsLine(m, r.counts) }),
          r.outcome ? el('small', { text: explainText(r.outcome, m.rule) }) : null,
          (m.kind === 'election' ? electionFacts(m) : m.kind === 'discipline' ? disciplineLines(m) : []).map((l) => el('small', { text: l })),
        )
        : null,
      voters
        ? el(
          'details',
          { class: 'mi-reservations mi-voters' },
          el('summary', { text: t('h.vote.whoChose') }),
          el('ul', {}, m.options.map((o, i) => el('li', {}, el('b', { text: `${o} (${num(voters.filter((x) => x.option === i).length)}):` }), ' ', el('span', { text: voters.filter((x) => x.option === i).map((x) => x.name).join(', ') || '–' })))),
        )
        : null,
      reservations.length
        ? el(
          'details',
          { class: 'mi-reservations', open: true },
          el('summary', { text: t('h.vote.reservations', { n: reservations.length }) }),
          el('ul', {}, reservations.map((x) => el('li', {}, el('b', { text: `${x.name}:` }), ' ', el('span', { text: x.text })))),
        )
        : null,
      el('div', { class: 'row-actions' }, actions),
    );
  }

  function renderList() {
    const st = ctx.st;
    const motions = (st && st.motions) || [];
    const shownId = st && st.motion ? st.motion.id : null;
    const list = $('#motion-list');
    const lang = getLang();
    const seen = new Set();
    for (const m of motions) {
      seen.add(m.id);
      const shown = m.id === shownId;
      // Voters change with every vote; the item shows them once closed.
      const sig = JSON.stringify([{ ...m, voters: m.status === 'closed' ? m.voters : null }, shown, lang]);
      const cur = items.get(m.id);
      if (!cur || cur.sig !== sig) {
        const node = buildItem(m, shown);
        if (cur) cur.node.replaceWith(node);
        items.set(m.id, { node, sig });
      }
    }
    for (const id of [...items.keys()]) {
      if (!seen.has(id)) {
        items.get(id).node.remove();
        items.delete(id);
      }
    }
    const wanted = motions.map((m) => items.get(m.id).node);
    if (wanted.length !== list.children.length || wanted.some((n, i) => list.children[i] !== n)) list.replaceChildren(...wanted);
    $('#motions-empty').hidden = motions.length > 0;
    if (editing && !motions.some((m) => m.id === editing.id && m.status === 'draft')) resetForm();
  }

  $('#motion-list').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    if (b) act(b.dataset.action, Number(b.dataset.id), b);
  });
  $('#lm-close').addEventListener('click', (e) => {
    const m = openMotion();
    if (m) act('close', m.id, e.currentTarget);
  });

  async function act(action, id, button) {
    const m = ((ctx.st && ctx.st.motions) || []).find((x) => x.id === id);
    if (action === 'edit') {
      if (m) editMotion(m);
      return;
    }
    if (action === 'again') {
      if (m) nextRound(m);
      return;
    }
    if (action === 'delete' && !(await ctx.confirm(t('h.vote.confirmDelete', { text: m ? m.text : '' }), t('h.vote.delete')))) return;
    if (action === 'close' && !(await ctx.confirm(t('h.vote.confirmClose', { text: m ? m.text : '' }), t('h.vote.close')))) return;
    const cmd = {
      open: { type: 'motion_open', motion: id },
      close: { type: 'motion_close', motion: id },
      show: { type: 'motion_show', motion: id },
      hide: { type: 'motion_show', motion: null },
      delete: { type: 'motion_delete', motion: id },
    }[action];
    if (!cmd) return;
    await busy(button, $('#motion-error'), () => ctx.send(cmd));
  }

  // ---- the open motion, live -------------------------------------------------------

  function openMotion() {
    return ((ctx.st && ctx.st.motions) || []).find((m) => m.status === 'open') || null;
  }

  /** May this member vote? (docs/PROTOCOL.md, Eligibility) */
  function mayVote(member) {
    if (!member.present) return false;
    if (!(ctx.st && ctx.st.roster)) return true;
    return member.status === 'official' || member.status === 'exempt';
  }

  function renderLive() {
    const m = openMotion();
    const card = $('#live-motion');
    card.hidden = !m;
    const badge = $('#tab-votes-badge');
    badge.hidden = !m;
    badge.textContent = m ? t('h.vote.status.open') : '';
    if (!m) return;
    const v = ctx.live && ctx.live.vote && ctx.live.vote.motion === m.id ? ctx.live.vote : null;
    $('#lm-ballot').textContent = t(`v.ballot.${m.ballot}`);
    $('#lm-ballot').dataset.phase = 'question';
    $('#lm-text').textContent = m.text;
    const voted = v ? v.voted : 0;
    const of = v ? v.eligible_present : 0;
    $('#lm-voted').textContent = num(voted);
    $('#lm-of').textContent = t('h.vote.votedOf', { of: num(of) });
    $('#lm-fill').style.width = `${of ? Math.min(100, (100 * voted) / of) : 0}%`;
    const counts = v && v.counts;
    fill($('#lm-counts'), counts ? m.options.map((o, i) => el('li', {}, el('span', { text: o }), el('b', { text: num(counts[i] || 0) }))) : []);
    $('#lm-counts').hidden = !counts;

    // A secret ballot: only the list of who has not voted (no per-member flag).
    const secretWaiting = m.ballot === 'secret' && ctx.notVoted ? new Set(ctx.notVoted) : null;
    const waiting = secretWaiting
      ? (ctx.members || []).filter((x) => secretWaiting.has(x.id))
      : (ctx.members || []).filter((x) => mayVote(x) && !x.voted);
    fill(
      $('#lm-not-voted'),
      waiting.length
        ? waiting.map((x) => el('li', { dataset: { connected: String(x.connected) } }, el('span', { class: 'dot' }), el('span', { text: x.name })))
        : el('li', { class: 'none', text: t('h.vote.allVoted') }),
    );

    renderHand(m);
    const secret = m.ballot === 'secret';
    $('#lm-secret').hidden = !secret;
    // Who chose what comes with the host's `state`; shown only while it
    // agrees with the live count (the server may not resend the state on
    // every vote), so it never contradicts the numbers above.
    const voters = m.voters || [];
    $('#lm-voters-box').hidden = secret || !voters.length || voters.length !== voted;
    if (!$('#lm-voters-box').hidden) {
      fill(
        $('#lm-voters'),
        m.options.map((o, i) => {
          const names = voters.filter((x) => x.option === i).map((x) => x.name);
          return el('p', { class: 'lm-voter-row' }, el('b', { text: `${o} (${num(names.length)}): ` }), names.join(', ') || '–');
        }),
      );
    }
  }

  // ---- a show of hands / paper ballots for members without phones ------------------

  /** Members marked present by hand who may vote: the most a hand count holds. */
  function withoutPhones() {
    return (ctx.roster || []).filter((r) => r.by_hand && (r.status === 'official' || r.status === 'exempt')).length;
  }

  let handFor = null;
  function renderHand(m) {
    const n = withoutPhones();
    const form = $('#lm-hand');
    form.hidden = m.kind !== 'motion' || (n === 0 && !m.hand_counts);
    if (form.hidden) return;
    $('#lm-hand-hint').textContent = t('h.vote.handHint', { n: num(n) });
    // Built once per motion, so typing is never overwritten by a frame.
    if (handFor === m.id) return;
    handFor = m.id;
    fill(
      $('#lm-hand-fields'),
      m.options.map((o, i) =>
        el('label', { class: 'field' }, el('span', { text: o }),
          el('input', { type: 'number', min: '0', step: '1', inputmode: 'numeric', value: String((m.hand_counts || [])[i] || 0), dataset: { option: String(i) } }))),
    );
  }

  $('#lm-hand').addEventListener('submit', async (e) => {
    e.preventDefault();
    const m = openMotion();
    if (!m) return;
    const counts = [...$('#lm-hand-fields').querySelectorAll('input')].map((x) => Math.max(0, Math.floor(Number(x.value) || 0)));
    await busy(e.submitter || null, $('#lm-hand-error'), () => ctx.send({ type: 'hand_count', motion: m.id, counts }));
  });

  function render() {
    renderList();
    renderLive();
  }

  /** Shows the server's problems (docs/MOTIONS.md) in the current language. */
  function showUploadProblems(problems) {
    uploadProblems = problems;
    if (problems.length) $('#motions-upload-error').textContent = t('h.vote.uploadProblems', { n: problems.length });
    showProblems('#motions-problems', problems.map((p) => [String(p.line), problemText('motions', p)]));
  }

  function reset() {
    items.clear();
    fill($('#motion-list'));
    resetForm();
    $('#motion-error').textContent = '';
    $('#motions-result').textContent = '';
    $('#motions-upload-error').textContent = '';
    showUploadProblems([]);
  }

  function relabel() {
    paintTemplateSelect();
    if (uploadProblems.length) showUploadProblems(uploadProblems);
    paintFormTitle();
    items.clear();
    fill($('#motion-list'));
    render();
  }

  paintTemplateSelect();
  resetForm();
  return { render, renderLive, reset, relabel };
}
