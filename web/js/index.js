// Landing page and 404 page: a PIN form that goes to /j/PIN.

import { applyI18n, bindToggle, t, onLangChange } from '/assets/i18n.js';

applyI18n();
const toggle = document.getElementById('lang-toggle');
if (toggle) bindToggle(toggle);

const form = document.getElementById('pin-form');
const input = document.getElementById('pin-input');
const error = document.getElementById('pin-error');
let shown = false;

function digits() {
  return input.value.replace(/\D/g, '');
}

function check() {
  const ok = /^\d{6}$/.test(digits());
  error.textContent = shown && !ok ? t('index.badPin') : '';
  input.setAttribute('aria-invalid', shown && !ok ? 'true' : 'false');
  return ok;
}

input.addEventListener('input', () => {
  // Keep digits only; people type "482 913" as read on the projector.
  const d = digits().slice(0, 6);
  if (input.value !== d) input.value = d;
  if (shown) check();
});

form.addEventListener('submit', (e) => {
  e.preventDefault();
  shown = true;
  if (!check()) {
    input.focus();
    return;
  }
  location.href = `/j/${digits()}`;
});

onLangChange(check);
