'use strict';
// v8peers.js: the BenchmarkPeers comparison (tenantroute/peers_bench_test.go) on V8, Envoy's default engine.
//
//   node --no-liftoff v8peers.js --v8host DIR --dist DIR [--fixtures DIR] --peers DIR [--rounds 5] [--round-ms 150] [--count 1] [--processes 1] [--json OUT]
//
// It uses the proxy-wasm host for Node from the v8host folder (host.js, loaded from --v8host, never copied
// into this repository) and that folder's peer-scenarios.json (the Go no-op and tenantroute next to the
// C++ SDK and C peers, same headers as BenchmarkPeers). Per group of the same exchange (go, cpp, c): one
// checked stream each (tenant header, route cache clears), a warm-up, then rounds in which every module
// runs a batch of full streams in turn; ratios are taken within each round, medians printed.
// Times are the thread's CPU time per stream (Linux schedstat; wall where unavailable), plus wall ratios.
//
// Then BenchmarkCombined's comparison (testenv/costbench/combined.json, beside this file): the combined laneway
// module with all three roles against the three separate modules as one filter chain (each stream through
// each, in the combined module's role order), tenantroute alone, the combined module with only its
// tenantroute role, and the C++ SDK tenantroute peer, checked the same way (tenant,
// route cache clears, every role's counter once). With --count N every comparison runs N times and each
// figure is the median of the N runs.
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const flag = (name, def) => { const i = args.indexOf('--' + name); return i >= 0 ? args[i + 1] : def; };
const v8host = flag('v8host');
const dist = flag('dist', 'dist');
const fixtures = flag('fixtures', path.join(path.dirname(path.resolve(dist)), '.build', 'fixtures'));
const peers = flag('peers');
if (!v8host || !peers) { console.error('usage: node --no-liftoff v8peers.js --v8host DIR --dist DIR [--fixtures DIR] --peers DIR [--rounds N] [--round-ms MS] [--count N] [--processes N] [--json OUT]'); process.exit(2); }
const { VM, prepareHeaders } = require(path.resolve(v8host, 'host.js'));
const rounds = +flag('rounds', 5), roundNs = +flag('round-ms', 150) * 1e6, count = +flag('count', 1);

const bytes = (s) => Buffer.from(s, 'utf8').toString('latin1');
const { median, cycle, interleave, ratio } = require('./v8timing.js');

// With --processes N (N > 1) the whole comparison runs in N node processes, one after another, and every figure
// is the median over them: on V8 a module's time moves from process to process (code placement, the compiler's
// choices) by more than from round to round, so rounds and --count inside one process do not average it out. Each
// process prints its own lines; the JSON holds the medians, the process count, and count = the runs a median is
// taken over.
const processes = +flag('processes', 1);
if (processes > 1) {
  const { execFileSync } = require('node:child_process');
  const os = require('node:os');
  const childArgs = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--processes' || args[i] === '--json') i++; else childArgs.push(args[i]);
  }
  const runs = [];
  for (let p = 0; p < processes; p++) {
    const tmp = path.join(os.tmpdir(), `v8peers-${process.pid}-${p}.json`);
    console.log(`process ${p + 1} of ${processes}`);
    execFileSync(process.execPath, [...process.execArgv, __filename, ...childArgs, '--json', tmp], { stdio: 'inherit' });
    runs.push(JSON.parse(fs.readFileSync(tmp, 'utf8')));
    fs.unlinkSync(tmp);
  }
  // mergeRows takes, row by row, each number's median over the processes (rows match by position and name).
  const mergeRows = (key) => runs[0][key].map((r0, i) => {
    const row = {};
    for (const [k, v] of Object.entries(r0)) {
      if (typeof v !== 'number') { row[k] = v; continue; }
      row[k] = median(runs.map((r) => {
        if (r[key][i].name !== r0.name) throw new Error(`process runs disagree on row ${i}: ${r[key][i].name} and ${r0.name}`);
        return r[key][i][k];
      }));
    }
    return row;
  });
  const merged = { ...runs[0], count: count * processes, processes, rows: mergeRows('rows'), combined: mergeRows('combined') };
  for (const r of [...merged.rows, ...merged.combined]) {
    console.log(`median of ${processes} processes:`, r.name, Object.entries(r).filter(([k]) => k !== 'name').map(([k, v]) => `${v.toFixed(k.endsWith('-ns') ? 0 : 3)} ${k}`).join(', '));
  }
  if (flag('json')) fs.writeFileSync(flag('json'), JSON.stringify(merged) + '\n');
  process.exit(0);
}

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
  // cpp-*, c-*: peers; the shipped Go modules: dist; the Go test fixtures (noop): .build/fixtures
  const dirs = mod.includes('-') ? [peers] : [dist, fixtures];
  const file = dirs.map((d) => path.join(d, mod + '.wasm')).find((f) => fs.existsSync(f));
  if (!file) throw new Error(`${mod}.wasm absent from ${dirs.join(' and ')} (make build writes them)`);
  return new VM(new WebAssembly.Module(fs.readFileSync(file)), { pluginConfig: bytes(sc.config), logLevel: 2, keepLogs: false });
}
function check(name, vm, s, g) {
  const t = s.req.headers.filter(([k]) => k === 'x-laneway-tenant').map(([, v]) => v);
  if (vm.failed) throw new Error(`${name}: VM failed: ${vm.failed.message}`);
  if (g.tenant ? t.length !== 1 || t[0] !== g.tenant : t.length !== 0) throw new Error(`${name}: x-laneway-tenant ${JSON.stringify(t)}, expected ${g.tenant || 'none'}`);
  if (s.routeClears !== g.clears) throw new Error(`${name}: ${s.routeClears} route cache clears, expected ${g.clears}`);
}

// measure times contenders (each a list of VMs run one after another per stream: a filter chain) in
// interleaved rounds and returns per-contender medians of CPU ns and the first contender's ratios to the others.
function measure(names, contenders) {
  const { cpuNs, wallNs } = interleave(contenders.map((c) => () => { for (const { vm, req, resp } of c) cycle(vm, req, resp); }),
    rounds, roundNs, (i) => { for (const { vm } of contenders[i]) if (vm.failed) throw new Error(`${names[i]} failed: ${vm.failed.message}`); });
  const row = {};
  names.forEach((nm, i) => { row[nm + '-ns'] = median(cpuNs[i]); });
  for (let i = 1; i < names.length; i++) {
    row['x-' + names[i]] = ratio(cpuNs[0], cpuNs[i]);
    row['x-' + names[i] + '-wall'] = ratio(wallNs[0], wallNs[i]);
  }
  return row;
}
// repeat runs measure count times and keeps each figure's median.
function repeat(name, f) {
  const runs = Array.from({ length: count }, f);
  const row = { name };
  for (const k of Object.keys(runs[0])) row[k] = median(runs.map((r) => r[k]));
  console.log(name, Object.entries(row).filter(([k]) => k !== 'name').map(([k, v]) => `${v.toFixed(k.endsWith('-ns') ? 0 : 3)} ${k}`).join(', '));
  return row;
}

const out = { node: process.version, v8: process.versions.v8, flags: process.execArgv, rounds, count, rows: [], combined: [] };
for (const g of groups) {
  const vms = g.modules.map((m, i) => {
    const sc = scenarios.find((s) => s.module === m && s.name.endsWith(g.suffix));
    if (!sc) throw new Error(`peer-scenarios.json has no ${m}${g.suffix}`);
    const req = sc.request.map(([k, v]) => [bytes(k), bytes(v)]), resp = sc.response && sc.response.map(([k, v]) => [bytes(k), bytes(v)]);
    const vm = load(m, sc);
    check(names[i], vm, cycle(vm, req, resp), g);
    return [{ vm, req: prepareHeaders(req), resp: resp && prepareHeaders(resp) }];
  });
  out.rows.push(repeat(g.row, () => measure(names, vms)));
}

// The combined module against the separate chain and the C++ peer.
const cs = JSON.parse(fs.readFileSync(path.join(__dirname, 'combined.json'), 'utf8'));
{
  const req = cs.request.map(([k, v]) => [bytes(k), bytes(v)]), resp = cs.response.map(([k, v]) => [bytes(k), bytes(v)]);
  const prepared = { req: prepareHeaders(req), resp: prepareHeaders(resp) };
  const stage = (m, config) => ({ vm: load(m, { config: JSON.stringify(config) }), ...prepared });
  const tenantOf = (s) => s.req.headers.filter(([k]) => k === 'x-laneway-tenant').map(([, v]) => v);
  const counted = (name, vm, counters) => {
    for (const c of counters) {
      const m = vm.metrics.get(c);
      if (!m || Number(m.value) !== 1) throw new Error(`${name}: counter ${c} is ${m ? m.value : 'undefined'}, expected 1`);
    }
  };
  const expectTenant = (name, s) => {
    const t = tenantOf(s);
    if (t.length !== 1 || t[0] !== cs.tenant) throw new Error(`${name}: x-laneway-tenant ${JSON.stringify(t)}, expected ${cs.tenant}`);
  };
  const combined = [stage(cs.combined.module, cs.combined.config)];
  {
    const s = cycle(combined[0].vm, req, resp);
    if (combined[0].vm.failed) throw new Error(`combined: VM failed: ${combined[0].vm.failed.message}`);
    expectTenant('combined', s);
    if (s.routeClears !== cs.routeCacheClears) throw new Error(`combined: ${s.routeClears} route cache clears, expected ${cs.routeCacheClears}`);
    counted('combined', combined[0].vm, cs.separate.flatMap((m) => m.counters));
  }
  // Each separate module gets the prepared request as sent: the chain's modules before tenantroute leave it
  // unchanged (checked here), so that is the request each would see in Envoy.
  const separate = cs.separate.map((m) => stage(m.module, m.config));
  {
    let clears = 0;
    separate.forEach(({ vm }, i) => {
      const s = cycle(vm, req, resp), name = 'separate/' + cs.separate[i].module;
      if (vm.failed) throw new Error(`${name}: VM failed: ${vm.failed.message}`);
      clears += s.routeClears;
      counted(name, vm, cs.separate[i].counters);
      if (i === separate.length - 1) expectTenant(name, s);
      else if (JSON.stringify(s.req.headers) !== JSON.stringify(req.map(([k, v]) => [k.toLowerCase(), v]))) throw new Error(`${name} changed the request, so the next module would not see it as sent`);
    });
    if (clears !== cs.routeCacheClears) throw new Error(`separate: the chain cleared the route cache ${clears} times, expected ${cs.routeCacheClears}`);
  }
  // tenantroute alone and the combined module with only that role: what the combined module adds to the role
  // the C++ peer does, and what the other two roles cost inside it.
  const tr = cs.separate.find((m) => m.module === 'tenantroute');
  const alone = [stage(tr.module, tr.config)], combinedTR = [stage(cs.combined.module, { tenantroute: tr.config })];
  for (const [name, c] of [['tenantroute', alone], ['combined-tenantroute', combinedTR]]) {
    const s = cycle(c[0].vm, req, resp);
    if (c[0].vm.failed) throw new Error(`${name}: VM failed: ${c[0].vm.failed.message}`);
    expectTenant(name, s);
    if (s.routeClears !== cs.routeCacheClears) throw new Error(`${name}: ${s.routeClears} route cache clears, expected ${cs.routeCacheClears}`);
    counted(name, c[0].vm, tr.counters);
  }
  const contenders = [combined, separate, alone, combinedTR], cnames = ['combined', 'separate', 'tenantroute', 'combined-tenantroute'];
  if (fs.existsSync(path.join(peers, cs.peer + '.wasm'))) {
    const p = [stage(cs.peer, {})];
    const s = cycle(p[0].vm, req, resp);
    expectTenant('cpp', s);
    if (s.routeClears !== cs.routeCacheClears) throw new Error(`cpp: ${s.routeClears} route cache clears, expected ${cs.routeCacheClears}`);
    contenders.push(p); cnames.push('cpp');
  } else {
    console.error(`${cs.peer}.wasm is absent from ${peers}: the combined module is compared with the separate modules only`);
  }
  out.combined.push(repeat(cs.name, () => measure(cnames, contenders)));
}
if (flag('json')) fs.writeFileSync(flag('json'), JSON.stringify(out) + '\n');
