// Two small synthetic bench documents (what `npm run bench -- --json` writes), for the comparison,
// report and CLI tests: no timing. From old to new, encap/wasm/64B is 20% slower beyond both spreads,
// encap/ts/64B 5% faster within them, tables/flat/update 40% faster beyond them; encap/native/64B is
// unchanged, decap/wasm/64B only in the new run, parse+hash/wasm/64B only in the old one.
import type { BenchDocument } from '../../bench/compare.js';
import type { BenchResult } from '../../bench/harness.js';

const r = (name: string, pps: number, p10: number, p90: number, more: Partial<BenchResult> = {}): BenchResult =>
  ({ name, pps, p10, p90, samples: 100, rounds: 3, ...more });

const machine = { cpu: 'Test CPU <x>', cores: 2, node: 'v20.0.0', kernel: 'Linux 6.1' };

export const oldDoc: BenchDocument = {
  node: 'v20.0.0', date: '2026-12-01T00:00:00.000Z', quick: true, machine, options: { quick: true, rounds: 3, only: null },
  results: [
    r('encap/ts/64B', 10e6, 9e6, 11e6),
    r('encap/wasm/64B', 100e6, 95e6, 105e6, { ratio: 10, baseline: 'encap/ts/64B', vsNative: 0.4, native: 'encap/native/64B' }),
    r('encap/native/64B', 250e6, 240e6, 260e6),
    r('parse+hash/wasm/64B', 120e6, 110e6, 130e6),
    r('tables/flat/update', 5e5, 4.5e5, 5.5e5),
  ],
};

export const newDoc: BenchDocument = {
  node: 'v20.0.0', date: '2026-12-02T00:00:00.000Z', quick: true, machine, options: { quick: true, rounds: 3, only: null },
  results: [
    r('encap/ts/64B', 10.5e6, 9.5e6, 11.5e6),
    r('encap/wasm/64B', 80e6, 78e6, 82e6, { ratio: 80 / 10.5, baseline: 'encap/ts/64B', vsNative: 0.32, native: 'encap/native/64B' }),
    r('encap/native/64B', 250e6, 240e6, 260e6),
    r('decap/wasm/64B', 90e6, 85e6, 95e6),
    r('tables/flat/update', 7e5, 6.8e5, 7.2e5),
  ],
};
