// A small userspace vSwitch on zooroute's public API: VMs on a TAP device, the underlay through a
// packet socket, one Vtep (zooroute/control) in between doing VXLAN with source-port path
// switching. Every event is printed as a JSON line; SIGTERM or SIGINT stops it and prints the counters.
//
//   node --import tsx examples/vswitch/vswitch.ts --tap zr0 --underlay eth1 --local-ip 192.168.1.2 \
//     --gateway-mac 02:00:00:00:01:01 --secret 00112233445566778899aabbccddeeff --peer 192.168.2.2
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatIPv4 } from 'zooroute';
import { Vtep, RealClock, type FrameBatch, type SentCount, type VtepEvent } from 'zooroute/control';
import { RawPort } from './raw-io.js';

const { values: o } = parseArgs({
  options: {
    tap: { type: 'string', default: 'zr0' },
    underlay: { type: 'string' },
    'local-ip': { type: 'string' },
    'gateway-mac': { type: 'string' },
    vni: { type: 'string', default: '42' },
    secret: { type: 'string' },
    peer: { type: 'string', multiple: true },
    'hash-seed': { type: 'string', default: '0' },
    mode: { type: 'string', default: 'partial' },
  },
});

function required(name: string, v: string | undefined): string {
  if (v === undefined || v === '') { process.stderr.write(`vswitch: --${name} is required\n`); process.exit(2); }
  return v;
}
const underlay = required('underlay', o.underlay);
const secretHex = required('secret', o.secret);
if (!/^[0-9a-fA-F]{32}$/.test(secretHex)) { process.stderr.write('vswitch: --secret must be 32 hex digits\n'); process.exit(2); }
if (o.mode !== 'full' && o.mode !== 'partial') { process.stderr.write('vswitch: --mode must be full or partial\n'); process.exit(2); }
const mode: 'full' | 'partial' = o.mode;

const log = (event: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(JSON.stringify({ event, epochMs: performance.timeOrigin + performance.now(), ...fields }) + '\n');
};

/** Hand a batch to a port frame by frame; stops at the first frame the kernel refuses (the Vtep counts the rest). */
const writeAll = (port: RawPort, frames: FrameBatch): SentCount => {
  for (let i = 0; i < frames.length; i++) if (!port.write(frames.frame(i))) return i;
};

const tap = RawPort.tap(o.tap);
const up = RawPort.packet(underlay);
const vtep = new Vtep({
  clock: new RealClock(),
  localIp: required('local-ip', o['local-ip']),
  localMac: readFileSync(`/sys/class/net/${underlay}/address`, 'utf8').trim(),
  gatewayMac: required('gateway-mac', o['gateway-mac']),
  vni: Number(o.vni),
  secret: Uint8Array.from(Buffer.from(secretHex, 'hex')),
  hashSeed: Number(o['hash-seed']),
  control: { probeMode: mode },
  sendUnderlay: (frames) => writeAll(up, frames),
  deliverTenant: (frames) => writeAll(tap, frames),
  onEvent: (e: VtepEvent) => {
    if (e.type === 'flow-switched') log(e.type, { peer: formatIPv4(e.peerIp), flowHash: e.flowHash, from: e.from, to: e.to });
    else log(e.type, { peer: formatIPv4(e.peerIp), sport: e.sport, held: e.held });
  },
});
for (const p of o.peer ?? []) vtep.addPeer(p);

// Each read batch goes into the Vtep frame by frame (copied into Wasm memory), then one flush:
// one Wasm call per batch and direction.
tap.read((f) => vtep.pushTenant(f), () => vtep.flush());
up.read((f) => vtep.pushUnderlay(f), () => vtep.flush());
vtep.start();
const tick = setInterval(() => vtep.tick(), 1000);
log('ready', { tap: o.tap, underlay, localIp: formatIPv4(vtep.localIp), peers: vtep.peers().map(formatIPv4) });

const stop = (): void => {
  clearInterval(tick);
  vtep.stop();
  tap.close();
  up.close();
  const c = vtep.counters;
  log('stopped', {
    tenantFrames: c.tenantFrames, encap: c.encapPackets, underlayFrames: c.underlayFrames, decap: c.decapPackets, probeFrames: c.probeFrames,
    flowSwitches: c.flowSwitches, drops: Object.fromEntries(c.drops), control: vtep.control.stats(),
  });
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
