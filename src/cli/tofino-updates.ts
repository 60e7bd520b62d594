// `zooroute tofino-updates`: apply N register updates on the Tofino emulator through both channels
// (PCIe transactions and packet-triggered negotiation packets) and report modelled and measured times.
import { performance } from 'node:perf_hooks';
import { type Command, InvalidArgumentError } from 'commander';
import { UsageError } from './errors.js';
import { BudgetError } from '../tofino/budget.js';
import { VirtualClock } from '../control/clock.js';
import { DEFAULT_IN_NETWORK, InNetworkChannel } from '../tofino/in-network.js';
import { UpdatePacker } from '../tofino/negotiation-packer.js';
import { layoutFlat } from '../tofino/path-layout.js';
import { DEFAULT_PCIE_TPS, PcieChannel } from '../tofino/pcie.js';
import { Pipeline } from '../tofino/pipeline.js';
import type { Register } from '../tofino/register.js';
import { UpdateSet } from '../tofino/update-set.js';

export interface TofinoUpdatesOptions {
  updates: number;
  ports: number;
  pcieTps: number;
  lineRateBps: number;
  recirculationBps: number;
  maxPacketBytes: number;
  recordsPerPass: number;
}

export interface TofinoUpdatesReport {
  updates: number;
  destinations: number;
  ports: number;
  registerArrays: number;
  sramBytes: number;
  packets: number;
  passes: number;
  recirculations: number;
  /** Records applied per pipeline pass, on average. */
  recordsPerPass: number;
  pcieSeconds: number;
  inNetworkSeconds: number;
  speedup: number;
  /** Wall time of the packet channel on this machine: packing and applying. */
  wallSeconds: number;
  packSeconds: number;
  applySeconds: number;
  updatesPerSecond: number;
  /** Both channels left every register cell identical. */
  statesAgree: boolean;
  parameters: { pcieTps: number; lineRateBps: number; recirculationBps: number; maxPacketBytes: number; recordsPerPassLimit: number; flatEntryBits: number };
}

const FLAT_ENTRY_BITS = 32;

/**
 * One update per flat-table cell (a port and its state, as the talk's 50k VTEPs x 32 ports), with
 * values that differ from cell to cell.
 */
function flatUpdates(regs: readonly Register[], n: number, ports: number): UpdateSet {
  const set = new UpdateSet(n);
  let u = 0;
  for (const r of regs) {
    for (let i = 0; i < r.size && u < n; i++, u++) {
      const port = 49152 + ((u % ports) * 512 + (u >>> 5)) % 16384;
      const state = (Math.imul(u, 2654435761) >>> 29) & 1; // bit 16: usable or not, varied
      set.push(r.id, i, (port | (state << 16)) >>> 0, 0);
    }
  }
  return set;
}

function sameCells(a: Pipeline, b: Pipeline): boolean {
  const ra = a.registers;
  const rb = b.registers;
  if (ra.length !== rb.length) return false;
  for (let k = 0; k < ra.length; k++) {
    const x = ra[k]!.cells;
    const y = rb[k]!.cells;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

export function runTofinoUpdates(o: TofinoUpdatesOptions): TofinoUpdatesReport {
  const destinations = Math.ceil(o.updates / o.ports);
  const dims = { destinations, ports: o.ports, pbmGroups: 4, hiGroupSize: 8, hiPoolSize: 0, flatEntryBits: FLAT_ENTRY_BITS };
  const viaPcie = new Pipeline();
  const viaPackets = new Pipeline();
  let regs: Register[];
  try {
    regs = layoutFlat(viaPcie, dims, { spread: true });
    layoutFlat(viaPackets, dims, { spread: true });
  } catch (e) {
    if (e instanceof BudgetError) throw new UsageError(`${o.updates} updates need a flat table of ${destinations} x ${o.ports} entries: ${e.message}`);
    throw e;
  }
  const updates = flatUpdates(regs, o.updates, o.ports);
  const pcie = new PcieChannel(viaPcie, new VirtualClock(), o.pcieTps).apply(updates);
  const channel = new InNetworkChannel(viaPackets, new VirtualClock(), {
    lineRateBps: o.lineRateBps, recirculationBps: o.recirculationBps, maxPacketBytes: o.maxPacketBytes, recordsPerPass: o.recordsPerPass,
  });
  // Wall time of the packet channel: the CPU packing each frame into its one packet buffer, and the
  // pipeline applying it; both timed per frame so their split is reported too.
  const t0 = performance.now();
  const packer = new UpdatePacker(updates, { maxPacketBytes: o.maxPacketBytes });
  const buf = new Uint8Array(packer.maxFrameBytes);
  const cpuPort = channel.options.cpuPort;
  let packMs = performance.now() - t0;
  for (;;) {
    const a = performance.now();
    const len = packer.next(buf);
    const b = performance.now();
    packMs += b - a;
    if (len === 0) break;
    channel.receive(buf.subarray(0, len), cpuPort);
  }
  const t2 = performance.now();
  const c = channel.counters;
  const inNetworkSeconds = channel.modelledSeconds;
  const wallSeconds = (t2 - t0) / 1000;
  return {
    updates: o.updates,
    destinations,
    ports: o.ports,
    registerArrays: regs.length,
    sramBytes: viaPackets.totalBytes,
    packets: c.packets,
    passes: c.passes,
    recirculations: c.recirculations,
    recordsPerPass: c.passes > 0 ? c.applied / c.passes : 0,
    pcieSeconds: pcie.seconds,
    inNetworkSeconds,
    speedup: inNetworkSeconds > 0 ? pcie.seconds / inNetworkSeconds : 0,
    wallSeconds,
    packSeconds: packMs / 1000,
    applySeconds: (t2 - t0 - packMs) / 1000,
    updatesPerSecond: wallSeconds > 0 ? c.applied / wallSeconds : 0,
    statesAgree: pcie.applied === o.updates && c.applied === o.updates && c.malformed === 0 && sameCells(viaPcie, viaPackets),
    parameters: {
      pcieTps: o.pcieTps, lineRateBps: o.lineRateBps, recirculationBps: o.recirculationBps, maxPacketBytes: o.maxPacketBytes,
      recordsPerPassLimit: o.recordsPerPass, flatEntryBits: FLAT_ENTRY_BITS,
    },
  };
}

function integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

function positiveNumber(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}

function formatSeconds(s: number): string {
  return s >= 1 ? `${s.toFixed(1)} s` : s >= 1e-3 ? `${(s * 1e3).toFixed(2)} ms` : `${(s * 1e6).toFixed(1)} us`;
}

export function register(program: Command): void {
  program
    .command('tofino-updates')
    .description('apply register updates on the Tofino emulator over PCIe and over negotiation packets; report modelled and measured times')
    .option('--updates <N>', 'register updates to apply (one per flat-table cell)', integer('--updates', 1, 10_000_000), 1_600_000)
    .option('--candidates <N>', 'candidate ports per destination', integer('--candidates', 1, 64), 32)
    .option('--pcie-tps <N>', 'PCIe register transactions per second', positiveNumber('--pcie-tps'), DEFAULT_PCIE_TPS)
    .option('--line-rate-gbps <N>', 'CPU-port line rate, Gbit/s', positiveNumber('--line-rate-gbps'), DEFAULT_IN_NETWORK.lineRateBps / 1e9)
    .option('--recirculation-gbps <N>', 'loopback (recirculation) capacity, Gbit/s', positiveNumber('--recirculation-gbps'), DEFAULT_IN_NETWORK.recirculationBps / 1e9)
    .option('--max-packet-bytes <N>', 'largest negotiation frame', integer('--max-packet-bytes', 64, 9216), DEFAULT_IN_NETWORK.maxPacketBytes)
    .option('--records-per-pass <N>', 'records the parser extracts per pass', integer('--records-per-pass', 1, 4096), DEFAULT_IN_NETWORK.recordsPerPass)
    .option('--json', 'print one JSON object')
    .action((opts: { updates: number; candidates: number; pcieTps: number; lineRateGbps: number; recirculationGbps: number; maxPacketBytes: number; recordsPerPass: number; json?: boolean }) => {
      const r = runTofinoUpdates({
        updates: opts.updates, ports: opts.candidates, pcieTps: opts.pcieTps, lineRateBps: opts.lineRateGbps * 1e9,
        recirculationBps: opts.recirculationGbps * 1e9, maxPacketBytes: opts.maxPacketBytes, recordsPerPass: opts.recordsPerPass,
      });
      if (opts.json) {
        process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        return;
      }
      const lines = [
        `updates            ${r.updates} (${r.destinations} destinations x ${r.ports} ports, flat table of ${r.registerArrays} register arrays, ${r.sramBytes} bytes SRAM)`,
        `PCIe (modelled)    ${formatSeconds(r.pcieSeconds)} at ${r.parameters.pcieTps} transactions/s`,
        `in-network (model) ${formatSeconds(r.inNetworkSeconds)}: ${r.packets} packets, ${r.passes} passes (${r.recirculations} recirculations), ${r.recordsPerPass.toFixed(1)} records/pass`,
        `speedup            ${r.speedup.toFixed(0)}x`,
        `emulator (wall)    ${formatSeconds(r.wallSeconds)} (pack ${formatSeconds(r.packSeconds)}, apply ${formatSeconds(r.applySeconds)}), ${(r.updatesPerSecond / 1e6).toFixed(2)} M updates/s`,
        `states agree       ${r.statesAgree ? 'yes' : 'NO'}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
