// The agent's graceful restart (state file written on stop, restored on start when fresh enough,
// then re-validated by probing), its config reload (SIGHUP: peers added and removed, unchanged peers
// untouched) and its key-file warning, with in-memory ports and a virtual clock (no root).
import t from 'tap';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAgentConfig, Agent, type AgentPort, type AgentEvent, type AgentConfig } from '../src/agent/index.js';
import { VirtualClock } from '../src/control/index.js';
import { UsageError } from '../src/errors.js';
import { tenantFrame } from './helpers/tenant-frame.js';

const IP_B = 0xc0a80202, IP_C = 0xc0a80302;
const macA = [2, 0, 0, 0, 0, 0xaa], macB = [2, 0, 0, 0, 0, 0xbb], macC = [2, 0, 0, 0, 0, 0xcc];
const base = {
  vmIface: 'vm0', underlay: { iface: 'up0', localIp: '192.168.1.2', gatewayMac: '02:00:00:00:01:01', localMac: '02:00:00:00:00:0a' },
  vni: 42, secret: '00112233445566778899aabbccddeeff',
};
const peerB = { ip: '192.168.2.2', macs: ['02:00:00:00:00:bb'], mode: 'full' };
const peerC = { ip: '192.168.3.2', macs: ['02:00:00:00:00:cc'], mode: 'full' };
const cfgOf = (o: Record<string, unknown>): AgentConfig => parseAgentConfig(JSON.stringify({ ...base, peers: [peerB], ...o }));
const peerCfg = (localIp: string, mac: string, gw: string): AgentConfig => parseAgentConfig(JSON.stringify({
  ...base, underlay: { iface: 'up0', localIp, gatewayMac: gw, localMac: mac },
  peers: [{ ip: '192.168.1.2', macs: ['02:00:00:00:00:aa'], mode: 'full' }],
}));

/** An in-memory underlay: a frame sent goes to the wire of its outer destination IP, next turn. */
class Underlay {
  readonly ports = new Map<number, Wire>();
  drop: (f: Uint8Array) => boolean = () => false;
  attach(ip: number): Wire { const w = new Wire(this); this.ports.set(ip, w); return w; }
}
class Wire implements AgentPort {
  listener: ((f: Uint8Array) => void) | undefined;
  sent: Uint8Array[] = [];
  constructor(readonly net?: Underlay) {}
  onFrame(l: (f: Uint8Array) => void): void { this.listener = l; }
  send(f: Uint8Array): void {
    const c = Uint8Array.from(f);
    this.sent.push(c);
    if (this.net === undefined || this.net.drop(c)) return;
    const dst = ((c[30] << 24) | (c[31] << 16) | (c[32] << 8) | c[33]) >>> 0;
    const to = this.net.ports.get(dst);
    if (to !== undefined) queueMicrotask(() => to.listener?.(c));
  }
  close(): void { this.listener = undefined; }
}

const outerSport = (f: Uint8Array): number => (f[34] << 8) | f[35];
const isData = (f: Uint8Array): boolean => f.length > 50 && f[46] === 0 && f[47] === 0 && f[48] === 42;

interface Rig {
  clock: VirtualClock;
  net: Underlay;
  tick(ms: number): Promise<void>;
  agent(cfg: AgentConfig, o?: { epochMs?: () => number; configPath?: string }): { a: Agent; vm: Wire; up: Wire; ev: AgentEvent[] };
}
function rig(): Rig {
  const clock = new VirtualClock(0);
  const net = new Underlay();
  return {
    clock, net,
    async tick(ms) { for (let i = 0; i < ms / 5; i++) { clock.advance(5); await new Promise((r) => setImmediate(r)); await new Promise((r) => setImmediate(r)); } },
    agent(cfg, o = {}) {
      const up = net.attach(cfg.localIp), vm = new Wire();
      const ev: AgentEvent[] = [];
      const a = new Agent({ config: cfg, clock, vm, underlay: up, log: (e) => ev.push(e), ...o });
      return { a, vm, up, ev };
    },
  };
}

t.test('config: stateFile, stateMaxAgeMs and maxPeers', async (t) => {
  const c = cfgOf({});
  t.equal(c.stateFile, undefined);
  t.equal(c.stateMaxAgeMs, 60_000);
  t.equal(c.maxPeers, 64);
  const d = cfgOf({ stateFile: '/var/lib/zooroute/a.state', stateMaxAgeMs: 5000, maxPeers: 2 });
  t.equal(d.stateFile, '/var/lib/zooroute/a.state');
  t.equal(d.stateMaxAgeMs, 5000);
  t.equal(d.maxPeers, 2);
  t.throws(() => cfgOf({ maxPeers: 0 }), UsageError);
  t.throws(() => cfgOf({ peers: [peerB, peerC], maxPeers: 1 }), /maxPeers 1 is below the 2 peers/);
  t.throws(() => cfgOf({ stateFile: '' }), /stateFile must be a non-empty string/);
  t.throws(() => cfgOf({ stateMaxAgeMs: -1 }), /stateMaxAgeMs must be an integer/);
});

t.test('graceful restart: port health saved on stop, restored on start, re-validated by probing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zr-restart-'));
  const stateFile = join(dir, 'a.state');
  const r = rig();
  let wall = 1_700_000_000_000;
  const epochMs = (): number => wall;
  const b = r.agent(peerCfg('192.168.2.2', '02:00:00:00:00:0b', '02:00:00:00:02:01'));
  b.a.start();
  const cfg = cfgOf({ stateFile, stateMaxAgeMs: 10_000 });
  const a1 = r.agent(cfg, { epochMs });
  a1.a.start();
  const send = (vm: Wire, n = 16): void => { for (let s = 0; s < n; s++) vm.listener?.(tenantFrame(macB, macA, s)); };
  send(a1.vm);
  await r.tick(1500);
  // Break the port the first data frame used; its flows switch away.
  const bad = outerSport(a1.up.sent.find(isData)!);
  r.net.drop = (f) => f[26] === 192 && f[29] === 2 && f[33] === 2 && outerSport(f) === bad; // A -> B only
  for (let k = 0; k < 8; k++) { send(a1.vm); await r.tick(200); }
  const before = a1.a.control.ports(IP_B);
  t.equal(before.find((p) => p.sport === bad)?.state, 'bad', 'the broken port is bad before the restart');
  a1.a.stop();
  t.ok(a1.ev.some((e) => e.event === 'state-saved' && e.peers === 1 && e.ports === 32), 'state saved on stop');
  t.ok(existsSync(stateFile));
  t.equal(statSync(stateFile).mode & 0o777, 0o600, 'owner-only');
  t.match(readFileSync(stateFile, 'utf8'), /"format":"zooroute-health"/);

  // Restart 2 s later: the health comes back before the first frame is forwarded.
  wall += 2000;
  await r.tick(2000);
  const a2 = r.agent(cfg, { epochMs });
  a2.a.start();
  const restored = a2.ev.find((e) => e.event === 'state-restored');
  t.match(restored, { restored: true, peers: 1, ports: 32, skippedPeers: 0 }, 'restored');
  t.ok(Math.abs((restored!.ageMs as number) - 2000) <= 1, 'its age is the time between save and restore');
  t.same(a2.a.control.ports(IP_B).map((p) => p.state), before.map((p) => p.state), 'every port as it was');
  a2.up.sent.length = 0;
  send(a2.vm);
  await r.tick(10);
  const first = a2.up.sent.filter(isData).map(outerSport);
  t.equal(first.length, 16);
  t.notOk(first.includes(bad), 'no frame after the restart leaves on the port known bad');
  // Re-validation: the restored peer is probed at once (within one probe interval).
  const probesAt = a2.a.control.stats().probesSent;
  t.ok(probesAt > 0, `probed at once on start (${probesAt} probes)`);
  // The path heals: probing finds the port good again (restored state is not trusted forever).
  r.net.drop = () => false;
  for (let k = 0; k < 40; k++) { send(a2.vm); await r.tick(250); }
  t.equal(a2.a.control.ports(IP_B).find((p) => p.sport === bad)?.state, 'good', 'the healed port probed good again');
  a2.a.stop();

  // A state file older than stateMaxAgeMs is not used: a cold start, with the default choice.
  wall += 20_000;
  r.net.drop = (f) => f[33] === 2 && outerSport(f) === bad;
  const a3 = r.agent(cfg, { epochMs });
  a3.a.start();
  t.match(a3.ev.find((e) => e.event === 'state-restored'), { restored: false, reason: 'stale' }, 'stale state not restored');
  t.ok(a3.a.control.ports(IP_B).every((p) => p.state === 'unknown'), 'every port unknown after a cold start');
  a3.a.stop();

  // A damaged state file: a warning and a cold start, never a crash.
  writeFileSync(stateFile, '{"format":"zooroute-health","version":1,');
  const a4 = r.agent(cfg, { epochMs });
  a4.a.start();
  t.ok(a4.ev.some((e) => e.event === 'warning' && /saved port health not used: not valid JSON/.test(String(e.message))));
  a4.a.stop();
  b.a.stop();
});

t.test('restart with and without the state file: frames lost on a port known bad', async (t) => {
  // The same failure, two restarts: without saved health the default choice sends some flows onto the
  // broken port until probing finds it; with it, none.
  const dir = mkdtempSync(join(tmpdir(), 'zr-restart-'));
  const lost: Record<string, number> = {};
  for (const withState of [true, false]) {
    const r = rig();
    const stateFile = join(dir, `a-${withState}.state`);
    const b = r.agent(peerCfg('192.168.2.2', '02:00:00:00:00:0b', '02:00:00:00:02:01'));
    b.a.start();
    const cfg = cfgOf(withState ? { stateFile } : {});
    const a1 = r.agent(cfg);
    a1.a.start();
    for (let s = 0; s < 16; s++) a1.vm.listener?.(tenantFrame(macB, macA, s));
    await r.tick(1500);
    const bad = outerSport(a1.up.sent.find(isData)!);
    r.net.drop = (f) => f[33] === 2 && outerSport(f) === bad;
    for (let k = 0; k < 10; k++) { for (let s = 0; s < 16; s++) a1.vm.listener?.(tenantFrame(macB, macA, s)); await r.tick(200); }
    a1.a.stop();
    const a2 = r.agent(cfg);
    a2.a.start();
    const delivered = b.vm.sent.length;
    let sent = 0;
    for (let k = 0; k < 20; k++) { for (let s = 0; s < 16; s++, sent++) a2.vm.listener?.(tenantFrame(macB, macA, s)); await r.tick(50); }
    lost[String(withState)] = sent - (b.vm.sent.length - delivered);
    a2.a.stop(); b.a.stop();
  }
  t.comment(`frames lost in the first second after a restart: with saved state ${lost.true}, without ${lost.false}`);
  t.equal(lost.true, 0, 'with saved state nothing is lost');
  t.ok(lost.false! > 0, 'without it the default choice loses frames until probing finds the bad port');
});

t.test('reload: peers added and removed, unchanged peers untouched', async (t) => {
  const r = rig();
  const b = r.agent(peerCfg('192.168.2.2', '02:00:00:00:00:0b', '02:00:00:00:02:01'));
  const c = r.agent(peerCfg('192.168.3.2', '02:00:00:00:00:0c', '02:00:00:00:03:01'));
  b.a.start(); c.a.start();
  const a = r.agent(cfgOf({}));
  a.a.start();
  for (let s = 0; s < 16; s++) a.vm.listener?.(tenantFrame(macB, macA, s));
  await r.tick(1500);
  const portsB = a.a.control.ports(IP_B);
  t.equal(portsB.filter((p) => p.state === 'good').length, 32);
  t.equal(b.vm.sent.length, 16);
  // Add C (SIGHUP with a new file): B's ports are kept, traffic to B flows on throughout.
  const res = a.a.reload(cfgOf({ peers: [peerB, peerC] }));
  t.same(res, { added: 1, removed: 0, changed: 0, unchanged: 1, needRestart: [] });
  t.same(a.a.control.ports(IP_B), portsB, 'B\'s port health untouched');
  t.same(a.a.vtep.peers().sort(), [IP_B, IP_C].sort());
  for (let k = 0; k < 10; k++) {
    for (let s = 0; s < 16; s++) { a.vm.listener?.(tenantFrame(macB, macA, s)); a.vm.listener?.(tenantFrame(macC, macA, s)); }
    await r.tick(200);
  }
  t.equal(b.vm.sent.length, 16 * 11, 'no frame to B lost across the reload');
  t.equal(c.vm.sent.length, 16 * 10, 'the new peer C carries traffic');
  t.equal(a.a.control.ports(IP_C).filter((p) => p.state === 'good').length, 32, 'the new peer is probed');
  // Remove B, change nothing else; a restart-only field is reported, not applied.
  const res2 = a.a.reload(cfgOf({ peers: [peerC], vni: 43 }));
  t.same(res2, { added: 0, removed: 1, changed: 0, unchanged: 1, needRestart: ['vni'] });
  t.same(a.a.vtep.peers(), [IP_C]);
  t.equal(a.a.config.vni, 42, 'the running VNI is kept');
  t.ok(a.ev.some((e) => e.event === 'reloaded' && e.removed === 1 && e.peers === 1));
  const cBefore = c.vm.sent.length, bBefore = b.vm.sent.length;
  for (let s = 0; s < 16; s++) a.vm.listener?.(tenantFrame(macC, macA, s));
  await r.tick(20);
  t.equal(c.vm.sent.length - cBefore, 16, 'C still served');
  t.equal(b.vm.sent.length, bBefore, 'nothing goes to the removed peer B');
  // A reload beyond maxPeers adds what fits and warns.
  const small = r.agent(cfgOf({ maxPeers: 1, underlay: { ...base.underlay, localIp: '192.168.1.3' } }));
  const res3 = small.a.reload(cfgOf({ peers: [peerB, peerC], underlay: { ...base.underlay, localIp: '192.168.1.3' } }));
  t.match(res3, { added: 0, unchanged: 1, needRestart: ['maxPeers'] }, 'a larger maxPeers needs a restart');
  t.ok(small.ev.some((e) => e.event === 'warning' && /room for 1 peers/.test(String(e.message))));
  small.a.stop();
  a.a.stop(); b.a.stop(); c.a.stop();
});

t.test('start warns when the config file holding the key is open to others', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zr-key-'));
  const path = join(dir, 'agent.json');
  writeFileSync(path, JSON.stringify({ ...base, peers: [peerB] }));
  for (const [mode, warned] of [[0o644, true], [0o600, false]] as const) {
    chmodSync(path, mode);
    const r = rig();
    const a = r.agent(cfgOf({}), { configPath: path });
    a.a.start();
    const w = a.ev.filter((e) => e.event === 'warning');
    t.equal(w.length, warned ? 1 : 0, `mode ${mode.toString(8)}: ${warned ? 'one warning' : 'no warning'}`);
    if (warned) t.match(w[0]!.message, /holds the probe secret and is readable by group and others \(mode 0644\): run chmod 600/);
    a.a.stop();
  }
});
