'use strict';
// v8timing.js: the timing pieces v8peers.js and v8prof.js share: one full stream on a v8host VM, the thread's
// CPU clock, medians, and interleaved rounds of several contenders in one process.
const fs = require('node:fs');

// cpu is the thread's time on a CPU in ns (Linux schedstat), null where unavailable; now is the wall clock.
const cpu = () => { try { return +fs.readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]; } catch { return null; } };
const now = () => process.hrtime.bigint();

// median is the middle of a (the mean of the two middle values for an even count); a is not changed.
const median = (a) => { const b = [...a].sort((x, y) => x - y); const m = b.length >> 1; return b.length % 2 ? b[m] : (b[m - 1] + b[m]) / 2; };

// cycle runs one full stream on vm: context, request headers, response headers (unless none), end.
function cycle(vm, req, resp) {
  const s = vm.newStream();
  s.requestHeaders(req, true);
  if (resp) s.responseHeaders(resp, true);
  s.complete();
  return s;
}

// interleave times contenders, each a function that runs one stream (or one stream through a chain): a
// warm-up, a batch size per contender that lasts about roundNs, then `rounds` rounds in which every contender
// runs its batch in turn. It returns per contender the CPU ns per stream of each round (wall where the CPU
// clock is unavailable) and the wall ns. check(i) runs after each batch (throw to stop).
function interleave(contenders, rounds, roundNs, check = () => {}) {
  const n = contenders.map((run) => {
    for (let k = 0; k < 20000; k++) run();
    const t = now();
    for (let k = 0; k < 2000; k++) run();
    return Math.max(1000, Math.floor(roundNs / (Number(now() - t) / 2000)));
  });
  const cpuNs = contenders.map(() => []), wallNs = contenders.map(() => []);
  for (let r = 0; r < rounds; r++) {
    contenders.forEach((run, i) => {
      const c0 = cpu(), t0 = now();
      for (let k = 0; k < n[i]; k++) run();
      const w = Number(now() - t0) / n[i];
      wallNs[i].push(w);
      cpuNs[i].push(c0 === null ? w : (cpu() - c0) / n[i]);
      check(i);
    });
  }
  return { cpuNs, wallNs };
}

// ratio is the median over rounds of a[k] / b[k].
const ratio = (a, b) => median(a.map((x, k) => x / b[k]));

module.exports = { cpu, now, median, cycle, interleave, ratio };
