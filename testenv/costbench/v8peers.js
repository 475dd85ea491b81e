'use strict';
// v8peers.js: the BenchmarkPeers comparison (tenantroute/peers_bench_test.go) on V8, Envoy's default engine.
//
//   node --no-liftoff v8peers.js --v8host DIR --dist DIR --peers DIR [--rounds 5] [--round-ms 150] [--json OUT]
//
// It uses the proxy-wasm host for Node from the v8host folder (host.js, loaded from --v8host, never copied
// into this repository) and that folder's peer-scenarios.json (the Go no-op and tenantroute next to the
// C++ SDK and C peers, same headers as BenchmarkPeers). Per group of the same exchange (go, cpp, c): one
// checked stream each (tenant header, route cache clears), a warm-up, then rounds in which every module
// runs a batch of full streams in turn; ratios are taken within each round, medians printed.
// Times are the thread's CPU time per stream (Linux schedstat; wall where unavailable), plus wall ratios.
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const flag = (name, def) => { const i = args.indexOf('--' + name); return i >= 0 ? args[i + 1] : def; };
const v8host = flag('v8host');
const dist = flag('dist', 'dist');
const peers = flag('peers');
if (!v8host || !peers) { console.error('usage: node --no-liftoff v8peers.js --v8host DIR --dist DIR --peers DIR [--rounds N] [--round-ms MS] [--json OUT]'); process.exit(2); }
const { VM, prepareHeaders } = require(path.resolve(v8host, 'host.js'));
const rounds = +flag('rounds', 5), roundNs = +flag('round-ms', 150) * 1e6;

const bytes = (s) => Buffer.from(s, 'utf8').toString('latin1');
const cpu = () => { try { return +fs.readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]; } catch { return null; } };
const now = () => process.hrtime.bigint();
const median = (a) => { const b = [...a].sort((x, y) => x - y); const m = b.length >> 1; return b.length % 2 ? b[m] : (b[m - 1] + b[m]) / 2; };

// The groups of BenchmarkPeers: the row name there, the scenario suffix in peer-scenarios.json, what the
// request must carry afterwards.
const groups = [
  { row: 'noop-stream', suffix: '/stream', modules: ['noop', 'cpp-noop', 'c-noop'], tenant: null, clears: 0 },
  { row: 'tenantroute-routed', suffix: '/sidecar-routed', modules: ['tenantroute', 'cpp-tenantroute', 'c-tenantroute'], tenant: 'sbx-1', clears: 1 },
  { row: 'tenantroute-baseline', suffix: '/sidecar-baseline', modules: ['tenantroute', 'cpp-tenantroute', 'c-tenantroute'], tenant: null, clears: 0 },
];
const names = ['go', 'cpp', 'c'];
const scenarios = JSON.parse(fs.readFileSync(path.join(v8host, 'peer-scenarios.json'), 'utf8'));

function load(mod, sc) {
  const dir = mod.includes('-') ? peers : dist; // cpp-*, c-*: peers; the Go modules: dist
  const file = path.join(dir, mod + '.wasm');
  if (!fs.existsSync(file)) throw new Error(`${file} absent`);
  return new VM(new WebAssembly.Module(fs.readFileSync(file)), { pluginConfig: bytes(sc.config), logLevel: 2, keepLogs: false });
}
function cycle(vm, req, resp) {
  const s = vm.newStream();
  s.requestHeaders(req, true);
  if (resp) s.responseHeaders(resp, true);
  s.complete();
  return s;
}
function check(name, vm, s, g) {
  const t = s.req.headers.filter(([k]) => k === 'x-laneway-tenant').map(([, v]) => v);
  if (vm.failed) throw new Error(`${name}: VM failed: ${vm.failed.message}`);
  if (g.tenant ? t.length !== 1 || t[0] !== g.tenant : t.length !== 0) throw new Error(`${name}: x-laneway-tenant ${JSON.stringify(t)}, expected ${g.tenant || 'none'}`);
  if (s.routeClears !== g.clears) throw new Error(`${name}: ${s.routeClears} route cache clears, expected ${g.clears}`);
}

const out = { node: process.version, v8: process.versions.v8, flags: process.execArgv, rounds, rows: [] };
for (const g of groups) {
  const vms = g.modules.map((m, i) => {
    const sc = scenarios.find((s) => s.module === m && s.name.endsWith(g.suffix));
    if (!sc) throw new Error(`peer-scenarios.json has no ${m}${g.suffix}`);
    const req = sc.request.map(([k, v]) => [bytes(k), bytes(v)]), resp = sc.response && sc.response.map(([k, v]) => [bytes(k), bytes(v)]);
    const vm = load(m, sc);
    check(names[i], vm, cycle(vm, req, resp), g);
    return { vm, req: prepareHeaders(req), resp: resp && prepareHeaders(resp) };
  });
  const n = vms.map(({ vm, req, resp }) => {
    for (let k = 0; k < 20000; k++) cycle(vm, req, resp);
    const t = now();
    for (let k = 0; k < 2000; k++) cycle(vm, req, resp);
    return Math.max(1000, Math.floor(roundNs / (Number(now() - t) / 2000)));
  });
  const wall = vms.map(() => []), cpuNs = vms.map(() => []);
  for (let r = 0; r < rounds; r++) {
    vms.forEach(({ vm, req, resp }, i) => {
      const c0 = cpu(), t0 = now();
      for (let k = 0; k < n[i]; k++) cycle(vm, req, resp);
      const w = Number(now() - t0) / n[i], c1 = cpu();
      wall[i].push(w); cpuNs[i].push(c0 === null ? w : (c1 - c0) / n[i]);
      if (vm.failed) throw new Error(`${names[i]} failed: ${vm.failed.message}`);
    });
  }
  const ratio = (a, b) => median(a.map((x, k) => x / b[k]));
  const row = { name: g.row };
  names.forEach((nm, i) => { row[nm + '-ns'] = median(cpuNs[i]); });
  for (let i = 1; i < names.length; i++) {
    row['x-' + names[i]] = ratio(cpuNs[0], cpuNs[i]);
    row['x-' + names[i] + '-wall'] = ratio(wall[0], wall[i]);
  }
  out.rows.push(row);
  console.log(g.row, Object.entries(row).filter(([k]) => k !== 'name').map(([k, v]) => `${v.toFixed(k.endsWith('-ns') ? 0 : 3)} ${k}`).join(', '));
}
if (flag('json')) fs.writeFileSync(flag('json'), JSON.stringify(out) + '\n');
