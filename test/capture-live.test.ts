// `zooroute capture` on real veths: network namespaces of the test's own, crafted frames injected
// by a sender in one namespace, the capture in another, and its output checked frame by frame
// (pcap file mode), or captured at the far end of a second veth, and decapsulated there by the
// kernel's own vxlan device (--out-iface mode).
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { candidatePorts, Datapath, parseIPv4, parseMac, type DatapathConfig, type PeerConfig } from '../bindings/index.js';
import { readPackets } from '../src/pcap/index.js';
import { concat, ethernet, icmp, ipv4, ipv6, tcp, udp } from '../src/reference/frames.js';
import { ipv4ChecksumValid } from '../src/reference/checksum.js';
import { runCapture } from '../src/capture/session.js';
import { UsageError } from '../src/cli/errors.js';
import { needAfPacket, needCap, needRoot, needTshark } from './helpers/needs.js';
import { withNetns, type NetnsLab, type NsProcess, type VethEnd } from './helpers/netns.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const skip = needRoot() ?? needCap();
const skipMmap = skip ?? (await needAfPacket());

const SENDER_MAC = '02:5e:00:00:00:01';
const GUEST_MAC = '02:5e:00:00:00:02'; // nobody's address: the capture host's kernel ignores these frames
const VNI = 5001;
const LOCAL = '10.77.0.1';
const REMOTE = '10.77.0.2';

/** The tenant frames the sender injects: IPv4/IPv6, UDP/TCP/ICMP, VLAN and QinQ tags, non-IP. */
function tenantFrames(): Uint8Array[] {
  const s = parseMac(SENDER_MAC);
  const d = parseMac(GUEST_MAC);
  const v4 = (proto: number, l4: Uint8Array): Uint8Array => ipv4({ src: parseIPv4('172.16.0.1'), dst: parseIPv4('172.16.0.2'), proto }, l4);
  const a6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : i));
  const b6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : 16 - i));
  const frames: Uint8Array[] = [];
  for (let k = 0; k < 12; k++) frames.push(ethernet(d, s, 0x0800, v4(17, udp(20000 + k * 7, 53, new Uint8Array(18 + k * 40).fill(k)))));
  frames.push(ethernet(d, s, 0x0800, v4(6, tcp(40000, 443, new Uint8Array(100).fill(0x54)))));
  frames.push(ethernet(d, s, 0x0800, v4(1, icmp(8, 0, 7, 1, new Uint8Array(56).fill(0x69)))));
  frames.push(ethernet(d, s, 0x86dd, ipv6(a6, b6, 17, udp(5353, 5353, new Uint8Array(30).fill(6)))));
  frames.push(ethernet(d, s, 0x0800, v4(17, udp(1111, 2222, new Uint8Array(40))), [{ tpid: 0x8100, tci: 100 }]));
  frames.push(ethernet(d, s, 0x0800, v4(17, udp(3333, 4444, new Uint8Array(40))), [{ tpid: 0x88a8, tci: 10 }, { tpid: 0x8100, tci: 20 }]));
  frames.push(ethernet(d, s, 0x88b5, new Uint8Array(46).fill(0xee))); // local experimental EtherType
  frames.push(ethernet(d, s, 0x0800, v4(17, udp(9, 9, new Uint8Array(1400).fill(0x31)))));
  return frames;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** A VXLAN frame's hex without its outer IPv4 id and header checksum: each capture thread's Datapath numbers its own ids (the checksum is checked apart). */
const sansId = (f: Uint8Array): string => { const c = Uint8Array.from(f); c.fill(0, 18, 20); c.fill(0, 24, 26); return hex(c); };

/** Node with tsx inside a namespace, running an ES module snippet (args follow as process.argv[1..]). */
function nodeIn(lab: NetnsLab, ns: string, code: string, args: string[] = []): NsProcess {
  return lab.spawn(ns, process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, ...args], { cwd: root });
}

/** The zooroute CLI from the TypeScript sources, inside a namespace. */
function zooroute(lab: NetnsLab, ns: string, args: string[]): NsProcess {
  const main = JSON.stringify(join(root, 'src/cli/main.ts'));
  return nodeIn(lab, ns, `import { main } from ${main}; process.exitCode = await main(['node', 'zooroute', ...process.argv.slice(1)]);`, args);
}

/**
 * Plain Node (no TypeScript loader, so it starts fast) with cap inside a namespace: the test's own
 * traffic tools talk to cap directly, only the command under test runs from the sources.
 */
function capScript(lab: NetnsLab, ns: string, code: string, args: string[]): NsProcess {
  const capPath = JSON.stringify(createRequire(import.meta.url).resolve('cap')); // resolved only when the test runs (needCap)
  return lab.spawn(ns, process.execPath, ['-e', `const { Cap } = require(${capPath});\n${code}`, ...args], { cwd: root });
}

/** Inject frames (hex, one per line on stdin) on an interface through cap. */
async function inject(lab: NetnsLab, ns: string, iface: string, frames: Uint8Array[]): Promise<void> {
  const p = capScript(lab, ns, `
    let text = '';
    process.stdin.on('data', (c) => { text += c; });
    process.stdin.on('end', () => {
      const c = new Cap();
      c.open(process.argv[1], 'less 1', 1 << 20, Buffer.alloc(65535));
      for (const h of text.split('\\n').filter(Boolean)) c.send(Buffer.from(h, 'hex'));
      c.close();
    });`, [iface]);
  p.child.stdin?.end(frames.map(hex).join('\n') + '\n');
  const r = await p.exited;
  if (r.code !== 0) throw new Error(`sender failed: ${r.stderr}`);
}

/** Capture `count` frames matching `filter` on an interface; hex lines on stdout once done. */
function receiver(lab: NetnsLab, ns: string, iface: string, filter: string, count: number): NsProcess {
  return capScript(lab, ns, `
    const c = new Cap();
    const buf = Buffer.alloc(65535);
    c.open(process.argv[1], process.argv[2], 16 << 20, buf);
    const got = [];
    const end = () => { c.close(); process.stdout.write(got.join('\\n') + '\\n'); };
    const timer = setTimeout(end, 15000);
    c.on('packet', (n) => { got.push(buf.toString('hex', 0, n)); if (got.length === ${count}) { clearTimeout(timer); end(); } });
    console.error('receiver ready');`, [iface, filter]);
}

/** What the capture must produce: the same frames through a Datapath configured the same way. */
function expected(frames: Uint8Array[], cfg: DatapathConfig, peer: PeerConfig): Uint8Array[] {
  const dp = Datapath.create({ ...cfg, batchSize: frames.length });
  dp.setPeer(0, peer);
  const b = dp.batch();
  frames.forEach((f) => b.push(f, 0));
  dp.encap(b);
  return frames.map((_, i) => b.output(i).slice());
}

interface Outer { dstMac: string; srcMac: string; src: string; dst: string; ttl: number; sport: number; dport: number; vni: number; flags: number; checksumOk: boolean; inner: Uint8Array }

/** Decode the outer headers independently of the datapath (fixed 50-byte RFC 7348 header). */
function decodeOuter(f: Uint8Array): Outer {
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const ip = (o: number): string => Array.from(f.subarray(o, o + 4)).join('.');
  const mac = (o: number): string => Array.from(f.subarray(o, o + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
  if (dv.getUint16(12) !== 0x0800 || f[14] !== 0x45 || f[23] !== 17) throw new Error(`not Ethernet/IPv4/UDP: ${hex(f.subarray(0, 50))}`);
  if (dv.getUint16(16) !== f.length - 14) throw new Error('outer IPv4 total length does not match the frame');
  if (dv.getUint16(38) !== f.length - 34) throw new Error('outer UDP length does not match the frame');
  return {
    dstMac: mac(0), srcMac: mac(6), ttl: f[22], src: ip(26), dst: ip(30),
    sport: dv.getUint16(34), dport: dv.getUint16(36), flags: f[42], vni: dv.getUint32(46) >>> 8,
    checksumOk: ipv4ChecksumValid(f, 14, 20), inner: f.subarray(50),
  };
}

/**
 * A sender namespace `s` and a capture namespace `c` joined by a veth (s0 - c0), and a temporary
 * directory others may read (the capture may run as another user), all removed afterwards.
 */
async function senderAndCapture(t: Test, fn: (lab: NetnsLab, s0: VethEnd, c0: VethEnd, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zr-capture-'));
  chmodSync(dir, 0o755);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await withNetns(async (lab) => {
    await lab.addNs('s');
    await lab.addNs('c');
    const [s0, c0] = await lab.veth({ a: 's', b: 'c', aIf: 's0', bIf: 'c0' });
    await fn(lab, s0, c0, dir);
  });
}

/** Namespaces s - c - r in a line (veths s0 - c0 and c1 - r0, LOCAL on c1, REMOTE on r0): the --out-iface set-up. */
async function senderCaptureReceiver(fn: (lab: NetnsLab, s0: VethEnd, c0: VethEnd, c1: VethEnd, r0: VethEnd) => Promise<void>): Promise<void> {
  await withNetns(async (lab) => {
    await lab.addNs('s');
    await lab.addNs('c');
    await lab.addNs('r');
    const [s0, c0] = await lab.veth({ a: 's', b: 'c', aIf: 's0', bIf: 'c0' });
    const [c1, r0] = await lab.veth({ a: 'c', b: 'r', aIf: 'c1', bIf: 'r0', aCidr: `${LOCAL}/24`, bCidr: `${REMOTE}/24` });
    await fn(lab, s0, c0, c1, r0);
  });
}

// With cap, a pcap filter keeps anything else out; the AF_PACKET ring takes no filter text, and on this
// veth (no addresses, IPv6 off) nothing but the injected frames is sent.
for (const io of ['cap', 'mmap'] as const) t.test(`capture to a pcap file (--io ${io}): exactly the injected frames, encapsulated`, { skip: io === 'cap' ? skip : skipMmap }, async (t) => {
  await senderAndCapture(t, async (lab, s0, c0, dir) => {
    const frames = tenantFrames();
    const out = join(dir, 'out.pcap');
    const cap = zooroute(lab, 'c', ['capture', '-i', c0.ifname, ...(io === 'cap' ? ['--filter', `ether src ${SENDER_MAC}`] : ['--io', 'mmap']), '-o', out,
      '--vni', String(VNI), '--local', LOCAL, '--remote', REMOTE, '--candidates', '16', '--sport-range', '50000-50999',
      '--count', String(frames.length), '--json']);
    await cap.waitFor(new RegExp(`capturing on .*io ${io}\\)`), 20_000);
    const t0 = Date.now() / 1000;
    await inject(lab, 's', s0.ifname, frames);
    const r = await cap.exited;
    t.equal(r.code, 0, `capture exits 0 (${r.stderr.trim()})`);
    const summary = JSON.parse(r.stdout) as { frames: number; encapsulated: number; dropped: Record<string, number>; stoppedBy: string; batches: number; io: string; ringDrops: number | null };
    t.match(summary, { io, frames: frames.length, encapsulated: frames.length, dropped: {}, stoppedBy: 'count', ringDrops: io === 'cap' ? null : 0 });
    t.ok(summary.batches >= 1 && summary.batches <= frames.length, `${summary.batches} batch calls`);

    const recs = [];
    for await (const rec of readPackets(out)) recs.push(rec);
    t.equal(recs.length, frames.length, 'one record per injected frame');
    const want = expected(frames, { localIp: LOCAL, portRange: { lo: 50000, hi: 50999 }, candidates: 16 }, { remoteIp: REMOTE, vni: VNI });
    const cands = candidatePorts({ lo: 50000, hi: 50999 }, 16, parseIPv4(REMOTE));
    recs.forEach((rec, i) => {
      t.same(hex(rec.data), hex(want[i]), `frame ${i} byte for byte as the datapath encapsulates it`);
      const o = decodeOuter(rec.data);
      t.same(hex(o.inner), hex(frames[i]), `frame ${i}: inner frame untouched`);
      t.match(o, { dstMac: '02:00:00:00:00:02', srcMac: '02:00:00:00:00:01', src: LOCAL, dst: REMOTE, dport: 4789, flags: 0x08, vni: VNI, checksumOk: true, ttl: 64 });
      t.ok(cands.includes(o.sport), `frame ${i}: source port ${o.sport} is a candidate`);
      t.equal(rec.linkType, 1);
      const ts = rec.tsSec + rec.tsNsec / 1e9;
      t.ok(ts >= t0 - 1 && ts <= Date.now() / 1000 + 1, `frame ${i}: capture timestamp is now`);
    });
    const ports = new Set(recs.map((rec) => decodeOuter(rec.data).sport));
    t.ok(ports.size > 1, `different flows take different source ports (${ports.size} ports)`);

    const tshark = needTshark();
    if (tshark) { t.comment(`tshark cross-check skipped: ${tshark}`); return; }
    const { stdout } = await run('tshark', ['-r', out, '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-E', 'occurrence=f',
      '-e', 'vxlan.vni', '-e', 'ip.checksum.status', '-e', 'udp.dstport']);
    const rows = stdout.trim().split('\n');
    t.equal(rows.length, frames.length);
    t.ok(rows.every((l) => l === `${VNI}\t1\t4789`), 'tshark dissects every frame as VXLAN with a good outer IPv4 checksum');
  });
});

for (const io of ['cap', 'mmap'] as const) t.test(`--out-iface (--io ${io}): frames arrive encapsulated at the far end and the kernel vxlan device decapsulates them`, { skip: io === 'cap' ? skip : skipMmap }, async (t) => {
  await senderCaptureReceiver(async (lab, s0, c0, c1, r0) => {
    const vx = `${lab.prefix}vx`;
    await lab.exec('r', 'ip', ['link', 'add', vx, 'type', 'vxlan', 'id', String(VNI), 'dstport', '4789', 'local', REMOTE, 'nolearning']);
    await lab.exec('r', 'sysctl', ['-qw', `net.ipv6.conf.${vx}.disable_ipv6=1`]);
    await lab.exec('r', 'ip', ['link', 'set', vx, 'up']);
    const frames = tenantFrames().filter((f) => f.length + 36 <= 1500);
    const outer = receiver(lab, 'r', r0.ifname, 'udp dst port 4789', frames.length);
    const inner = receiver(lab, 'r', vx, `ether src ${SENDER_MAC}`, frames.length);
    const cap = zooroute(lab, 'c', ['capture', '-i', c0.ifname, ...(io === 'cap' ? ['--filter', `ether src ${SENDER_MAC}`] : ['--io', 'mmap']), '--out-iface', c1.ifname,
      '--vni', String(VNI), '--local', LOCAL, '--remote', REMOTE, '--src-mac', c1.mac, '--dst-mac', r0.mac,
      '--count', String(frames.length), '--json']);
    await Promise.all([outer.waitFor(/receiver ready/, 20_000), inner.waitFor(/receiver ready/, 20_000), cap.waitFor(/capturing on/, 20_000)]);
    await inject(lab, 's', s0.ifname, frames);
    const r = await cap.exited;
    t.equal(r.code, 0, `capture exits 0 (${r.stderr.trim()})`);
    t.match(JSON.parse(r.stdout), { io, frames: frames.length, encapsulated: frames.length, dropped: {} });

    const got = (await outer.exited).stdout.trim().split('\n').filter(Boolean);
    const want = expected(frames, { localIp: LOCAL, localMac: c1.mac }, { remoteIp: REMOTE, vni: VNI, mac: r0.mac });
    t.equal(got.length, frames.length, 'every frame arrived at the far end');
    t.same(got, want.map(hex), 'as the datapath encapsulated them, in order');
    const decap = (await inner.exited).stdout.trim().split('\n').filter(Boolean);
    t.same(decap, frames.map(hex), 'the kernel vxlan device delivers exactly the tenant frames');
  });
});

t.test('stops on --duration and on SIGINT, with a summary; refuses what it cannot do in one line', { skip }, async (t) => {
  await withNetns(async (lab) => {
    await lab.addNs('c');
    await lab.addNs('x');
    const [c0] = await lab.veth({ a: 'c', b: 'x', aIf: 'c0', bIf: 'x0' });
    const common = ['--vni', '1', '--local', LOCAL, '--remote', REMOTE, '--out-iface', 'lo'];
    const main = JSON.stringify(join(root, 'src/cli/main.ts'));
    // The unprivileged run: root loads the CLI, its TypeScript loader, cap and the Wasm core, then drops to nobody
    // (setuid clears every capability) before the command runs. Dropping before exec (setpriv)
    // would need nobody to read node_modules, which it cannot in a checkout under a mode-0700
    // directory (a private home, mktemp -d); this way the test works from any checkout.
    // A clean environment (env -i): tap injects NODE_OPTIONS into children, which would then try to
    // write tap's process records, which the unprivileged user may not.
    // Independent runs, started together to keep the test short.
    const timed = zooroute(lab, 'c', ['capture', '-i', c0.ifname, ...common, '--duration', '0.3', '--json']);
    const sig = zooroute(lab, 'c', ['capture', '-i', c0.ifname, ...common]);
    const capTs = JSON.stringify(join(root, 'src/capture/cap.ts'));
    const wasmTs = JSON.stringify(join(root, 'bindings/module.ts'));
    const dropThenRun = `import { main } from ${main}; import { loadCap, canCapture } from ${capTs}; import { instantiateCore } from ${wasmTs};
      loadCap(); instantiateCore(); // the addon and the compiled Wasm module, read while still root
      process.setgroups([]); process.setgid(65534); process.setuid(65534);
      if (process.getuid() !== 65534 || canCapture()) throw new Error('privileges were not dropped');
      process.exitCode = await main(['node', 'zooroute', ...process.argv.slice(1)]);`;
    const np = lab.spawn('c', 'env', ['-i', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, 'HOME=/tmp',
      process.execPath, '--import', 'tsx', '--input-type=module', '-e', dropThenRun, 'capture', '-i', c0.ifname, ...common, '--count', '1'],
    { cwd: root });

    const tr = await timed.exited;
    t.equal(tr.code, 0, tr.stderr);
    t.match(JSON.parse(tr.stdout), { frames: 0, encapsulated: 0, stoppedBy: 'duration' });

    await sig.waitFor(/capturing on/, 20_000);
    sig.signal('SIGINT');
    const sr = await sig.exited;
    t.equal(sr.code, 0);
    t.match(sr.stderr, /0 frames captured on .* stopped by signal/, 'summary on stderr');

    // In this process (root namespace, nothing is sent): errors the CLI prints in one line, exit 2.
    const base = { output: { kind: 'pcap' as const, path: '/dev/null' }, vni: 1, localIp: LOCAL, remoteIp: REMOTE, count: 1 };
    await t.rejects(runCapture({ ...base, iface: `${lab.prefix}nope` }), new UsageError(`no such interface: ${lab.prefix}nope`));
    await t.rejects(runCapture({ ...base, iface: 'lo', filter: 'no such filter' }), { name: 'UsageError', message: /^cannot capture on lo: .*syntax error/ });
    await t.rejects(runCapture({ ...base, iface: 'lo', localIp: '10.1' }), { name: 'UsageError', message: /not an IPv4 address/ });

    const nr = await np.exited;
    t.equal(nr.code, 2, `unprivileged: ${nr.stderr.trim()}`);
    t.match(nr.stderr, /needs root or CAP_NET_RAW/);
    t.equal(nr.stderr.trim().split('\n').length, 1, `in one line: ${nr.stderr}`);
  });
});

/** n frames over `flows` UDP flows (source port 30000 + flow), each carrying its flow and its number in that flow. */
function manyFlows(flows: number, perFlow: number): { frame: Uint8Array; flow: number; seq: number }[] {
  const s = parseMac(SENDER_MAC), d = parseMac(GUEST_MAC);
  const out: { frame: Uint8Array; flow: number; seq: number }[] = [];
  for (let seq = 0; seq < perFlow; seq++) {
    for (let flow = 0; flow < flows; flow++) {
      const payload = new Uint8Array(24);
      new DataView(payload.buffer).setUint32(0, flow);
      new DataView(payload.buffer).setUint32(4, seq);
      out.push({ flow, seq, frame: ethernet(d, s, 0x0800, ipv4({ src: parseIPv4('172.16.0.1'), dst: parseIPv4('172.16.0.2'), proto: 17 }, udp(30000 + flow, 7000, payload))) });
    }
  }
  return out;
}

t.test('--workers 2 (mmap): one PACKET_FANOUT group shares the frames by flow; exactly --count frames, each once, a flow in order, one pcap', { skip: skipMmap }, async (t) => {
  await senderAndCapture(t, async (lab, s0, c0, dir) => {
    const sent = manyFlows(64, 30);
    const want = expected(sent.map((x) => x.frame), { localIp: LOCAL, portRange: { lo: 50000, hi: 50999 }, candidates: 16 }, { remoteIp: REMOTE, vni: VNI });
    const wantIndex = new Map(want.map((w, i) => [sansId(w), i]));
    const args = ['--io', 'mmap', '--workers', '2', '--vni', String(VNI), '--local', LOCAL, '--remote', REMOTE, '--candidates', '16', '--sport-range', '50000-50999', '--json'];

    for (const count of [sent.length, 500]) {
      const out = join(dir, `out-${count}.pcap`);
      const cap = zooroute(lab, 'c', ['capture', '-i', c0.ifname, '-o', out, '--count', String(count), ...args]);
      await cap.waitFor(/capturing on .*io mmap\)/, 30_000);
      await inject(lab, 's', s0.ifname, sent.map((x) => x.frame));
      const r = await cap.exited;
      t.equal(r.code, 0, `capture exits 0 (${r.stderr.trim()})`);
      const summary = JSON.parse(r.stdout) as { frames: number; encapsulated: number; dropped: Record<string, number>; stoppedBy: string; ringDrops: number; workers: { frames: number; encapsulated: number; ringDrops: number }[] };
      t.match(summary, { io: 'mmap', frames: count, encapsulated: count, dropped: {}, stoppedBy: 'count', ringDrops: 0 }, `--count ${count}: exactly that many frames over both threads`);
      t.equal(summary.workers.length, 2, 'two capture threads');
      t.equal(summary.workers.reduce((a, w) => a + w.frames, 0), count, 'their shares add up');
      if (count === sent.length) t.ok(summary.workers.every((w) => w.frames > 0), `the fanout group gave each thread frames (${summary.workers.map((w) => w.frames).join(' + ')})`);

      const recs = [];
      for await (const rec of readPackets(out)) recs.push(rec);
      t.equal(recs.length, count, 'one record per frame taken');
      const idx = recs.map((rec) => wantIndex.get(sansId(rec.data)) ?? -1);
      t.ok(idx.every((i) => i >= 0), 'every record is a sent frame as the datapath encapsulates it (but for the outer IPv4 id)');
      t.ok(recs.every((rec) => decodeOuter(rec.data).checksumOk), 'every outer IPv4 checksum is right');
      t.equal(new Set(idx).size, count, 'no frame twice');
      const lastSeq = new Map<number, number>();
      let inOrder = true;
      for (const i of idx) {
        if (i < 0) continue;
        const { flow, seq } = sent[i]!;
        if ((lastSeq.get(flow) ?? -1) >= seq) inOrder = false;
        lastSeq.set(flow, seq);
      }
      t.ok(inOrder, 'each flow\'s frames in the order they were sent');
    }

    // What the threads cannot do, said in one line before anything runs.
    const base = { output: { kind: 'pcap' as const, path: join(dir, 'never.pcap') }, vni: 1, localIp: LOCAL, remoteIp: REMOTE, count: 1, iface: 'lo' };
    await t.rejects(runCapture({ ...base, io: 'cap', workers: 2 }), { name: 'UsageError', message: /--workers 2 needs the AF_PACKET ring/ });
    await t.rejects(runCapture({ ...base, filter: 'udp', workers: 2 }), { name: 'UsageError', message: /--workers 2 needs the AF_PACKET ring.*--filter needs --io cap/ });
    await t.rejects(runCapture({ ...base, workers: 0 }), { name: 'UsageError', message: /--workers must be an integer 1\.\.64/ });
  });
});

t.test('--workers 2 --out-iface (mmap): each thread sends on its own socket; every frame arrives once at the far end', { skip: skipMmap }, async (t) => {
  await senderCaptureReceiver(async (lab, s0, c0, c1, r0) => {
    // Fewer frames than the receiver's libpcap buffer holds (16 MiB in 64 KiB slots: 256 frames), as the sender injects them in one burst.
    const sent = manyFlows(32, 5);
    const outer = receiver(lab, 'r', r0.ifname, 'udp dst port 4789', sent.length);
    const cap = zooroute(lab, 'c', ['capture', '-i', c0.ifname, '--io', 'mmap', '--workers', '2', '--out-iface', c1.ifname,
      '--vni', String(VNI), '--local', LOCAL, '--remote', REMOTE, '--src-mac', c1.mac, '--dst-mac', r0.mac, '--count', String(sent.length), '--json']);
    await Promise.all([outer.waitFor(/receiver ready/, 20_000), cap.waitFor(/capturing on .*io mmap\)/, 30_000)]);
    await inject(lab, 's', s0.ifname, sent.map((x) => x.frame));
    const r = await cap.exited;
    t.equal(r.code, 0, `capture exits 0 (${r.stderr.trim()})`);
    const summary = JSON.parse(r.stdout) as { frames: number; encapsulated: number; workers: { frames: number }[] };
    t.match(summary, { io: 'mmap', frames: sent.length, encapsulated: sent.length, dropped: {}, stoppedBy: 'count' });
    t.ok(summary.workers.length === 2 && summary.workers.every((w) => w.frames > 0), `both threads sent (${summary.workers.map((w) => w.frames).join(' + ')})`);
    const got = (await outer.exited).stdout.trim().split('\n').filter(Boolean).map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
    t.equal(got.length, sent.length, 'every frame arrived at the far end');
    const want = expected(sent.map((x) => x.frame), { localIp: LOCAL, localMac: c1.mac }, { remoteIp: REMOTE, vni: VNI, mac: r0.mac });
    t.same(got.map(sansId).sort(), want.map(sansId).sort(), 'each one once, as the datapath encapsulates it (but for the outer IPv4 id)');
    t.ok(got.every((f) => decodeOuter(f).checksumOk), 'every outer IPv4 checksum is right');
  });
});
