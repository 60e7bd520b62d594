// The agent's config validation and metrics exposition, and its forwarding with in-memory ports
// (no root): two agents joined by a fake underlay probe each other and carry tenant frames.
import t from 'tap';
import { parseAgentConfig, macKey, Agent, type AgentPort, type AgentEvent } from '../../src/agent/index.js';
import { VirtualClock } from '../../src/control/index.js';
import { UsageError } from '../../src/cli/errors.js';
import { tenantFrame } from '../helpers/tenant-frame.js';

const good = {
  vmIface: 'vm0', underlay: { iface: 'up0', localIp: '192.168.1.2', gatewayMac: '02:00:00:00:01:01', localMac: '02:00:00:00:00:0a' },
  vni: 42, secret: '00112233445566778899aabbccddeeff',
  peers: [{ ip: '192.168.2.2', macs: ['02:00:00:00:00:bb'], mode: 'full' }],
};

t.test('a good config parses with defaults', async (t) => {
  const c = parseAgentConfig(JSON.stringify(good), 'a.json');
  t.equal(c.localIp, 0xc0a80102);
  t.equal(c.metricsPort, 9464);
  t.equal(c.metricsHost, '127.0.0.1');
  t.equal(c.log, '-');
  t.equal(c.control.probeIntervalMs, 300);
  t.same(c.peers[0].macs, [macKey(Uint8Array.from([2, 0, 0, 0, 0, 0xbb]))]);
  t.equal(c.peers[0].probes, true);
  t.equal(c.peers[0].mode, 'full');
});

t.test('every bad field is one line naming the file and the field', async (t) => {
  const bad: [unknown, RegExp][] = [
    ['{', /a\.json: not valid JSON/],
    [[], /must hold a JSON object/],
    [{ ...good, extra: 1 }, /unknown field "extra"/],
    [{ ...good, vmIface: '' }, /vmIface must be a non-empty string/],
    [{ ...good, vmIface: 'up0' }, /underlay.iface must differ from vmIface/],
    [{ ...good, underlay: { ...good.underlay, localIp: '300.1.1.1' } }, /underlay.localIp is not an IPv4 address/],
    [{ ...good, underlay: { ...good.underlay, gatewayMac: 'zz' } }, /underlay.gatewayMac is not a MAC address/],
    [{ ...good, vni: 1 << 24 }, /vni must be an integer in 0..16777215/],
    [{ ...good, vni: 0xffffff }, /probe VNI/],
    [{ ...good, secret: 'abc' }, /secret must be 32 hex digits/],
    [{ ...good, peers: [] }, /peers must be a non-empty array/],
    [{ ...good, peers: [{ ip: '192.168.1.2' }] }, /peers\[0\].ip is the local underlay address/],
    [{ ...good, peers: [{ ip: '10.0.0.1' }, { ip: '10.0.0.1' }] }, /peers\[1\].ip repeats/],
    [{ ...good, peers: [{ ip: '10.0.0.1', macs: ['x'] }] }, /peers\[0\].macs\[0\] is not a MAC/],
    [{ ...good, peers: [{ ip: '10.0.0.1', mode: 'half' }] }, /peers\[0\].mode must be "full" or "partial"/],
    [{ ...good, control: { probeIntervalMs: -1 } }, /control config probeIntervalMs/],
    [{ ...good, control: { bogus: 1 } }, /unknown field "control.bogus"/],
    [{ ...good, metrics: { port: 9464, host: '0.0.0.0' } }, /metrics.host must be a loopback address/],
    [{ ...good, portRange: '65530-65535' }, /fewer than control.candidates/],
  ];
  for (const [cfg, re] of bad) {
    const text = typeof cfg === 'string' ? cfg : JSON.stringify(cfg);
    try {
      parseAgentConfig(text, 'a.json');
      t.fail(`accepted ${text}`);
    } catch (e) {
      t.ok(e instanceof UsageError, 'a UsageError (exit 2)');
      t.match((e as Error).message, re);
      t.notMatch((e as Error).message, /\n/, 'one line');
    }
  }
});

/** An in-memory interface: frames sent go to `peer`'s listener on the next turn. */
class Wire implements AgentPort {
  listener: ((f: Uint8Array) => void) | undefined;
  sent: Uint8Array[] = [];
  peer: Wire | undefined;
  drop: (f: Uint8Array) => boolean = () => false;
  onFrame(l: (f: Uint8Array) => void): void { this.listener = l; }
  send(f: Uint8Array): void {
    const c = Uint8Array.from(f);
    this.sent.push(c);
    if (this.peer !== undefined && !this.drop(c)) { const p = this.peer; queueMicrotask(() => p.listener?.(c)); }
  }
  close(): void { this.listener = undefined; }
}


t.test('two agents over an in-memory underlay: probes, forwarding, failover, no loops', async (t) => {
  const clock = new VirtualClock(0);
  const macA = [2, 0, 0, 0, 0, 0xaa], macB = [2, 0, 0, 0, 0, 0xbb];
  const cfgA = parseAgentConfig(JSON.stringify({ ...good }));
  const cfgB = parseAgentConfig(JSON.stringify({
    ...good, underlay: { iface: 'up0', localIp: '192.168.2.2', gatewayMac: '02:00:00:00:02:01', localMac: '02:00:00:00:00:0b' },
    peers: [{ ip: '192.168.1.2', macs: ['02:00:00:00:00:aa'], mode: 'full' }],
  }));
  const [upA, upB, vmA, vmB] = [new Wire(), new Wire(), new Wire(), new Wire()];
  upA.peer = upB; upB.peer = upA;
  const evA: AgentEvent[] = [];
  const a = new Agent({ config: cfgA, clock, vm: vmA, underlay: upA, log: (e) => evA.push(e) });
  const b = new Agent({ config: cfgB, clock, vm: vmB, underlay: upB, log: () => undefined });
  a.start(); b.start();
  const tick = async (ms: number): Promise<void> => {
    for (let i = 0; i < ms / 5; i++) { clock.advance(5); await new Promise((r) => setImmediate(r)); await new Promise((r) => setImmediate(r)); }
  };
  for (let s = 0; s < 16; s++) vmA.listener?.(tenantFrame(macB, macA, s));
  await tick(10);
  t.equal(vmB.sent.length, 16, 'every tenant frame reached B\'s VM side');
  t.same(Array.from(vmB.sent[3]), Array.from(tenantFrame(macB, macA, 3)), 'unchanged');
  t.equal(vmA.sent.length, 0, 'A sent nothing back to its own VM side');
  await tick(1500);
  t.equal(a.control.ports(0xc0a80202).filter((p) => p.state === 'good').length, 32, 'every port to B probed good');
  t.match(a.metricsText(), /zooroute_peer_healthy_ports\{peer="192.168.2.2"\} 32/);
  t.match(a.metricsText(), /zooroute_packets_total\{direction="encap"\} 16/);
  // Break the port the first data frame used: the underlay drops every A->B frame from it.
  const outerSport = (f: Uint8Array): number => (f[34] << 8) | f[35];
  const isData = (f: Uint8Array): boolean => f.length > 50 && f[46] === 0 && f[47] === 0 && f[48] === 42;
  const sport = outerSport(upA.sent.find(isData)!);
  t.ok(sport >= 49152, 'data went out on a candidate port');
  upA.drop = (f) => outerSport(f) === sport;
  for (let k = 0; k < 8; k++) { for (let s = 0; s < 16; s++) vmA.listener?.(tenantFrame(macB, macA, s)); await tick(200); }
  t.ok(evA.some((e) => e.event === 'port-down' && e.sport === sport), 'the broken port went down');
  t.ok(evA.some((e) => e.event === 'flow-switched' && e.from === sport), 'its flows switched away');
  const late = upA.sent.filter(isData).slice(-16).map(outerSport);
  t.notOk(late.includes(sport), 'no data leaves on the broken port any more');
  // Ports are chosen in Wasm from the mirrored redirect table: the port each switched flow now uses
  // (the agent saw it on the wire) is the control plane's own choice from its TS table.
  const lastTo = new Map<number, number>();
  for (const e of evA) if (e.event === 'flow-switched') lastTo.set(e.flowHash as number, e.to as number);
  t.ok(lastTo.size > 0, `${lastTo.size} flows switched`);
  t.same([...lastTo].map(([h]) => a.control.sourcePort(0xc0a80202, h)), [...lastTo.values()], 'the datapath\'s choice is the control plane\'s');
  a.stop(); b.stop();
  t.ok(evA.some((e) => e.event === 'stopped'));
});
