// Landing page and 404 page: a PIN form that goes to /j/PIN.

import { applyI18n, bindToggle, t, onLangChange } from '/assets/i18n.js';

applyI18n();

// The 404 page without a PIN (an unknown address rather than an unknown
// meeting) says so. Here, not inline: the Content-Security-Policy allows
// no inline script.
if (document.body.dataset.pin === '') {
  for (const e of document.querySelectorAll('.nf-pin')) e.hidden = true;
  for (const e of document.querySelectorAll('.nf-nopin')) e.hidden = false;
}
// Too many wrong PINs from this address (HTTP 429): say to wait.
if (document.body.dataset.wait === '1') {
  for (const e of document.querySelectorAll('.nf-pin')) e.hidden = true;
  for (const e of document.querySelectorAll('.nf-wait')) e.hidden = false;
}
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
