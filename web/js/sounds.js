// Optional sounds of the projector: a tick in the last seconds of a
// question, a chime at the reveal, a fanfare at the podium. Off by default
// (a meeting room is not a game show unless the chair wants it); the switch
// on the projector turns them on, which is also the user gesture browsers
// need before they play audio. Tones are synthesised: no files to load.

let ctx = null;
let on = false;

/** Whether sounds are on. */
export function enabled() {
  return on;
}

/** Turns sounds on or off; returns the new state. */
export function toggle() {
  on = !on;
  if (on && !ctx) {
    const AC = window.AudioContext || window.webkitAudioContext;
    ctx = AC ? new AC() : null;
  }
  if (ctx && ctx.state === 'suspended') ctx.resume();
  return on;
}

function tone(freq, start, length, gain = 0.2) {
  if (!on || !ctx) return;
  const t0 = ctx.currentTime + start;
  const osc = ctx.createOscillator();
  const amp = ctx.createGain();
  osc.type = 'sine';
  osc.frequency.value = freq;
  amp.gain.setValueAtTime(0, t0);
  amp.gain.linearRampToValueAtTime(gain, t0 + 0.01);
  amp.gain.exponentialRampToValueAtTime(0.0001, t0 + length);
  osc.connect(amp).connect(ctx.destination);
  osc.start(t0);
  osc.stop(t0 + length + 0.05);
}

/** One tick of the last seconds; higher on the very last. */
export function countdown(secondsLeft) {
  tone(secondsLeft <= 1 ? 880 : 660, 0, 0.12);
}

/** The answer is revealed. */
export function reveal() {
  tone(523, 0, 0.25);
  tone(784, 0.12, 0.4);
}

/** The podium: third, second, first, as they rise. */
export function podium() {
  tone(392, 0.3, 0.3);
  tone(523, 1.5, 0.3);
  tone(659, 2.7, 0.25);
  tone(784, 2.9, 0.7);
}
