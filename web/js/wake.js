// Keeps the screen on while a page follows a meeting: a phone whose screen
// locks in the middle of a question drops its connection, and a projector
// that dims loses the room. Browsers offer this (the Screen Wake Lock API)
// only in a secure context: HTTPS (docs/DEPLOY.md), or the organiser's own
// laptop (localhost); over plain http on a LAN the page does without. The
// browser lets go of the lock whenever the page is hidden, so it is taken
// again when the page comes back to the front. `<html data-wake-lock>`
// says how it went: `on`, `off` (released), `refused` or `unsupported`.

let wanted = false;
let lock = null;
let asking = false;

function mark(state) {
  document.documentElement.dataset.wakeLock = state;
}

async function take() {
  if (!wanted || lock || asking || document.visibilityState !== 'visible') return;
  if (!('wakeLock' in navigator)) {
    mark('unsupported');
    return;
  }
  asking = true;
  try {
    lock = await navigator.wakeLock.request('screen');
    mark('on');
    lock.addEventListener('release', () => {
      lock = null;
      mark('off');
    });
  } catch {
    // Refused (a battery saver; some browsers want a tap first): carry on.
    mark('refused');
  } finally {
    asking = false;
  }
}

/** Asks to keep the screen on from now on (harmless when called again). */
export function keepAwake() {
  wanted = true;
  take();
}

document.addEventListener('visibilitychange', take);
// Some browsers grant the lock only after a tap.
document.addEventListener('pointerdown', take, { passive: true });
