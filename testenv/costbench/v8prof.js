'use strict';
// v8prof.js: where a module's time per stream goes on V8 (Envoy's default engine), from V8's sampling CPU
// profiler (the one `node --cpu-prof` runs), per function of the Go module's name section.
//
//   go run ./packager/cmd/wasmbuild -names .build/names     # the modules with their name section (same code as dist/)
//   node --no-liftoff testenv/costbench/v8prof.js --v8host DIR --dist .build/names --peers DIR \
//       [--only CASE[,CASE]] [--ms 2000] [--interval-us 50] [--top 12] [--json OUT] [--cpuprofile DIR]
//
// Cases (--only picks some): tenantroute-routed, tenantroute-baseline (peer-scenarios.json of the v8host folder),
// all-roles (combined.json beside this file). Each case profiles, one after another in this process, each of its
// contenders' stream loop (the Go module and the C++ SDK and C peers on the same request; for all-roles the combined
// module with all three roles, with tenantroute only, tenantroute alone and the C++ peer): warm-up, then --ms of
// full streams under the profiler. It prints, per contender, thread CPU ns per stream (unprofiled, timed just
// before), then the self time by group (Go runtime, Go standard library, SDK / ABI glue, laneway filter code, the
// peer's own code, V8's JS<->Wasm wrappers, host JS, V8 GC, other), by Go package and for the top functions, each
// as a share of the profiled time and as ns per stream (profiled wall time over the streams run; the profiler
// adds its own overhead, so compare these within a run). --cpuprofile DIR also writes each profile (DevTools).
//
// With --ab OLD_DIR it profiles nothing and times instead, in interleaved rounds (--rounds 7, --round-ms 150,
// --count 3; medians), each Go contender from --dist against the same module from OLD_DIR and the C++ SDK peer:
// new/old, new/cpp, old/cpp by thread CPU time per stream (is a change measurably cheaper on V8?).
//
// With --ab OLD_DIR --cases FILE it times instead every case of a cases file (the format of
// testenv/costbench/filter-requests.json, the requests of the filters' BenchmarkCost tables; --only picks cases by
// name) on --dist's and OLD_DIR's build of the case's module: new/old per case, the pooled per-round ratios' median
// and quartiles (no peer: the peers do tenantroute's common path only).
//
// With --floor it times instead, the same way, the rungs between the C++ peer and the Go module on the routed
// and baseline requests, each over the C++ SDK peer: the C peer (the floor for this logic in any language), the
// Go no-op module, the costprobe fixture run up to each step of tenantroute's path (none: the Go SDK's fixed
// cost per stream; read: + the header read; route: + the decision; edit; clear; count = the whole path), and
// tenantroute itself. Fixtures (noop, costprobe) come from --fixtures DIR (default .build/fixtures).
// The shipped modules are linked with -s and have no name section: profile the -names build (the code and data
// sections are byte-identical) or every Go function reads as wasm-function[N].
const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');

const args = process.argv.slice(2);
const flag = (name, def) => { const i = args.indexOf('--' + name); return i >= 0 ? args[i + 1] : def; };
const v8host = flag('v8host'), peers = flag('peers'), dist = flag('dist', '.build/names');
if (!v8host || !peers) {
  console.error('usage: node --no-liftoff v8prof.js --v8host DIR --dist DIR --peers DIR [--only CASE,...] [--ms 2000] [--interval-us 50] [--top 12] [--json OUT] [--cpuprofile DIR]');
  process.exit(2);
}
const { VM, prepareHeaders } = require(path.resolve(v8host, 'host.js'));
const ms = +flag('ms', 2000), intervalUs = +flag('interval-us', 50), top = +flag('top', 12);
const only = flag('only') ? flag('only').split(',') : null;
const profDir = flag('cpuprofile');

const bytes = (s) => Buffer.from(s, 'utf8').toString('latin1');
const { cpu, now, median, cycle, interleave, ratio } = require('./v8timing.js');
const pairs = (h) => h && h.map(([k, v]) => [bytes(k), bytes(v)]);

const fixtures = flag('fixtures', '.build/fixtures');
function load(mod, config, from = dist, properties = {}) {
  const file = [from, peers, fixtures].map((d) => path.join(d, mod + '.wasm')).find((f) => fs.existsSync(f));
  if (!file) throw new Error(`${mod}.wasm is absent from ${dist} and ${peers} (go run ./packager/cmd/wasmbuild -names ${dist})`);
  const m = new WebAssembly.Module(fs.readFileSync(file));
  const named = WebAssembly.Module.customSections(m, 'name').length > 0;
  if (!named && !mod.includes('-') && !flag('cases')) console.error(`warning: ${file} has no name section: Go functions read as wasm-function[N] (build with wasmbuild -names)`);
  return new VM(m, { pluginConfig: bytes(config), properties, logLevel: 2, keepLogs: false });
}

// The contenders of each case: name, module, plugin config, and what the request must carry afterwards.
function cases() {
  const out = [];
  const sc = JSON.parse(fs.readFileSync(path.join(v8host, 'peer-scenarios.json'), 'utf8'));
  for (const [name, suffix, tenant] of [['tenantroute-routed', '/sidecar-routed', 'sbx-1'], ['tenantroute-baseline', '/sidecar-baseline', null]]) {
    const contenders = ['tenantroute', 'cpp-tenantroute', 'c-tenantroute'].map((m) => {
      const s = sc.find((x) => x.module === m && x.name.endsWith(suffix));
      if (!s) throw new Error(`peer-scenarios.json has no ${m}${suffix}`);
      return { name: m, module: m, config: s.config, req: pairs(s.request), resp: pairs(s.response), tenant };
    });
    out.push({ name, contenders });
  }
  const cs = JSON.parse(fs.readFileSync(path.join(__dirname, 'combined.json'), 'utf8'));
  const tr = cs.separate.find((m) => m.module === 'tenantroute');
  const req = pairs(cs.request), resp = pairs(cs.response);
  out.push({
    name: 'all-roles', contenders: [
      { name: 'combined', module: cs.combined.module, config: JSON.stringify(cs.combined.config) },
      { name: 'combined-tenantroute', module: cs.combined.module, config: JSON.stringify({ tenantroute: tr.config }) },
      { name: 'tenantroute', module: 'tenantroute', config: JSON.stringify(tr.config) },
      { name: 'cpp-tenantroute', module: cs.peer, config: '{}' },
      { name: 'c-tenantroute', module: 'c-tenantroute', config: '{}' },
    ].map((c) => ({ ...c, req, resp, tenant: cs.tenant })),
  });
  return only ? out.filter((c) => only.includes(c.name)) : out;
}

// group names a profile node's function: what part of the stream its self time is. The Go linker's name
// section spells '/', '-', '(', '*' and ')' as '_' (github.com_laneway_laneway_tenantroute.__Config_.scan).
function group(frame) {
  const fn = frame.functionName, url = frame.url;
  if (/^(js-to-wasm|wasm-to-js)/.test(fn)) return 'V8 JS<->Wasm wrappers';
  if (url.startsWith('wasm://')) {
    if (/^wasm-function\[/.test(fn)) return 'peer module';
    if (/^(runtime[._]|sync[._]|memchr|memeqbody|memequal|cmpbody|countbody|indexbody|memmove|memclr|gcWriteBarrier|wasm_|_rt0|callRet|wasmMove|wasmZero)/.test(fn)) return 'Go runtime';
    if (/^(github\.com_tetratelabs_proxy_wasm_go_sdk|github\.com_laneway_laneway_filters_(internal_abiglue|proxyhost)[._]|proxy_on_|_initialize)/.test(fn)) return 'SDK / ABI glue';
    if (/^github\.com_laneway_laneway_/.test(fn)) return 'laneway filter code';
    if (/^(github|golang|google|gopkg)\./.test(fn)) return 'other Go dependency';
    return 'Go standard library';
  }
  if (fn === '(garbage collector)') return 'V8 GC';
  if (url.endsWith('v8prof.js')) return 'bench loop JS';
  if (url.endsWith('host.js') || url === '' && !/^\(/.test(fn)) return 'host JS (and Node built-ins it calls)';
  return 'other';
}
// goPackage is the package of a Go function ("" for anything not in a named Go module).
function goPackage(frame) {
  const fn = frame.functionName;
  if (!frame.url.startsWith('wasm://') || /^(js-to-wasm|wasm-to-js|wasm-function\[)/.test(fn)) return '';
  const host = fn.match(/^(github\.com|golang\.org|google\.golang\.org|gopkg\.in)_/);
  const from = host ? host[0].length : 0;
  const dot = fn.indexOf('.', from);
  return dot > 0 ? fn.slice(0, dot) : fn;
}

function post(session, method, params) {
  return new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
}

async function profile(session, c) {
  const vm = load(c.module, c.config);
  const s = cycle(vm, c.req, c.resp);
  if (vm.failed) throw new Error(`${c.name}: VM failed: ${vm.failed.message}`);
  const t = s.req.headers.filter(([k]) => k === 'x-laneway-tenant').map(([, v]) => v);
  if (c.tenant ? t.length !== 1 || t[0] !== c.tenant : t.length !== 0) throw new Error(`${c.name}: x-laneway-tenant ${JSON.stringify(t)}, expected ${c.tenant || 'none'}`);
  const req = prepareHeaders(c.req), resp = c.resp && prepareHeaders(c.resp);
  for (let k = 0; k < 20000; k++) cycle(vm, req, resp);
  // Unprofiled: thread CPU per stream over ~ms/4.
  let n = 0;
  const c0 = cpu(), t0 = now(), until = t0 + BigInt(ms / 4 * 1e6);
  while (now() < until) { for (let k = 0; k < 500; k++) cycle(vm, req, resp); n += 500; }
  const c1 = cpu();
  const nsPerStream = c0 === null ? Number(now() - t0) / n : (c1 - c0) / n;
  await post(session, 'Profiler.setSamplingInterval', { interval: intervalUs });
  await post(session, 'Profiler.start');
  let m = 0;
  const stop = now() + BigInt(ms * 1e6);
  while (now() < stop) { for (let k = 0; k < 500; k++) cycle(vm, req, resp); m += 500; }
  const { profile: p } = await post(session, 'Profiler.stop');
  if (vm.failed) throw new Error(`${c.name}: VM failed: ${vm.failed.message}`);
  if (profDir) { fs.mkdirSync(profDir, { recursive: true }); fs.writeFileSync(path.join(profDir, c.name + '.cpuprofile'), JSON.stringify(p)); }
  // Each sample stands for the time until the next one (timeDeltas), so a function's ns per stream is the
  // profiled time of its samples over the streams run: wall time under the profiler, steadier than shares of
  // a separately timed figure.
  const self = new Map();
  for (const node of p.nodes) self.set(node.id, { frame: node.callFrame, hits: 0 });
  p.samples.forEach((id, i) => { self.get(id).hits += i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1] : 0; });
  const byFn = new Map(), byGroup = new Map(), byPkg = new Map();
  let total = 0;
  for (const { frame, hits } of self.values()) {
    if (hits === 0 || frame.functionName === '(idle)') continue;
    total += hits;
    const g = group(frame), key = frame.functionName || `(anonymous ${path.basename(frame.url)}:${frame.lineNumber})`;
    const f = byFn.get(key) || { name: key, group: g, hits: 0 };
    f.hits += hits; byFn.set(key, f);
    byGroup.set(g, (byGroup.get(g) || 0) + hits);
    const pkg = goPackage(frame);
    if (pkg) byPkg.set(pkg, (byPkg.get(pkg) || 0) + hits);
  }
  // hits are microseconds of profiled time.
  const share = (h) => h / total, per = (h) => h * 1000 / m;
  const rows = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).map(([name, hits]) => ({ name, share: share(hits), ns: per(hits) }));
  return {
    name: c.name, module: c.module, nsPerStream, profiledNsPerStream: per(total), streams: m, samples: p.samples.length,
    groups: rows(byGroup), packages: rows(byPkg),
    functions: [...byFn.values()].sort((a, b) => b.hits - a.hits).slice(0, top).map((f) => ({ name: f.name, group: f.group, share: share(f.hits), ns: per(f.hits) })),
  };
}

function print(caseName, r, ref) {
  const pct = (x) => (100 * x).toFixed(1) + '%';
  // The module's own code (Go or the peer's), against the same figure of the C++ peer in this case: both from
  // profiled time, so the ratio holds within the run (the unprofiled CPU figures come from different moments).
  const own = (x) => x.groups.filter((g) => /^(Go |SDK|laneway|other Go|peer module)/.test(g.name)).reduce((a, g) => a + g.ns, 0);
  console.log(`\n### ${caseName}: ${r.name} (${r.module}.wasm): ${r.nsPerStream.toFixed(0)} ns/stream thread CPU unprofiled; ` +
    `profiled: ${r.profiledNsPerStream.toFixed(0)} ns/stream wall, of which ${own(r).toFixed(0)} in the module's own code` +
    (ref && ref !== r ? ` (${(own(r) / own(ref)).toFixed(2)}x the C++ peer's ${own(ref).toFixed(0)}; whole stream ${(r.profiledNsPerStream / ref.profiledNsPerStream).toFixed(2)}x)` : '') +
    `; ${r.samples} samples over ${r.streams} streams`);
  console.log('\n| group | self | ns/stream |\n|---|---:|---:|');
  for (const g of r.groups) console.log(`| ${g.name} | ${pct(g.share)} | ${g.ns.toFixed(0)} |`);
  if (r.packages.length > 0) {
    console.log('\n| Go package | self | ns/stream |\n|---|---:|---:|');
    for (const g of r.packages.slice(0, top)) console.log(`| ${g.name} | ${pct(g.share)} | ${g.ns.toFixed(0)} |`);
  }
  console.log('\n| function | group | self | ns/stream |\n|---|---|---:|---:|');
  for (const f of r.functions) console.log(`| \`${f.name}\` | ${f.group} | ${pct(f.share)} | ${f.ns.toFixed(0)} |`);
}

// ab times each Go contender from dist against OLD_DIR's and the C++ peer (see the header).
function ab(oldDir) {
  const rounds = +flag('rounds', 7), roundNs = +flag('round-ms', 150) * 1e6, count = +flag('count', 3);
  console.log('| case | module | new ns | old ns | new/old | new/cpp | old/cpp |\n|---|---|---:|---:|---:|---:|---:|');
  for (const k of cases()) {
    const peer = k.contenders.find((c) => c.module === 'cpp-tenantroute');
    for (const c of k.contenders.filter((x) => !x.module.includes('-'))) {
      const req = prepareHeaders(c.req), resp = c.resp && prepareHeaders(c.resp);
      const vms = [load(c.module, c.config), load(c.module, c.config, oldDir), load(peer.module, peer.config)];
      for (const vm of vms) { cycle(vm, c.req, c.resp); if (vm.failed) throw new Error(`${c.name}: VM failed: ${vm.failed.message}`); }
      const f = [[], [], [], [], []];
      for (let r = 0; r < count; r++) {
        const { cpuNs: ns } = interleave(vms.map((vm) => () => cycle(vm, req, resp)), rounds, roundNs);
        f[0].push(median(ns[0])); f[1].push(median(ns[1])); f[2].push(ratio(ns[0], ns[1])); f[3].push(ratio(ns[0], ns[2])); f[4].push(ratio(ns[1], ns[2]));
      }
      const m = f.map(median);
      console.log(`| ${k.name} | ${c.name} | ${m[0].toFixed(0)} | ${m[1].toFixed(0)} | ${m[2].toFixed(3)} | ${m[3].toFixed(2)} | ${m[4].toFixed(2)} |`);
    }
  }
}

// abCases times each case of a cases file on dist's and OLD_DIR's build of its module (see the header).
function abCases(oldDir, file) {
  const rounds = +flag('rounds', 7), roundNs = +flag('round-ms', 150) * 1e6, count = +flag('count', 3);
  const cs = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(cs) || cs.length === 0) throw new Error(`${file}: expected a JSON list of {"Name","Module","Config","Props","Req","Resp"}`);
  console.log('| case | new ns | old ns | new/old | q1-q3 |\n|---|---:|---:|---:|---|');
  for (const k of cs.filter((x) => !only || only.includes(x.Name))) {
    const props = Object.fromEntries(Object.entries(k.Props || {}).map(([p, v]) => [p, bytes(v)]));
    const req = pairs(k.Req), resp = pairs(k.Resp);
    const vms = [load(k.Module, k.Config, dist, props), load(k.Module, k.Config, oldDir, props)];
    for (const vm of vms) { cycle(vm, req, resp); if (vm.failed) throw new Error(`${k.Name}: VM failed: ${vm.failed.message}`); }
    const preq = prepareHeaders(req), presp = resp && prepareHeaders(resp);
    const nw = [], old = [], rs = [];
    for (let r = 0; r < count; r++) {
      const order = r % 2 ? [1, 0] : [0, 1]; // neither build always runs first in a round
      const { cpuNs: ns } = interleave(order.map((i) => () => cycle(vms[i], preq, presp)), rounds, roundNs);
      const [n, o] = r % 2 ? [ns[1], ns[0]] : [ns[0], ns[1]];
      nw.push(median(n)); old.push(median(o));
      n.forEach((x, i) => rs.push(x / o[i]));
    }
    rs.sort((a, b) => a - b);
    const q = (f) => rs[Math.floor(f * (rs.length - 1))];
    console.log(`| ${k.Name} | ${median(nw).toFixed(0)} | ${median(old).toFixed(0)} | ${median(rs).toFixed(3)} | ${q(0.25).toFixed(3)}-${q(0.75).toFixed(3)} |`);
  }
}

// floor times the rungs from the C peer to tenantroute, each over the C++ SDK peer (see the header).
function floor() {
  const rounds = +flag('rounds', 7), roundNs = +flag('round-ms', 150) * 1e6, count = +flag('count', 3);
  const steps = ['none', 'read', 'route', 'edit', 'clear', 'count'];
  for (const k of cases().filter((x) => x.name.startsWith('tenantroute-'))) {
    const c = k.contenders.find((x) => x.module === 'tenantroute');
    const rungs = [['cpp-tenantroute', 'cpp-tenantroute', '{}'], ['c-tenantroute', 'c-tenantroute', '{}'], ['go noop', 'noop', '{}'],
      ...steps.map((st) => [`costprobe upTo ${st}`, 'costprobe', JSON.stringify({ upTo: st })]), ['tenantroute', 'tenantroute', c.config]];
    const req = prepareHeaders(c.req), resp = c.resp && prepareHeaders(c.resp);
    const vms = rungs.map(([, m, cfg]) => { const vm = load(m, cfg); cycle(vm, c.req, c.resp); if (vm.failed) throw new Error(`${m}: ${vm.failed.message}`); return vm; });
    const f = rungs.map(() => []);
    for (let r = 0; r < count; r++) {
      const { cpuNs: ns } = interleave(vms.map((vm) => () => cycle(vm, req, resp)), rounds, roundNs);
      vms.forEach((_, i) => f[i].push({ ns: median(ns[i]), x: ratio(ns[i], ns[0]) }));
    }
    console.log(`\n### ${k.name}: rungs over the C++ SDK peer (thread CPU per stream, median of ${count} runs of ${rounds} interleaved rounds)\n\n| module | ns/stream | x cpp |\n|---|---:|---:|`);
    rungs.forEach(([name], i) => console.log(`| ${name} | ${median(f[i].map((x) => x.ns)).toFixed(0)} | ${median(f[i].map((x) => x.x)).toFixed(2)} |`));
  }
}

(async () => {
  if (args.includes('--floor')) { floor(); return; }
  if (flag('ab') && flag('cases')) { abCases(flag('ab'), flag('cases')); return; }
  if (flag('ab')) { ab(flag('ab')); return; }
  const session = new inspector.Session();
  session.connect();
  await post(session, 'Profiler.enable');
  const out = { node: process.version, v8: process.versions.v8, flags: process.execArgv, ms, intervalUs, cases: [] };
  for (const k of cases()) {
    const results = [];
    for (const c of k.contenders) {
      if (c.module.includes('-') && !fs.existsSync(path.join(peers, c.module + '.wasm'))) { console.error(`${c.module}.wasm is absent from ${peers}: left out`); continue; }
      results.push(await profile(session, c));
    }
    const ref = results.find((r) => r.module === 'cpp-tenantroute');
    for (const r of results) print(k.name, r, ref);
    out.cases.push({ name: k.name, results });
  }
  await post(session, 'Profiler.disable');
  session.disconnect();
  if (flag('json')) fs.writeFileSync(flag('json'), JSON.stringify(out, null, 1) + '\n');
})().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
