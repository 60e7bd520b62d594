// Update application rate on the Tofino emulator: the packet-triggered channel (pack + apply, and
// apply alone) against direct register writes measured in the same run; the PCIe channel's modelled
// rate and the modelled in-network rate are reported beside them (model figures, not measurements).
import type { BenchOptions, BenchResult } from './harness.js';
import { measure } from './harness.js';
import { VirtualClock } from '../src/control/clock.js';
import { InNetworkChannel } from '../src/tofino/in-network.js';
import { packUpdates } from '../src/tofino/negotiation-packer.js';
import { layoutFlat } from '../src/tofino/path-layout.js';
import { DEFAULT_PCIE_TPS } from '../src/tofino/pcie.js';
import { Pipeline } from '../src/tofino/pipeline.js';
import { applyDirect, UpdateSet } from '../src/tofino/update-set.js';

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const destinations = opts.quick ? 1000 : 5000;
  const ports = 32;
  const dims = { destinations, ports, pbmGroups: 4, hiGroupSize: 8, hiPoolSize: 0, flatEntryBits: 32 };
  const pipeline = new Pipeline();
  const regs = layoutFlat(pipeline, dims, { spread: true });
  const updates = new UpdateSet(destinations * ports);
  let u = 0;
  for (const r of regs) for (let i = 0; i < r.size; i++, u++) updates.push(r.id, i, (49152 + (u % 16384)) | ((u & 1) << 16));
  const n = updates.length;

  const channel = new InNetworkChannel(pipeline, new VirtualClock());
  const frames = packUpdates(updates);
  const buffer = new Uint8Array(frames[0]!.buffer);
  const pristine = buffer.slice();
  const cpu = channel.options.cpuPort;

  // One full send, to state the model's figures for this update set.
  const modelPipe = new Pipeline();
  layoutFlat(modelPipe, dims, { spread: true });
  const modelled = new InNetworkChannel(modelPipe, new VirtualClock()).send(updates);

  const results = await measure([
    { name: 'tofino/direct-writes', perCall: n, fn: () => void applyDirect(pipeline, updates) },
    {
      name: 'tofino/packets-apply', perCall: n, baseline: 'tofino/direct-writes',
      fn: () => {
        buffer.set(pristine);
        for (const f of frames) channel.receive(f, cpu);
      },
    },
    {
      name: 'tofino/packets-pack+apply', perCall: n, baseline: 'tofino/direct-writes',
      fn: () => void channel.send(updates), // frame by frame through one reused buffer, as the CPU does
    },
  ], opts);
  const extra = {
    updates: n,
    registerArrays: regs.length,
    modelledPcieUpdatesPerSec: DEFAULT_PCIE_TPS,
    modelledInNetworkUpdatesPerSec: Math.round(n / modelled.seconds),
    modelledSpeedup: Math.round(n / DEFAULT_PCIE_TPS / modelled.seconds),
  };
  for (const r of results) {
    r.extra = { ...extra, measuredVsModelledPcie: Math.round(r.pps / DEFAULT_PCIE_TPS) };
  }
  return results;
}
