// The console's "Ngân hàng câu hỏi" tab (on its first view, beside the
// meetings): every bank with its origin, downloads and deletion; the upload
// of a bank file (drag and drop, progress, the problems by sheet, row and
// column); and the editor: questions of every type, validation as you type
// (POST /api/banks/check), a preview on a phone and on the projector drawn
// with the member and projector pages' own classes, save and save as copy.
//
// Also the create form's choice of questions (all, hand-picked, N at
// random, shuffles, a time override): `createQuestionChoice`.
//
// Routes and formats: docs/BANKS.md. Every text comes from the catalogue
// (web/i18n-banks.js, web/i18n-bank-console.js).

import { getLang, has, num, strings, t } from '/assets/i18n.js';
import { $, el, fill, LETTERS, badge, icon, sourceLabel } from '/assets/js/ui.js';

const TYPES = ['single', 'multiple', 'truefalse', 'typed', 'poll'];
/** Options a choice question may have (docs/BANKS.md). */
const MAX_OPTIONS = 6;
const MIN_OPTIONS = 2;
const DRAFT_KEY = 'handsup:bank-draft';
/** The projector is laid out for 192 × 108 rem (html.projector). */
const STAGE_REM = [192, 108];

// ---- wording of the server's problems ----------------------------------

/**
 * A bank problem (`code`, `params`, English `message`) in the page's
 * language, from `b.p.<code>`; the server's English when this page does
 * not know the code or a parameter.
 */
export function bankProblemText(p) {
  if (!p) return '';
  const fallback = String(p.message || p.code || '');
  const key = `b.p.${p.code}`;
  if (typeof p.code !== 'string' || !has(key)) return fallback;
  const params = p.params && typeof p.params === 'object' ? p.params : {};
  const values = {};
  for (const [k, v] of Object.entries(params)) {
    if (['string', 'number', 'boolean'].includes(typeof v)) values[k] = v;
    else if (Array.isArray(v)) {
      values[k] = v.map((x) => (p.code === 'missing_column' ? t('h.problem.quote', { s: String(x) }) : String(x))).join(', ');
    }
  }
  const template = (strings[getLang()] || strings.vi)[key] ?? strings.vi[key];
  for (const [, name] of template.matchAll(/\{(\w+)\}/g)) {
    if (!(name in values)) return fallback;
  }
  return t(key, values);
}

/** Where a problem is: its sheet, row and column, each or '–'. */
function place(p) {
  const dash = (v) => (v === null || v === undefined || v === '' ? '–' : String(v));
  return [dash(p.sheet), dash(p.row), dash(p.column)];
}

/** A bank id made from a title, as the server makes one from a file name. */
export function slug(s) {
  return String(s || '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}

function originText(origin) {
  const o = origin === 'server' ? 'shipped' : origin;
  return has(`bk.origin.${o}`) ? t(`bk.origin.${o}`) : String(origin || '');
}

/**
 * Runs `fn` on every edit of a text field: typing, and a change made
 * without key events (an autofill, a cleared field).
 */
function onEdit(node, fn) {
  let last = node.value;
  const run = () => {
    if (node.value === last) return;
    last = node.value;
    fn();
  };
  node.addEventListener('input', run);
  node.addEventListener('change', run);
}

/** Two overlapping sheets: "duplicate". */
function copyIcon() {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon icon-copy');
  for (const [x, y] of [[8, 8], [3, 3]]) {
    const r = document.createElementNS(NS, 'rect');
    for (const [k, v] of Object.entries({ x, y, width: 13, height: 13, rx: 2, fill: x === 8 ? 'currentColor' : 'none', 'fill-opacity': x === 8 ? '.15' : '1', stroke: 'currentColor', 'stroke-width': 2.5 })) r.setAttribute(k, String(v));
    svg.appendChild(r);
  }
  return svg;
}

function languageName(code) {
  return code === 'vi' || code === 'en' ? t(`lang.${code}`) : code || '';
}

/** Downloads a host-only file as `name`. */
async function download(ctx, path, name) {
  const r = await fetch(path, { headers: { authorization: `Bearer ${ctx.secret}` } });
  if (r.status === 401) return ctx.wrongSecret();
  if (!r.ok) throw Object.assign(new Error(r.statusText), { status: r.status });
  const url = URL.createObjectURL(await r.blob());
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A table of problems: sheet, row, column, text (hidden when empty). */
function problemTable(id, captionKey) {
  const table = el(
    'table',
    { class: 'problems', id },
    el('caption', { class: 'sr-only', 'data-i18n': captionKey, text: t(captionKey) }),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ['bk.p.sheet', 'h.problem.row', 'h.problem.column', 'h.problem.message'].map((k) =>
          el('th', { scope: 'col', 'data-i18n': k, text: t(k) })),
      ),
    ),
    el('tbody'),
  );
  return el('div', { class: 'table-wrap', hidden: true }, table);
}

function showTable(wrap, problems) {
  const table = wrap.querySelector('table');
  fill(
    table.tBodies[0],
    problems.map((p) => el('tr', {}, [...place(p), bankProblemText(p)].map((c) => el('td', { text: c })))),
  );
  wrap.hidden = problems.length === 0;
}

// ---- the tab ------------------------------------------------------------

export function createBanks(ctx) {
  const root = $('#spanel-banks');
  /** The last upload's answer, redrawn when the language changes. */
  let upload = null;
  /** The bank being edited: `{bank, isNew, editable, saved}` or null. */
  let ed = null;
  let selected = 0;
  let dirty = false;
  /** Problems and warnings of the last check of the edited bank. */
  let checked = { problems: [], warnings: [] };
  let checkTimer = null;
  let checkSeq = 0;
  let saveMessage = null;

  // ---- the list ----------------------------------------------------------

  const listNode = el('ul', { id: 'bk-list', class: 'bank-list' });
  const listError = el('p', { id: 'bk-list-error', class: 'error', role: 'alert' });
  const draftNote = el('div', { id: 'bk-draft', class: 'notice draft-note', role: 'status', hidden: true });

  // ---- upload ------------------------------------------------------------

  const fileInput = el('input', {
    id: 'bk-file',
    class: 'input file',
    type: 'file',
    accept: '.md,.xlsx,.csv,.gift,.txt,text/plain,text/markdown,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  });
  const sendBtn = el('button', { id: 'bk-send', class: 'btn primary block', type: 'submit', 'data-i18n': 'h.upload.send', text: t('h.upload.send') });
  const progress = el('progress', { id: 'bk-progress', max: '100', value: '0', hidden: true, 'aria-labelledby': 'bk-progress-label' });
  const progressLabel = el('span', { id: 'bk-progress-label', class: 'hint', hidden: true });
  const result = el('div', { id: 'bk-result', class: 'upload-result', role: 'status' });
  const uploadError = el('p', { id: 'bk-upload-error', class: 'error', role: 'alert' });
  const problemsWrap = problemTable('bk-problems', 'bk.p.problems');
  const warningsWrap = problemTable('bk-warnings', 'bk.p.warnings');
  warningsWrap.classList.add('warnings');
  const drop = el(
    'div',
    { id: 'bk-drop', class: 'drop-zone' },
    el('label', { for: 'bk-file', 'data-i18n': 'bk.up.file', text: t('bk.up.file') }),
    fileInput,
    el('p', { class: 'hint', 'data-i18n': 'bk.up.drop', text: t('bk.up.drop') }),
  );
  const uploadForm = el(
    'form',
    { id: 'bk-upload', class: 'card form', novalidate: true, 'aria-labelledby': 'bk-up-title' },
    el('h2', { id: 'bk-up-title', 'data-i18n': 'bk.up.title', text: t('bk.up.title') }),
    el('p', { class: 'hint', 'data-i18n': 'bk.up.formats', text: t('bk.up.formats') }),
    drop,
    sendBtn,
    el('div', { class: 'progress-line' }, progressLabel, progress),
    result,
    uploadError,
    problemsWrap,
    warningsWrap,
    el(
      'p',
      { class: 'template-line' },
      el('a', { id: 'bk-template', class: 'btn small', href: '/api/banks/template.xlsx', download: 'ngan-hang-cau-hoi.xlsx', 'data-i18n': 'bk.up.template', text: t('bk.up.template') }),
      ' ',
      el('span', { class: 'hint', 'data-i18n': 'bk.up.templateHint', text: t('bk.up.templateHint') }),
    ),
  );

  const listView = el(
    'div',
    { id: 'bk-list-view', class: 'setup-grid banks-grid' },
    el(
      'section',
      { class: 'card', 'aria-labelledby': 'bk-list-title' },
      el(
        'div',
        { class: 'card-head' },
        el('h2', { id: 'bk-list-title', 'data-i18n': 'bk.list', text: t('bk.list') }),
        el('button', { id: 'bk-new', class: 'btn primary small', type: 'button', 'data-i18n': 'bk.new', text: t('bk.new'), onclick: () => newBank() }),
      ),
      draftNote,
      listNode,
      listError,
    ),
    uploadForm,
  );

  const editorView = el('div', { id: 'bk-editor-view', hidden: true });
  root.append(listView, editorView);

  function renderList() {
    const banks = ctx.banks;
    if (!banks.length) {
      fill(listNode, el('li', { class: 'muted', text: t('h.noBanks') }));
      return;
    }
    fill(
      listNode,
      banks.map((b) => {
        const title = b.title || b.id;
        const uploaded = b.origin === 'uploaded';
        return el(
          'li',
          { class: 'bank-item', dataset: { id: b.id, origin: b.origin || '' } },
          el(
            'div',
            { class: 'bi-main' },
            el('span', { class: 'bi-title', text: title }),
            el(
              'span',
              { class: 'bi-meta' },
              el('span', { class: `bi-origin origin-${b.origin}`, text: originText(b.origin) }),
              el('span', { text: languageName(b.language) }),
              el('span', { class: 'bi-count', text: t('bk.questions', { n: b.questions }) }),
            ),
          ),
          el(
            'div',
            { class: 'bi-actions' },
            el('button', { type: 'button', class: 'btn small primary bi-open', text: t('bk.open'), 'aria-label': `${t('bk.open')}: ${title}`, onclick: () => openBank(b.id) }),
            el('button', { type: 'button', class: 'btn small bi-md', text: t('bk.md'), 'aria-label': t('bk.mdLabel', { title }), onclick: () => get(b, 'bank.md') }),
            el('button', { type: 'button', class: 'btn small bi-xlsx', text: t('bk.xlsx'), 'aria-label': t('bk.xlsxLabel', { title }), onclick: () => get(b, 'xlsx') }),
            uploaded
              ? el('button', { type: 'button', class: 'btn small danger bi-delete', text: t('h.remove'), 'aria-label': `${t('h.remove')}: ${title}`, onclick: () => remove(b) })
              : null,
          ),
        );
      }),
    );
  }

  async function get(b, ext) {
    listError.textContent = '';
    try {
      await download(ctx, `/api/banks/${encodeURIComponent(b.id)}.${ext}`, `${b.id}.${ext}`);
    } catch (err) {
      listError.textContent = t('bk.downloadFailed', { message: ctx.apiMessage(err) });
    }
  }

  async function remove(b) {
    if (!(await ctx.confirm(t('bk.confirmDelete', { title: b.title || b.id, n: b.questions }), t('h.remove')))) return;
    listError.textContent = '';
    try {
      await ctx.api(`/api/banks/${encodeURIComponent(b.id)}`, { method: 'DELETE' });
    } catch (err) {
      if (err.status === 401) return ctx.wrongSecret();
      listError.textContent = t('bk.deleteFailed', { message: ctx.apiMessage(err) });
    }
    await ctx.reloadBanks();
  }

  // ---- upload --------------------------------------------------------------

  uploadForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const file = fileInput.files[0];
    if (!file) {
      showUpload({ error: t('h.upload.noFile') });
      fileInput.focus();
      return;
    }
    send(file);
  });
  for (const ev of ['dragenter', 'dragover']) {
    drop.addEventListener(ev, (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
  }
  for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) send(file);
  });

  /** Sends a file with XMLHttpRequest: fetch cannot report upload progress. */
  function send(file) {
    showUpload(null);
    sendBtn.disabled = true;
    sendBtn.textContent = t('h.upload.sending');
    progress.hidden = false;
    progressLabel.hidden = false;
    progress.value = 0;
    progressLabel.textContent = t('bk.up.progress', { pct: 0 });
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/banks?filename=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('authorization', `Bearer ${ctx.secret}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.round((e.loaded / e.total) * 100);
      progress.value = pct;
      progressLabel.textContent = pct >= 100 ? t('bk.up.reading') : t('bk.up.progress', { pct });
    });
    const done = () => {
      sendBtn.disabled = false;
      sendBtn.textContent = t('h.upload.send');
      progress.hidden = true;
      progressLabel.hidden = true;
    };
    xhr.addEventListener('error', () => {
      done();
      showUpload({ error: t('err.network') });
    });
    xhr.addEventListener('load', async () => {
      done();
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch { /* not JSON */ }
      if (xhr.status === 401) return ctx.wrongSecret();
      if (xhr.status === 201 || xhr.status === 200) {
        fileInput.value = '';
        showUpload({ ok: data || {} });
        await ctx.reloadBanks();
        return;
      }
      const problems = (data && data.problems) || [];
      if (problems.length) return showUpload({ problems });
      if (xhr.status === 413) {
        const max = data && data.params && data.params.max;
        return showUpload({ error: t('bk.up.tooBig', { mb: max ? Math.floor(max / 1048576) : 4 }) });
      }
      showUpload({ error: ctx.apiMessage({ status: xhr.status, code: (data && data.error) || String(xhr.status), message: (data && data.message) || xhr.statusText, data }) });
    });
    xhr.send(file);
  }

  function showUpload(next) {
    upload = next;
    paintUpload();
  }

  function paintUpload() {
    const u = upload || {};
    fill(result);
    uploadError.textContent = '';
    if (u.ok) {
      const b = u.ok;
      result.append(
        el('p', { class: 'ok-note', text: t('bk.up.done', { title: b.title || b.id, n: b.questions }) }),
        el('button', { type: 'button', class: 'btn small', id: 'bk-open-uploaded', text: t('bk.openUploaded'), onclick: () => openBank(b.id) }),
      );
      if ((b.warnings || []).length) result.append(el('p', { class: 'hint', text: t('bk.up.warnings', { n: b.warnings.length }) }));
    }
    if (u.problems) uploadError.textContent = t('bk.up.problems', { n: u.problems.length });
    if (u.error) uploadError.textContent = u.error;
    showTable(problemsWrap, u.problems || []);
    showTable(warningsWrap, (u.ok && u.ok.warnings) || []);
  }

  // ---- the editor ----------------------------------------------------------

  function newQuestion(type = 'single') {
    const q = { type, text: '', options: [], answers: [], time: null, explanation: '', source: '' };
    return convert(q, type);
  }

  /** The labels of a true/false question's two options, in the bank's language. */
  function tfLabels() {
    return ed && ed.bank.language === 'en' ? ['True', 'False'] : ['Đúng', 'Sai'];
  }

  /** Changes a question's type, keeping what still fits (docs/BANKS.md). */
  function convert(q, type) {
    const choice = ['single', 'multiple', 'poll'];
    const was = q.type;
    q.type = type;
    // Partial scoring is for multiple choice, exact diacritics for typed answers.
    if (type !== 'multiple' && q.scoring === 'partial') q.scoring = 'all';
    if (type !== 'typed' && q.diacritics === 'exact') q.diacritics = 'ignore';
    if (choice.includes(type)) {
      if (!q.options || q.options.length === 0 || was === 'truefalse') {
        q.options = [0, 1, 2, 3].map((i) => ({ text: '', correct: type === 'single' && i === 0 }));
      }
      if (type === 'poll') for (const o of q.options) o.correct = false;
      if (type === 'single') {
        let seen = false;
        for (const o of q.options) {
          if (o.correct && !seen) seen = true;
          else o.correct = false;
        }
      }
      q.answers = [];
    } else if (type === 'truefalse') {
      // Two options, the right one marked; only the mark counts on saving.
      const truth = was === 'truefalse' && q.options && q.options[1] ? !q.options[1].correct : true;
      const [yes, no] = tfLabels();
      q.options = [{ text: yes, correct: truth }, { text: no, correct: !truth }];
      q.answers = [];
    } else {
      q.options = [];
      q.answers = q.answers || [];
    }
    return q;
  }

  async function newBank() {
    if (!(await leaveEditor())) return;
    const bank = { id: '', title: '', language: getLang(), description: '', tags: [], questions: [newQuestion()] };
    startEditing({ bank, isNew: true, editable: true, origin: 'uploaded' });
    $('#ed-title').focus();
  }

  async function openBank(id) {
    if (!(await leaveEditor())) return;
    listError.textContent = '';
    let data;
    try {
      data = await ctx.api(`/api/banks/${encodeURIComponent(id)}.json`);
    } catch (err) {
      if (err.status === 401) return ctx.wrongSecret();
      listError.textContent = t('bk.openFailed', { message: ctx.apiMessage(err) });
      return;
    }
    const bank = { ...data };
    delete bank.origin;
    delete bank.editable;
    bank.questions = (data.questions || []).map((q) => ({ ...q, options: (q.options || []).map((o) => ({ ...o })), answers: [...(q.answers || [])] }));
    startEditing({ bank, isNew: false, editable: data.editable !== false, origin: data.origin });
    $('#ed-heading').focus();
  }

  /** Whether the editor may be left (asks before dropping unsaved changes). */
  async function leaveEditor() {
    if (!ed || !dirty) return true;
    return ctx.confirm(t('bk.ed.discard'), t('bk.ed.discardOk'));
  }

  function startEditing(next) {
    ed = next;
    selected = 0;
    dirty = false;
    saveMessage = null;
    checked = { problems: [], warnings: [] };
    buildEditor();
    listView.hidden = true;
    editorView.hidden = false;
    draftNote.hidden = true;
    scheduleCheck(0);
  }

  async function closeEditor() {
    if (!(await leaveEditor())) return;
    ed = null;
    dirty = false;
    dropDraft();
    fill(editorView);
    editorView.hidden = true;
    listView.hidden = false;
    renderList();
    $('#bk-new').focus();
  }

  window.addEventListener('beforeunload', (e) => {
    if (ed && dirty) {
      e.preventDefault();
      e.returnValue = '';
    }
  });

  // The page keeps a copy of unsaved work, so a closed tab or a crash
  // loses nothing: offered again on the list.
  function keepDraft() {
    if (!ed) return;
    try {
      localStorage.setItem(DRAFT_KEY, JSON.stringify({ ed, at: Date.now() }));
    } catch { /* storage full or disabled */ }
  }
  function dropDraft() {
    try {
      localStorage.removeItem(DRAFT_KEY);
    } catch { /* ignore */ }
  }
  function readDraft() {
    try {
      const d = JSON.parse(localStorage.getItem(DRAFT_KEY) || 'null');
      return d && d.ed && d.ed.bank && Array.isArray(d.ed.bank.questions) ? d : null;
    } catch {
      return null;
    }
  }
  function paintDraft() {
    const d = ed ? null : readDraft();
    draftNote.hidden = !d;
    if (!d) return;
    fill(
      draftNote,
      el('span', { text: t('bk.draft', { title: d.ed.bank.title || t('bk.untitled') }) }),
      ' ',
      el('button', { type: 'button', class: 'btn small', id: 'bk-draft-open', text: t('bk.draftOpen'), onclick: () => {
        startEditing(d.ed);
        dirty = true;
        paintState();
      } }),
      ' ',
      el('button', { type: 'button', class: 'btn small ghost', text: t('bk.draftDrop'), onclick: () => { dropDraft(); paintDraft(); } }),
    );
  }

  function changed() {
    dirty = true;
    saveMessage = null;
    keepDraft();
    paintState();
    scheduleCheck();
  }

  // ---- building the editor -------------------------------------------------

  function field(id, labelKey, input, extra = null) {
    input.id = id;
    input.setAttribute('aria-describedby', `${id}-err`);
    return el(
      'div',
      { class: 'field' },
      el('label', { for: id, 'data-i18n': labelKey, text: t(labelKey) }),
      input,
      extra,
      el('p', { id: `${id}-err`, class: 'error field-error', 'aria-live': 'polite' }),
    );
  }

  function buildEditor() {
    const b = ed.bank;
    const title = el('input', { class: 'input', maxlength: '200', autocomplete: 'off' });
    title.value = b.title || '';
    onEdit(title, () => {
      b.title = title.value;
      if (ed.isNew && !ed.idTouched) {
        b.id = slug(title.value);
        $('#ed-id').value = b.id;
      }
      $('#ed-heading').textContent = headingText();
      changed();
    });
    const id = el('input', { class: 'input', maxlength: '64', autocomplete: 'off', spellcheck: 'false', readonly: !ed.isNew });
    id.value = b.id || '';
    onEdit(id, () => {
      ed.idTouched = true;
      b.id = id.value.trim();
      changed();
    });
    const lang = el(
      'select',
      { class: 'input' },
      ['vi', 'en'].map((l) => el('option', { value: l, text: t(`lang.${l}`) })),
    );
    lang.value = b.language === 'en' ? 'en' : 'vi';
    lang.addEventListener('change', () => {
      b.language = lang.value;
      changed();
      paintPreview();
    });
    const desc = el('textarea', { class: 'input textarea', rows: '2', maxlength: '1000' });
    desc.value = b.description || '';
    onEdit(desc, () => {
      b.description = desc.value;
      changed();
    });
    const tags = el('input', { class: 'input', autocomplete: 'off' });
    tags.value = Array.isArray(b.tags) ? b.tags.join(', ') : b.tags || '';
    onEdit(tags, () => {
      const list = tags.value.split(',').map((s) => s.trim()).filter(Boolean);
      b.tags = Array.isArray(b.tags) || b.tags == null ? list : tags.value;
      changed();
    });

    const saveBtn = el('button', { id: 'ed-save', class: 'btn primary', type: 'button', text: t('bk.ed.save'), onclick: () => save(false) });
    const copyBtn = el('button', { id: 'ed-copy', class: 'btn', type: 'button', text: t('bk.ed.saveCopy'), onclick: () => showCopy() });
    const copyId = el('input', { class: 'input', maxlength: '64', autocomplete: 'off', spellcheck: 'false' });
    const copyForm = el(
      'div',
      { id: 'ed-copy-form', class: 'copy-form', hidden: true },
      field('ed-copy-id', 'bk.ed.copyId', copyId),
      el(
        'div',
        { class: 'row-actions' },
        el('button', { id: 'ed-copy-save', class: 'btn primary', type: 'button', 'data-i18n': 'bk.ed.saveCopy', text: t('bk.ed.saveCopy'), onclick: () => save(true) }),
        el('button', { class: 'btn ghost', type: 'button', 'data-i18n': 'h.cancel', text: t('h.cancel'), onclick: () => { copyForm.hidden = true; copyBtn.focus(); } }),
      ),
    );

    fill(
      editorView,
      el(
        'section',
        { class: 'card bank-editor', 'aria-labelledby': 'ed-heading' },
        el(
          'div',
          { class: 'card-head' },
          el('h2', { id: 'ed-heading', tabindex: '-1', text: headingText() }),
          el('button', { id: 'ed-back', class: 'btn small', type: 'button', 'data-i18n': 'bk.ed.back', text: t('bk.ed.back'), onclick: () => closeEditor() }),
        ),
        el('p', { id: 'ed-readonly', class: 'notice', hidden: ed.editable, 'data-i18n': 'bk.ed.readOnly', text: t('bk.ed.readOnly') }),
        el(
          'div',
          { class: 'ed-meta' },
          field('ed-title', 'bk.ed.title', title),
          field('ed-id', 'bk.ed.id', id, el('p', { class: 'hint', 'data-i18n': 'bk.ed.idHint', text: t('bk.ed.idHint') })),
          field('ed-language', 'bk.ed.language', lang),
          field('ed-tags', 'bk.ed.tags', tags),
          field('ed-description', 'bk.ed.description', desc),
        ),
        el(
          'div',
          { class: 'ed-bar' },
          el('span', { id: 'ed-state', class: 'ed-state', role: 'status' }),
          el('span', { class: 'spacer' }),
          saveBtn,
          copyBtn,
        ),
        copyForm,
        el('p', { id: 'ed-error', class: 'error', role: 'alert' }),
        el('ul', { id: 'ed-general', class: 'ed-general' }),
        el(
          'div',
          { class: 'ed-grid' },
          el(
            'section',
            { class: 'ed-questions', 'aria-labelledby': 'ed-qs-title' },
            el('h3', { id: 'ed-qs-title' }),
            el('ol', { id: 'ed-qlist', class: 'ed-qlist' }),
            el('button', { id: 'ed-add', class: 'btn block', type: 'button', 'data-i18n': 'bk.ed.add', text: t('bk.ed.add'), onclick: () => addQuestion() }),
          ),
          el('section', { id: 'ed-q', class: 'ed-q', 'aria-labelledby': 'ed-q-title' }),
          el(
            'section',
            { class: 'ed-preview', 'aria-labelledby': 'ed-pv-title' },
            el('h3', { id: 'ed-pv-title', 'data-i18n': 'bk.pv.title', text: t('bk.pv.title') }),
            el('figure', { class: 'pv-fig' }, el('figcaption', { class: 'hint', 'data-i18n': 'bk.pv.phone', text: t('bk.pv.phone') }), el('div', { id: 'pv-phone', class: 'pv-phone' })),
            el('figure', { class: 'pv-fig' }, el('figcaption', { class: 'hint', 'data-i18n': 'bk.pv.screen', text: t('bk.pv.screen') }), el('div', { id: 'pv-screen', class: 'pv-screen' })),
          ),
        ),
      ),
    );
    renderQuestions();
    buildQuestion();
    paintState();
  }

  function headingText() {
    const title = ed.bank.title || t('bk.untitled');
    return ed.isNew ? t('bk.ed.headingNew', { title }) : t('bk.ed.heading', { title });
  }

  function showCopy() {
    const form = $('#ed-copy-form');
    form.hidden = false;
    const input = $('#ed-copy-id');
    if (!input.value) input.value = slug(`${ed.bank.id || ed.bank.title}-ban-sao`);
    input.focus();
  }

  // ---- questions list --------------------------------------------------------

  function problemsOf(i) {
    return checked.problems.filter((p) => p.question === i);
  }

  function renderQuestions() {
    const qs = ed.bank.questions;
    $('#ed-qs-title').textContent = t('bk.ed.questions', { n: qs.length });
    fill(
      $('#ed-qlist'),
      qs.map((q, i) => {
        const n = i + 1;
        const bad = problemsOf(i).length;
        const label = q.text.trim() || t('bk.ed.emptyText');
        return el(
          'li',
          { class: 'ed-qitem', dataset: { index: i, bad: String(bad > 0) }, 'aria-current': i === selected ? 'true' : null },
          el(
            'button',
            { type: 'button', class: 'eq-open', onclick: () => select(i) },
            el('span', { class: 'eq-n', text: `${n}.` }),
            el('span', { class: 'eq-text', text: label }),
            el('span', { class: 'eq-type', text: t(`bk.type.${q.type}`) }),
            bad ? el('span', { class: 'eq-bad', text: t('bk.ed.qProblems', { n: bad }) }) : null,
          ),
          el(
            'span',
            { class: 'eq-actions' },
            el('button', { type: 'button', class: 'btn small eq-up', disabled: i === 0, 'aria-label': t('bk.ed.upLabel', { n }), title: t('bk.ed.up'), onclick: () => move(i, -1, 'eq-up') }, '↑'),
            el('button', { type: 'button', class: 'btn small eq-down', disabled: i === qs.length - 1, 'aria-label': t('bk.ed.downLabel', { n }), title: t('bk.ed.down'), onclick: () => move(i, 1, 'eq-down') }, '↓'),
            el('button', { type: 'button', class: 'btn small eq-dup', 'aria-label': t('bk.ed.dupLabel', { n }), title: t('bk.ed.dup'), onclick: () => duplicate(i) }, copyIcon()),
            el('button', { type: 'button', class: 'btn small danger eq-del', 'aria-label': t('bk.ed.delLabel', { n }), title: t('bk.ed.del'), onclick: () => removeQuestion(i) }, icon('cross')),
          ),
        );
      }),
    );
  }

  function focusIn(i, cls) {
    const li = $(`#ed-qlist li[data-index="${i}"]`);
    if (!li) return;
    const b = li.querySelector(`.${cls}`);
    (b && !b.disabled ? b : li.querySelector('.eq-open')).focus();
  }

  function select(i) {
    selected = Math.max(0, Math.min(i, ed.bank.questions.length - 1));
    renderQuestions();
    buildQuestion();
  }

  function move(i, step, cls) {
    const qs = ed.bank.questions;
    const j = i + step;
    if (j < 0 || j >= qs.length) return;
    [qs[i], qs[j]] = [qs[j], qs[i]];
    if (selected === i) selected = j;
    else if (selected === j) selected = i;
    changed();
    renderQuestions();
    buildQuestion();
    focusIn(j, cls);
  }

  function duplicate(i) {
    const copy = JSON.parse(JSON.stringify(ed.bank.questions[i]));
    ed.bank.questions.splice(i + 1, 0, copy);
    selected = i + 1;
    changed();
    renderQuestions();
    buildQuestion();
    focusIn(i + 1, 'eq-open');
  }

  async function removeQuestion(i) {
    const q = ed.bank.questions[i];
    if (q.text.trim() && !(await ctx.confirm(t('bk.ed.confirmDel', { n: i + 1, text: q.text }), t('bk.ed.del')))) return;
    ed.bank.questions.splice(i, 1);
    if (selected >= ed.bank.questions.length) selected = ed.bank.questions.length - 1;
    changed();
    renderQuestions();
    buildQuestion();
    focusIn(Math.min(i, ed.bank.questions.length - 1), 'eq-open');
    if (!ed.bank.questions.length) $('#ed-add').focus();
  }

  function addQuestion() {
    ed.bank.questions.push(newQuestion());
    selected = ed.bank.questions.length - 1;
    changed();
    renderQuestions();
    buildQuestion();
    $('#eq-text').focus();
  }

  // ---- one question ------------------------------------------------------------

  function buildQuestion() {
    const box = $('#ed-q');
    const q = ed.bank.questions[selected];
    if (!q) {
      fill(box, el('p', { class: 'muted', 'data-i18n': 'bk.ed.noQuestions', text: t('bk.ed.noQuestions') }));
      paintPreview();
      paintProblems();
      return;
    }
    const type = el('select', { class: 'input' }, TYPES.map((ty) => el('option', { value: ty, text: t(`bk.type.${ty}`) })));
    type.value = q.type;
    type.addEventListener('change', () => {
      convert(q, type.value);
      changed();
      renderQuestions();
      buildQuestion();
      $('#eq-type').focus();
    });
    const text = el('textarea', { class: 'input textarea', rows: '3', maxlength: '400' });
    text.value = q.text;
    onEdit(text, () => {
      q.text = text.value;
      changed();
      paintListItem();
      paintPreview();
    });

    let body = null;
    if (['single', 'multiple', 'poll'].includes(q.type)) body = optionsEditor(q);
    else if (q.type === 'truefalse') body = trueFalseEditor(q);
    else body = answersEditor(q);

    const time = el('input', { class: 'input', type: 'number', inputmode: 'numeric', min: '5', max: '600', placeholder: t('bk.ed.timeDefault') });
    time.value = q.time == null ? '' : String(q.time);
    onEdit(time, () => {
      const v = time.value.trim();
      q.time = v === '' ? null : Number(v);
      changed();
      paintPreview();
    });
    const expl = el('textarea', { class: 'input textarea', rows: '3', maxlength: '1000' });
    expl.value = q.explanation || '';
    onEdit(expl, () => {
      q.explanation = expl.value;
      changed();
    });
    const source = el('input', { class: 'input', maxlength: '400', autocomplete: 'off' });
    source.value = q.source || '';
    onEdit(source, () => {
      q.source = source.value;
      changed();
    });

    // A number field that may be left empty (the bank's default).
    const numberField = (key, min, max) => {
      const input = el('input', { class: 'input', type: 'number', inputmode: 'numeric', min: String(min), max: String(max), placeholder: t('bk.ed.timeDefault') });
      input.value = q[key] == null ? '' : String(q[key]);
      onEdit(input, () => {
        const v = input.value.trim();
        q[key] = v === '' ? null : Number(v);
        changed();
        paintPreview();
      });
      return input;
    };
    // A switch between two values of a field (scoring, diacritics).
    const toggle = (id, key, on, off, labelKey) => {
      const box2 = el('input', { type: 'checkbox', id, checked: q[key] === on, 'aria-describedby': `${id}-err` });
      box2.addEventListener('change', () => {
        q[key] = box2.checked ? on : off;
        changed();
      });
      return el('div', { class: 'field' },
        el('label', { class: 'check', for: id }, box2, el('span', { text: t(labelKey) })),
        el('p', { id: `${id}-err`, class: 'error field-error', 'aria-live': 'polite' }));
    };

    fill(
      box,
      el('h3', { id: 'ed-q-title', text: t('bk.ed.question', { n: selected + 1 }) }),
      el('div', { class: 'form' },
        field('eq-type', 'bk.ed.type', type),
        field('eq-text', 'bk.ed.text', text),
        body,
        q.type === 'multiple' ? toggle('eq-scoring', 'scoring', 'partial', 'all', 'bk.ed.partial') : null,
        q.type === 'typed' ? toggle('eq-diacritics', 'diacritics', 'exact', 'ignore', 'bk.ed.exact') : null,
        el('div', { class: 'eq-numbers' },
          field('eq-time', 'bk.ed.time', time),
          field('eq-reading', 'bk.ed.reading', numberField('reading', 0, 60)),
          q.type === 'poll' ? null : field('eq-points', 'bk.ed.points', numberField('points', 0, 10000))),
        el('p', { class: 'hint', 'data-i18n': 'bk.ed.timeHint', text: t('bk.ed.timeHint') }),
        field('eq-explanation', 'bk.ed.explanation', expl),
        field('eq-source', 'bk.ed.source', source, el('p', { class: 'hint', 'data-i18n': 'bk.ed.sourceHint', text: t('bk.ed.sourceHint') })),
      ),
    );
    paintPreview();
    paintProblems();
  }

  function paintListItem() {
    const li = $(`#ed-qlist li[data-index="${selected}"] .eq-text`);
    const q = ed.bank.questions[selected];
    if (li && q) li.textContent = q.text.trim() || t('bk.ed.emptyText');
  }

  function optionsEditor(q) {
    const single = q.type === 'single';
    const poll = q.type === 'poll';
    const rows = q.options.map((o, i) => {
      const text = el('input', { class: 'input', maxlength: '150', autocomplete: 'off', id: `eq-opt-${i}`, 'aria-label': t('bk.ed.optionLabel', { letter: LETTERS[i] || i + 1 }) });
      text.value = o.text;
      onEdit(text, () => {
        o.text = text.value;
        changed();
        paintPreview();
      });
      const mark = poll
        ? null
        : el('input', {
          type: single ? 'radio' : 'checkbox',
          name: 'eq-correct',
          class: 'eq-correct',
          id: `eq-correct-${i}`,
          checked: !!o.correct,
        });
      if (mark) {
        mark.addEventListener('change', () => {
          if (single) q.options.forEach((x, j) => { x.correct = j === i; });
          else o.correct = mark.checked;
          changed();
          paintPreview();
        });
      }
      return el(
        'li',
        { class: `eq-option opt-${i % 6}` },
        badge(i),
        text,
        mark ? el('label', { class: 'check eq-correct-label', for: `eq-correct-${i}` }, mark, el('span', { text: t('bk.ed.correct') }), el('span', { class: 'sr-only', text: ` ${LETTERS[i] || ''}` })) : null,
        el('button', {
          type: 'button',
          class: 'btn small ghost eq-opt-del',
          disabled: q.options.length <= MIN_OPTIONS,
          'aria-label': t('bk.ed.optionDel', { letter: LETTERS[i] || i + 1 }),
          title: t('bk.ed.optionDel', { letter: LETTERS[i] || i + 1 }),
          onclick: () => {
            q.options.splice(i, 1);
            if (single && !q.options.some((x) => x.correct) && q.options[0]) q.options[0].correct = true;
            changed();
            buildQuestion();
            $('#eq-add-option').focus();
          },
        }, icon('cross')),
      );
    });
    return el(
      'fieldset',
      { class: 'field eq-options', 'aria-describedby': 'eq-options-err' },
      el('legend', { class: 'label', text: t(poll ? 'bk.ed.optionsPoll' : single ? 'bk.ed.optionsSingle' : 'bk.ed.optionsMultiple') }),
      el('ul', { class: 'eq-option-list' }, rows),
      el('button', {
        type: 'button',
        class: 'btn small',
        id: 'eq-add-option',
        disabled: q.options.length >= MAX_OPTIONS,
        text: t('bk.ed.addOption'),
        onclick: () => {
          q.options.push({ text: '', correct: false });
          changed();
          buildQuestion();
          $(`#eq-opt-${q.options.length - 1}`).focus();
        },
      }),
      el('p', { id: 'eq-options-err', class: 'error field-error', 'aria-live': 'polite' }),
    );
  }

  function trueFalseEditor(q) {
    if (!q.options || q.options.length !== 2) convert(q, 'truefalse');
    const truth = !!q.options[0].correct;
    const radio = (v, key) => {
      const r = el('input', { type: 'radio', name: 'eq-tf', value: String(v), id: `eq-tf-${v}`, checked: truth === v });
      r.addEventListener('change', () => {
        q.options[0].correct = v;
        q.options[1].correct = !v;
        changed();
        paintPreview();
      });
      return el('label', { class: 'check', for: `eq-tf-${v}` }, r, el('span', { text: t(key) }));
    };
    return el(
      'fieldset',
      { class: 'field eq-tf', 'aria-describedby': 'eq-options-err' },
      el('legend', { class: 'label', text: t('bk.ed.tfAnswer') }),
      radio(true, 'bk.ed.true'),
      radio(false, 'bk.ed.false'),
      el('p', { id: 'eq-options-err', class: 'error field-error', 'aria-live': 'polite' }),
    );
  }

  function answersEditor(q) {
    const ta = el('textarea', { class: 'input textarea', rows: '3' });
    ta.value = q.answers.join('\n');
    onEdit(ta, () => {
      q.answers = ta.value.split('\n').map((s) => s.trim()).filter(Boolean);
      changed();
    });
    return field('eq-answers', 'bk.ed.answers', ta, el('p', { class: 'hint', 'data-i18n': 'bk.ed.answersHint', text: t('bk.ed.answersHint') }));
  }

  // ---- validation ---------------------------------------------------------------

  function scheduleCheck(delay = 400) {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(runCheck, delay);
  }

  async function runCheck() {
    if (!ed) return;
    const seq = ++checkSeq;
    try {
      const r = await ctx.api('/api/banks/check', { method: 'POST', body: JSON.stringify(ed.bank) });
      if (seq !== checkSeq || !ed) return;
      checked = { problems: (r && r.problems) || [], warnings: (r && r.warnings) || [] };
    } catch (err) {
      if (seq !== checkSeq || !ed) return;
      if (err.status === 401) return ctx.wrongSecret();
      // Checking is a help: a failure leaves the last result and says so.
      checked = { ...checked, failed: true };
    }
    renderQuestions();
    paintProblems();
    paintState();
  }

  /** Which input shows a problem about `field` of the selected question. */
  function fieldTarget(fieldName) {
    const q = ed.bank.questions[selected];
    const f = String(fieldName || '');
    if (f === 'options') return 'eq-options';
    if (f === 'answers') return q && q.type === 'typed' ? 'eq-answers' : 'eq-options';
    if (['type', 'text', 'time', 'reading', 'points', 'scoring', 'diacritics', 'explanation', 'source'].includes(f)) return `eq-${f}`;
    return null;
  }

  /** A problem's words, naming its option or answer when it is about one. */
  function problemLine(p) {
    const text = bankProblemText(p);
    if (typeof p.index !== 'number') return text;
    if (p.field === 'options') return `${t('bk.ed.optionLabel', { letter: LETTERS[p.index] || p.index + 1 })}: ${text}`;
    if (p.field === 'answers') return `${t('bk.ed.answerN', { n: p.index + 1 })}: ${text}`;
    return text;
  }

  function paintProblems() {
    if (!ed) return;
    const sel = problemsOf(selected);
    const warn = checked.warnings.filter((p) => p.question === selected);
    const byTarget = new Map();
    const general = [];
    const add = (target, p, warning) => {
      if (!byTarget.has(target)) byTarget.set(target, []);
      byTarget.get(target).push({ p, warning });
    };
    for (const p of sel) {
      const target = fieldTarget(p.field);
      if (target && $(`#${target}-err`)) add(target, p, false);
      else general.push({ p, warning: false, n: selected + 1 });
    }
    for (const p of warn) {
      const target = fieldTarget(p.field);
      if (target && $(`#${target}-err`)) add(target, p, true);
    }
    // Bank-wide problems (the title, the id, no questions).
    for (const p of checked.problems.filter((x) => x.question === null || x.question === undefined)) {
      const target = { title: 'ed-title', id: 'ed-id', language: 'ed-language', description: 'ed-description', tags: 'ed-tags' }[p.field];
      if (target) add(target, p, false);
      else general.push({ p, warning: false });
    }
    for (const node of editorView.querySelectorAll('.field-error')) {
      const id = node.id.replace(/-err$/, '');
      const items = byTarget.get(id) || [];
      node.textContent = items.map((x) => (x.warning ? `${t('bk.ed.warning')}: ` : '') + problemLine(x.p)).join(' ');
      node.classList.toggle('is-warning', items.length > 0 && items.every((x) => x.warning));
      const input = $(`#${id}`);
      if (input && input.matches('input, textarea, select')) {
        input.setAttribute('aria-invalid', String(items.some((x) => !x.warning)));
      }
    }
    fill(
      $('#ed-general'),
      general.map((x) => el('li', { class: 'error', text: (x.n ? `${t('bk.ed.question', { n: x.n })}: ` : '') + problemLine(x.p) })),
    );
    // The option a problem is about is marked invalid too.
    for (const input of editorView.querySelectorAll('.eq-option .input')) input.setAttribute('aria-invalid', 'false');
    for (const p of sel) {
      if (p.field === 'options' && typeof p.index === 'number') {
        const input = $(`#eq-opt-${p.index}`);
        if (input) input.setAttribute('aria-invalid', 'true');
      }
    }
  }

  function paintState() {
    if (!ed) return;
    const state = $('#ed-state');
    const n = checked.problems.length;
    const parts = [];
    if (saveMessage) parts.push(saveMessage);
    else parts.push(dirty ? t('bk.ed.unsaved') : ed.isNew ? t('bk.ed.new') : t('bk.ed.saved'));
    if (checked.failed) parts.push(t('bk.ed.checkFailed'));
    else parts.push(n ? t('bk.ed.problems', { n: n }) : t('bk.ed.noProblems'));
    state.textContent = parts.join(' · ');
    state.dataset.problems = String(n);
    state.dataset.dirty = String(dirty);
    $('#ed-save').hidden = !ed.editable;
    $('#ed-save').textContent = t('bk.ed.save');
    $('#ed-copy').textContent = t('bk.ed.saveCopy');
    $('#ed-copy').hidden = ed.isNew;
    $('#ed-copy').classList.toggle('primary', !ed.editable);
  }

  // ---- saving -------------------------------------------------------------------

  async function save(asCopy) {
    const error = $('#ed-error');
    error.textContent = '';
    const b = ed.bank;
    const id = asCopy ? $('#ed-copy-id').value.trim() : (b.id || '').trim();
    const idField = asCopy ? '#ed-copy-id' : '#ed-id';
    if (!id || slug(id) !== id) {
      const msg = t('bk.ed.badId');
      $(`${idField}-err`).textContent = msg;
      $(idField).setAttribute('aria-invalid', 'true');
      $(idField).focus();
      return;
    }
    $(`${idField}-err`).textContent = '';
    const replacing = (asCopy || ed.isNew) && ctx.banks.some((x) => x.id === id);
    if (replacing) {
      const other = ctx.banks.find((x) => x.id === id);
      if (other.origin !== 'uploaded') {
        $(`${idField}-err`).textContent = t('bk.ed.idTaken', { id });
        $(idField).focus();
        return;
      }
      if (!(await ctx.confirm(t('bk.ed.confirmReplace', { id, title: other.title }), t('bk.ed.replace')))) return;
    }
    const btn = asCopy ? $('#ed-copy-save') : $('#ed-save');
    btn.disabled = true;
    const body = { ...b, id };
    try {
      await ctx.api(`/api/banks/${encodeURIComponent(id)}`, { method: 'PUT', body: JSON.stringify(body) });
    } catch (err) {
      btn.disabled = false;
      if (err.status === 401) {
        error.textContent = t('h.wrongSecret');
        return;
      }
      if (err.code === 'bank_read_only') {
        ed.editable = false;
        $('#ed-readonly').hidden = false;
        paintState();
        error.textContent = t('bk.ed.readOnlySave');
        showCopy();
        return;
      }
      const problems = (err.data && err.data.problems) || [];
      if (problems.length) {
        if (problems.every((p) => 'question' in p || 'field' in p)) {
          checked = { problems, warnings: (err.data && err.data.warnings) || [] };
          renderQuestions();
          paintProblems();
          paintState();
        }
        error.textContent = t('bk.ed.saveProblems', { n: problems.length });
        const first = problems.find((p) => typeof p.question === 'number');
        if (first && first.question !== selected) select(first.question);
        return;
      }
      // Nothing is lost: the edit stays here (and in the page's draft).
      error.textContent = t('bk.ed.saveFailed', { message: ctx.apiMessage(err) });
      return;
    }
    btn.disabled = false;
    if (asCopy) {
      b.id = id;
      ed.editable = true;
      $('#ed-copy-form').hidden = true;
      $('#ed-readonly').hidden = true;
      $('#ed-id').value = id;
    }
    ed.isNew = false;
    $('#ed-id').readOnly = true;
    dirty = false;
    dropDraft();
    const time = new Date().toLocaleTimeString(getLang() === 'vi' ? 'vi-VN' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
    saveMessage = t('bk.ed.savedAt', { id, time });
    $('#ed-heading').textContent = headingText();
    paintState();
    await ctx.reloadBanks();
  }

  // ---- preview ------------------------------------------------------------------

  function previewOptions(q) {
    if (q.type === 'truefalse') return tfLabels();
    if (q.type === 'typed') return [];
    return q.options.map((o) => o.text);
  }

  function kindKey(q) {
    return `kind.${q.type === 'truefalse' ? 'true_false' : q.type}`;
  }

  function questionTime(q) {
    return q.time == null || q.time === '' ? ed.bank.time || 20 : q.time;
  }

  function paintPreview() {
    const phone = $('#pv-phone');
    const screenBox = $('#pv-screen');
    if (!phone || !screenBox) return;
    const q = ed.bank.questions[selected];
    if (!q) {
      fill(phone);
      fill(screenBox);
      return;
    }
    const options = previewOptions(q);
    const count = ed.bank.questions.length;
    const text = q.text.trim() || t('bk.ed.emptyText');
    const tf = q.type === 'truefalse';
    // The phone: the member page's classes (web/member.html).
    const inner = el(
      'div',
      { class: 'pv-phone-inner' },
      el(
        'div',
        { class: 'q-head' },
        el('span', { class: 'q-counter', text: t('q.counter', { n: selected + 1, count }) }),
        el('span', { class: 'q-kind', text: t(kindKey(q)) }),
        el('span', { class: 'q-seconds', text: num(questionTime(q)) }),
      ),
      el('div', { class: 'progress' }, el('div')),
      el('p', { class: 'question-text', text }),
      q.type === 'typed'
        ? el('div', { class: 'typed' }, el('span', { class: 'input pv-typed', text: t('m.typedPlaceholder') }))
        : el(
          'div',
          { class: `options${tf ? ' tf' : ''}` },
          options.map((o, i) =>
            el(
              'div',
              { class: `option opt-${i % 6}` },
              badge(i),
              el('span', { class: 'opt-text', text: o || '…' }),
              q.type === 'multiple' ? el('span', { class: 'tick' }, icon('check')) : null,
            )),
        ),
    );
    fill(phone, inner);
    // The projector: the projector page's classes (web/screen.html), laid
    // out at its own size and scaled down.
    const ring = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    ring.setAttribute('viewBox', '0 0 100 100');
    ring.setAttribute('aria-hidden', 'true');
    for (const cls of ['track', 'arc']) {
      const c = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
      for (const [k, v] of Object.entries({ class: cls, cx: 50, cy: 50, r: 45, pathLength: 100, 'stroke-dasharray': '100 100' })) c.setAttribute(k, String(v));
      ring.appendChild(c);
    }
    const tiles = el(
      'div',
      { class: `tiles${tf ? ' tf' : ''}` },
      options.map((o, i) => el('div', { class: `tile opt-${i % 6}` }, badge(i), el('span', { text: o || '…' }))),
    );
    const longest = Math.max(0, ...options.map((o) => o.length));
    if (longest > 60 && options.length <= 4) tiles.style.gridTemplateColumns = '1fr';
    const stage = el(
      'div',
      { class: 'pv-stage' },
      el(
        'div',
        { class: 's-qhead' },
        el('span', { class: 's-counter', text: t('q.counter', { n: selected + 1, count }) }),
        el('span', { class: 's-kind', text: t(kindKey(q)) }),
        el('span', { class: 'spacer' }),
        q.type === 'poll' ? null : el('span', { class: 's-points', text: t('q.points', { points: num(q.points ?? 1000) }) }),
        el('div', { class: 'countdown' }, ring, el('span', { class: 'num', text: num(questionTime(q)) })),
      ),
      el('p', { class: `s-question-text${text.length > 140 ? ' long' : ''}`, text }),
      q.type === 'typed' ? el('div', { class: 'typed-prompt', text: t('s.typedPrompt') }) : tiles,
      q.explanation || q.source
        ? el(
          'div',
          { class: 'explanation pv-explanation' },
          el('span', { class: 'pv-at-reveal', text: t('bk.pv.atReveal') }),
          ' ',
          q.explanation || '',
          q.source ? el('div', { class: 'src', text: sourceLabel(q.source) }) : null,
        )
        : null,
    );
    fill(screenBox, stage);
    scalePreview();
  }

  function scalePreview() {
    const phone = $('#pv-phone');
    const screenBox = $('#pv-screen');
    if (!phone || !screenBox || editorView.hidden) return;
    const inner = phone.firstElementChild;
    if (inner) {
      const s = Math.min(1, phone.clientWidth / 390);
      inner.style.transform = `scale(${s})`;
      phone.style.height = `${Math.ceil(inner.offsetHeight * s) + phone.offsetHeight - phone.clientHeight}px`;
    }
    const stage = screenBox.firstElementChild;
    if (stage) {
      const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
      const s = screenBox.clientWidth / (STAGE_REM[0] * rem);
      stage.style.transform = `scale(${s})`;
      screenBox.style.height = `${Math.ceil(STAGE_REM[1] * rem * s) + screenBox.offsetHeight - screenBox.clientHeight}px`;
    }
  }
  window.addEventListener('resize', () => scalePreview());

  // ---- the console's hooks ----------------------------------------------------

  function render() {
    renderList();
    paintDraft();
  }

  function relabel() {
    render();
    paintUpload();
    if (ed) {
      const focus = document.activeElement && document.activeElement.id;
      buildEditor();
      paintProblems();
      if (focus && $(`#${focus}`)) $(`#${focus}`).focus();
    }
  }

  /** Called when the tab is shown: previews are measured once visible. */
  function shown() {
    if (ed) scalePreview();
  }

  render();
  return { render, relabel, shown };
}

// ---- the create form's choice of questions --------------------------------

/**
 * The create form's "Câu hỏi" box: which questions of the chosen bank to
 * ask, shuffles and a time override. `body()` gives the fields of
 * POST /api/meetings (or throws a worded Error).
 */
export function createQuestionChoice(ctx) {
  const box = $('#qpick');
  /** Questions of each bank, fetched when a hand-pick needs them. */
  const cache = new Map();
  let picked = new Set();
  let pickedFor = null;

  function bank() {
    return ctx.banks.find((b) => b.id === $('#bank-select').value) || null;
  }
  function mode() {
    const c = box.querySelector('input[name="qpick-mode"]:checked');
    return c ? c.value : 'all';
  }

  async function loadQuestions(b) {
    if (cache.has(b.id)) return cache.get(b.id);
    const data = await ctx.api(`/api/banks/${encodeURIComponent(b.id)}.json`);
    const qs = (data.questions || []).map((q) => q.text);
    cache.set(b.id, qs);
    return qs;
  }

  async function paintPick() {
    const b = bank();
    const listBox = $('#qpick-list-box');
    listBox.hidden = mode() !== 'pick' || !b;
    if (listBox.hidden) return;
    if (pickedFor !== b.id) {
      pickedFor = b.id;
      picked = new Set();
    }
    const list = $('#qpick-list');
    let qs;
    try {
      qs = await loadQuestions(b);
    } catch (err) {
      if (err.status === 401) return ctx.wrongSecret();
      $('#qpick-error').textContent = t('bk.openFailed', { message: ctx.apiMessage(err) });
      return;
    }
    if (bank() !== b) return;
    fill(
      list,
      qs.map((text, i) => {
        const c = el('input', { type: 'checkbox', id: `qpick-q-${i}`, value: String(i), checked: picked.has(i) });
        c.addEventListener('change', () => {
          if (c.checked) picked.add(i);
          else picked.delete(i);
          paintSummary();
        });
        return el('li', {}, el('label', { class: 'check', for: `qpick-q-${i}` }, c, el('span', { text: `${i + 1}. ${text}` })));
      }),
    );
    paintSummary();
  }

  function paintSummary() {
    const b = bank();
    const n = b ? b.questions : 0;
    const m = mode();
    $('#qpick-n-field').hidden = m !== 'random';
    $('#qpick-n').max = String(n || 1);
    let s;
    if (m === 'random') s = t('bk.c.sumRandom', { k: num(Number($('#qpick-n').value) || 0), n: n });
    else if (m === 'pick') s = t('bk.c.sumPick', { k: num(picked.size), n: n });
    else s = t('bk.c.sumAll', { n: n });
    const extra = [];
    if ($('#qpick-shuffle-q').checked) extra.push(t('bk.c.sumShuffleQ'));
    if ($('#qpick-shuffle-o').checked) extra.push(t('bk.c.sumShuffleO'));
    const time = $('#qpick-time').value.trim();
    if (time) extra.push(t('bk.c.sumTime', { s: time }));
    $('#qpick-summary').textContent = [s, ...extra].join(' · ');
  }

  function changed() {
    $('#qpick-error').textContent = '';
    paintSummary();
    paintPick();
  }
  for (const r of box.querySelectorAll('input[name="qpick-mode"]')) r.addEventListener('change', changed);
  for (const id of ['#qpick-n', '#qpick-shuffle-q', '#qpick-shuffle-o', '#qpick-time']) {
    $(id).addEventListener('input', paintSummary);
    $(id).addEventListener('change', paintSummary);
  }
  $('#bank-select').addEventListener('change', changed);
  $('#qpick-every').addEventListener('click', () => {
    const b = bank();
    if (!b) return;
    picked = new Set(Array.from({ length: (cache.get(b.id) || []).length }, (_, i) => i));
    paintPick();
  });
  $('#qpick-none').addEventListener('click', () => {
    picked = new Set();
    paintPick();
  });

  function fail(message, focus) {
    box.open = true;
    $('#qpick-error').textContent = message;
    if (focus) $(focus).focus();
    throw new Error(message);
  }

  /** The question fields of POST /api/meetings. */
  function body() {
    const b = bank();
    const n = b ? b.questions : 0;
    const out = {};
    const m = mode();
    if (m === 'random') {
      const k = Number($('#qpick-n').value);
      if (!Number.isInteger(k) || k < 1 || k > n) fail(t('bk.c.badRandom', { n: n }), '#qpick-n');
      out.questions = { random: k };
    } else if (m === 'pick') {
      if (!picked.size) fail(t('bk.c.nonePicked'), '#qpick-every');
      out.questions = { pick: [...picked].sort((x, y) => x - y) };
    } else {
      out.questions = 'all';
    }
    out.shuffle_questions = $('#qpick-shuffle-q').checked;
    out.shuffle_options = $('#qpick-shuffle-o').checked;
    const time = $('#qpick-time').value.trim();
    if (time) {
      const s = Number(time);
      if (!Number.isInteger(s) || s < 5 || s > 600) fail(t('bk.c.badTime'), '#qpick-time');
      out.time = s;
    } else {
      out.time = null;
    }
    return out;
  }

  /** After a bank list reload: questions may have changed. */
  function render() {
    cache.clear();
    paintSummary();
    if (mode() === 'pick') paintPick();
  }

  return { body, render, relabel: render };
}
