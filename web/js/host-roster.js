// The host console's "Roster & attendance" tab: attendance as the chair
// reads it out, the roster (upload a CSV or XLSX file, add, edit, remove,
// mark excused absences), meeting settings, guests to assign to a roster
// entry, and the printable sheet of personal QR codes.
//
// `ctx` gives the current frames (`st`, `live`, `members`, `roster`), the
// websocket command sender, the HTTP helper and the confirmation dialog.

import { errorText, num, pct, problemText, t } from '/assets/i18n.js';
import { $, busy, el, fill } from '/assets/js/ui.js';

/** Roster statuses, in the order they are offered (docs/PROTOCOL.md). */
export const STATUSES = ['official', 'probationary', 'exempt', 'suspended', 'attached', 'visiting'];

export function createRoster(ctx) {
  /** The member code being edited, or null when adding. */
  let editing = null;
  /** Table rows by member code, updated in place. */
  const rows = new Map();
  /** Settings switches waiting for their ack keep the user's value. */
  const pendingSettings = new Set();
  /** Problems of the last refused upload, redrawn when the language changes. */
  let uploadProblems = [];

  // ---- add / edit one entry ------------------------------------------------

  function paintStatusSelect() {
    const sel = $('#entry-status');
    const value = sel.value || 'official';
    fill(sel, STATUSES.map((s) => el('option', { value: s, text: t(`st.${s}`) })));
    sel.value = value;
  }

  function resetEntryForm() {
    editing = null;
    $('#entry-name').value = '';
    $('#entry-code').value = '';
    $('#entry-code').readOnly = false;
    $('#entry-group').value = '';
    $('#entry-status').value = 'official';
    $('#entry-error').textContent = '';
    paintEntryForm();
  }

  function paintEntryForm() {
    $('#entry-save').textContent = editing ? t('h.entry.save') : t('h.entry.add');
    $('#entry-cancel').hidden = !editing;
    $('#entry-form').classList.toggle('editing', !!editing);
  }

  function editEntry(code) {
    const r = (ctx.roster || []).find((x) => x.code === code);
    if (!r) return;
    editing = code;
    $('#entry-name').value = r.name;
    $('#entry-code').value = r.code;
    $('#entry-code').readOnly = true;
    $('#entry-status').value = r.status;
    $('#entry-group').value = r.group || '';
    $('#entry-error').textContent = t('h.entry.editing', { name: r.name });
    paintEntryForm();
    $('#entry-form').scrollIntoView({ block: 'nearest' });
    $('#entry-name').focus();
  }

  $('#entry-cancel').addEventListener('click', resetEntryForm);

  $('#entry-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = $('#entry-name').value.trim();
    const code = $('#entry-code').value.trim();
    const group = $('#entry-group').value.trim();
    if (!name || !code) {
      $('#entry-error').textContent = t('h.entry.required');
      (name ? $('#entry-code') : $('#entry-name')).focus();
      return;
    }
    const cmd = {
      type: editing ? 'roster_update' : 'roster_add',
      name,
      code,
      status: $('#entry-status').value,
      group: group || null,
    };
    if (await busy($('#entry-save'), $('#entry-error'), () => ctx.send(cmd))) {
      resetEntryForm();
      $('#entry-name').focus();
    }
  });

  // ---- the roster table ------------------------------------------------------

  function rowFor(code) {
    let tr = rows.get(code);
    if (tr) return tr;
    const excused = el('input', { type: 'checkbox', class: 'excused' });
    excused.addEventListener('change', () => excuse(code, excused));
    tr = el(
      'tr',
      { dataset: { code } },
      el('td', {}, el('span', { class: 'dot' })),
      el('td', {}, el('span', { class: 'rname' }), el('span', { class: 'rcode' })),
      el('td', { class: 'rstatus' }),
      el('td', { class: 'rgroup' }),
      el('td', { class: 'rexcused' }, el('label', { class: 'check' }, excused)),
      el(
        'td',
        { class: 'ractions' },
        // A member without a phone: the host marks them present by hand.
        el('button', { type: 'button', class: 'btn small mark', onclick: () => mark(code) }),
        el('button', { type: 'button', class: 'btn small edit', onclick: () => editEntry(code) }),
        el('button', { type: 'button', class: 'btn small danger remove', onclick: () => removeEntry(code) }),
      ),
    );
    rows.set(code, tr);
    return tr;
  }

  async function excuse(code, box) {
    const sent = await busy(box, $('#roster-error'), () =>
      ctx.send({ type: 'excuse', code, excused: box.checked }));
    if (!sent) box.checked = !box.checked;
  }

  async function mark(code) {
    const r = (ctx.roster || []).find((x) => x.code === code);
    if (!r) return;
    await busy(rows.get(code).querySelector('.mark'), $('#roster-error'), () =>
      ctx.send({ type: 'mark', code, present: !r.by_hand }));
  }

  async function removeEntry(code) {
    const r = (ctx.roster || []).find((x) => x.code === code);
    if (!r) return;
    if (!(await ctx.confirm(t('h.confirmRemoveEntry', { name: r.name, code }), t('h.remove')))) return;
    const removed = await busy(null, $('#roster-error'), () => ctx.send({ type: 'roster_remove', code }));
    if (removed && editing === code) resetEntryForm();
  }

  function renderTable() {
    const roster = ctx.roster || [];
    const body = $('#roster-rows');
    const seen = new Set();
    for (const r of roster) {
      seen.add(r.code);
      const tr = rowFor(r.code);
      tr.dataset.present = String(r.present);
      tr.dataset.status = r.status;
      const dot = tr.querySelector('.dot');
      dot.title = r.present ? t('h.presentDot') : t('h.absentDot');
      dot.setAttribute('aria-label', dot.title);
      dot.setAttribute('role', 'img');
      tr.querySelector('.rname').textContent = r.name;
      tr.querySelector('.rcode').textContent = r.code;
      tr.querySelector('.rstatus').textContent = t(`st.${r.status}`);
      tr.querySelector('.rgroup').textContent = r.group || '';
      const box = tr.querySelector('.excused');
      if (!box.disabled) box.checked = r.excused;
      box.setAttribute('aria-label', t('h.excusedLabel', { name: r.name }));
      tr.dataset.byHand = String(!!r.by_hand);
      if (r.by_hand) dot.title = t('h.att.byHand');
      const mk = tr.querySelector('.mark');
      // Marking is for members not present on a phone; a mark can be taken back.
      mk.hidden = r.present && !r.by_hand;
      mk.textContent = t(r.by_hand ? 'h.att.unmark' : 'h.att.mark');
      mk.setAttribute('aria-label', `${mk.textContent}: ${r.name}`);
      const edit = tr.querySelector('.edit');
      edit.textContent = t('h.edit');
      edit.setAttribute('aria-label', `${t('h.edit')}: ${r.name}`);
      const rm = tr.querySelector('.remove');
      rm.textContent = t('h.remove');
      rm.setAttribute('aria-label', `${t('h.remove')}: ${r.name}`);
    }
    const wanted = roster.map((r) => rows.get(r.code));
    if (wanted.length !== body.children.length || wanted.some((tr, i) => body.children[i] !== tr)) {
      body.replaceChildren(...wanted);
    }
    for (const code of [...rows.keys()]) {
      if (!seen.has(code)) rows.delete(code);
    }
    $('#roster-count').textContent = num(roster.length);
    $('#roster-empty').hidden = roster.length > 0;
    $('#roster-table').hidden = roster.length === 0;
  }

  // ---- attendance --------------------------------------------------------------

  function renderAttendance() {
    const a = ctx.live && ctx.live.attendance;
    const set = (id, v) => { $(id).textContent = num(v); };
    set('#att-convened', a ? a.convened : 0);
    set('#att-present', a ? a.present : 0);
    set('#att-absent', a ? a.absent : 0);
    set('#att-excused', a ? a.excused : 0);
    set('#att-unexcused', a ? a.unexcused : 0);
    $('#att-rate').textContent = pct(a ? a.rate : 0);
    $('#att-eligible').textContent = a ? `${num(a.eligible_present)}/${num(a.eligible_convened)}` : '0';
    set('#att-guests', a ? a.guests : 0);
    const line = $('#att-by-status');
    if (!a || !a.roster) {
      line.textContent = t('h.att.noRoster');
      return;
    }
    // Official and probationary members are convened (and may be absent);
    // every other status is on its own line, never counted absent.
    line.textContent = (a.by_status || [])
      .filter((r) => r.listed > 0)
      .map((r) => {
        const status = t(`st.${r.status}`);
        return ['official', 'probationary'].includes(r.status)
          ? t('h.att.byStatus', { status, present: num(r.present), convened: num(r.listed) })
          : t('h.att.byStatusOnly', { status, present: num(r.present), listed: num(r.listed) });
      })
      .join(' · ');
  }

  // ---- settings --------------------------------------------------------------

  function renderSettings() {
    const st = ctx.st;
    if (!st) return;
    if (!pendingSettings.has('allow_guests')) $('#set-guests').checked = !!st.allow_guests;
    // Without a roster anyone with the PIN votes: say so plainly, and offer
    // to approve each new member.
    const noRoster = (ctx.roster || []).length === 0;
    $('#no-roster-warning').hidden = !noRoster;
    // Said again where motions are opened, unless each new member is approved.
    $('#votes-no-roster').hidden = !noRoster || !!st.approve_members;
    $('#approve-switch').hidden = !noRoster;
    if (!pendingSettings.has('approve_members')) $('#set-approve').checked = !!st.approve_members;
    if (!pendingSettings.has('exclude_excused')) $('#set-excused').checked = !!st.exclude_excused;
    if (!pendingSettings.has('congress')) $('#set-congress').checked = !!st.congress;
    if (!pendingSettings.has('wording')) $('#set-wording').value = st.wording || 'neutral';
  }

  async function setting(field, box) {
    $('#settings-error').textContent = '';
    pendingSettings.add(field);
    try {
      await ctx.send({ type: 'settings', [field]: box.checked });
    } catch (err) {
      box.checked = !box.checked;
      $('#settings-error').textContent = errorText(err);
    } finally {
      pendingSettings.delete(field);
      renderSettings();
    }
  }

  $('#set-guests').addEventListener('change', (e) => setting('allow_guests', e.currentTarget));
  $('#set-approve').addEventListener('change', (e) => setting('approve_members', e.currentTarget));
  $('#set-excused').addEventListener('change', (e) => setting('exclude_excused', e.currentTarget));
  $('#set-congress').addEventListener('change', (e) => setting('congress', e.currentTarget));
  $('#set-wording').addEventListener('change', async (e) => {
    const select = e.currentTarget;
    $('#settings-error').textContent = '';
    pendingSettings.add('wording');
    try {
      await ctx.send({ type: 'wording', wording: select.value });
    } catch (err) {
      $('#settings-error').textContent = errorText(err);
    } finally {
      pendingSettings.delete('wording');
      renderSettings();
    }
  });

  $('#print-qr').addEventListener('click', () => {
    if (ctx.pin) window.open(`/host/meetings/${encodeURIComponent(ctx.pin)}/sheet`, `handsup-sheet-${ctx.pin}`);
  });

  // ---- guests ------------------------------------------------------------------

  function renderGuests() {
    const guests = (ctx.members || []).filter((m) => !m.code);
    const free = (ctx.roster || []).filter((r) => r.member === null || r.member === undefined);
    const card = $('#guests-card');
    card.hidden = !(ctx.st && ctx.st.roster);
    const list = $('#guest-list');
    // Keep a half-made choice: redraw only when what is offered changed.
    const key = JSON.stringify([guests.map((g) => [g.id, g.name, g.connected]), free.map((r) => [r.code, r.name]), t('h.assign')]);
    if (list.dataset.key !== key) {
      list.dataset.key = key;
      fill(
        list,
        guests.map((g) => {
          const sel = el(
            'select',
            { class: 'input small', 'aria-label': t('h.assignLabel', { name: g.name }) },
            el('option', { value: '', text: t('h.assignTo') }),
            free.map((r) => el('option', { value: r.code, text: `${r.name} · ${r.code}` })),
          );
          const btn = el('button', { type: 'button', class: 'btn small', text: t('h.assign') });
          btn.addEventListener('click', () => assign(g.id, sel.value, btn));
          return el(
            'li',
            { dataset: { id: g.id, connected: String(g.connected) } },
            el('span', { class: 'dot' }),
            el('span', { class: 'gname', text: g.name }),
            sel,
            btn,
          );
        }),
      );
    }
    $('#guests-empty').hidden = guests.length > 0;
    renderMatches();
  }

  /** Guests whose name is a roster entry's: one list, confirmed with one tap. */
  function renderMatches() {
    const matches = ctx.matches || [];
    $('#matches').hidden = matches.length === 0;
    $('#matches-title').textContent = t('h.matches.title', { n: num(matches.length) });
    fill($('#matches-list'), matches.map((m) => el('li', {}, el('span', { class: 'gname', text: `${m.name} → ${m.roster_name} · ${m.code}` }))));
  }

  $('#matches-confirm').addEventListener('click', async (e) => {
    const btn = e.currentTarget;
    for (const m of [...(ctx.matches || [])]) {
      if (!(await busy(btn, $('#assign-error'), () => ctx.send({ type: 'assign', member: m.member, code: m.code })))) break;
    }
  });

  async function assign(member, code, btn) {
    if (!code) return;
    await busy(btn, $('#assign-error'), () => ctx.send({ type: 'assign', member, code }));
  }

  // ---- upload ------------------------------------------------------------------

  $('#roster-upload').addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = $('#roster-file').files[0];
    const result = $('#roster-result');
    const error = $('#roster-upload-error');
    result.textContent = '';
    error.textContent = '';
    showUploadProblems([]);
    if (!file) {
      error.textContent = t('h.upload.noFile');
      return;
    }
    const btn = $('#roster-send');
    btn.disabled = true;
    btn.textContent = t('h.upload.sending');
    try {
      const bytes = await file.arrayBuffer();
      const format = /\.xlsx$/i.test(file.name) ? 'xlsx' : 'csv';
      const replace = $('#roster-replace').checked;
      const r = await ctx.api(`/api/meetings/${ctx.pin}/roster?replace=${replace}&format=${format}`, {
        method: 'POST',
        body: bytes,
        headers: { 'content-type': 'application/octet-stream' },
      });
      result.textContent = t('h.upload.done', { n: num(r.imported), total: num(r.roster) });
      $('#roster-file').value = '';
    } catch (err) {
      if (err.status === 401) return ctx.wrongSecret();
      const problems = (err.data && err.data.problems) || [];
      if (problems.length) {
        showUploadProblems(problems);
      } else {
        error.textContent = ctx.apiMessage(err);
      }
    } finally {
      btn.disabled = false;
      btn.textContent = t('h.upload.send');
    }
  });

  /** Shows the server's problems (docs/MOTIONS.md) in the current language. */
  function showUploadProblems(problems) {
    uploadProblems = problems;
    if (problems.length) $('#roster-upload-error').textContent = t('h.upload.problems', { n: problems.length });
    showProblems(
      '#roster-problems',
      problems.map((p) => [
        p.row === null || p.row === undefined ? '–' : String(p.row),
        p.column || '–',
        problemText('roster', p),
      ]),
    );
  }

  function render() {
    renderTable();
    renderAttendance();
    renderSettings();
    renderGuests();
  }

  function reset() {
    rows.clear();
    fill($('#roster-rows'));
    resetEntryForm();
    $('#roster-result').textContent = '';
    $('#roster-upload-error').textContent = '';
    $('#roster-error').textContent = '';
    showUploadProblems([]);
  }

  function relabel() {
    paintStatusSelect();
    paintEntryForm();
    if (uploadProblems.length) showUploadProblems(uploadProblems);
    $('#guest-list').dataset.key = '';
    render();
  }

  paintStatusSelect();
  return { render, renderAttendance, reset, relabel };
}

/** Fills a problems table (`rows` of cells) and shows it, or hides it when empty. */
export function showProblems(tableSel, rowsOfCells) {
  const table = $(tableSel);
  fill(table.tBodies[0], rowsOfCells.map((cells) => el('tr', {}, cells.map((c) => el('td', { text: c })))));
  table.parentElement.hidden = rowsOfCells.length === 0;
}
