// The fuzzer's rig checks (fuzz/rig.ts: checkCall) catch what they are for: calls standing in for a
// kernel that write one byte past their region, read a byte they may not, disagree with their twin by
// one byte or one result, or throw, are each counted as such, and a faithful call passes all four
// checks and leaves the twin's state in the window.
import t from 'tap';
import { checkCall, Rig, type KernelCall } from '../fuzz/rig.js';
import { Prng } from '../src/reference/index.js';

const rig = new Rig({ src: 64, dst: 64, state: 16 });
const g = rig.regions;
const r = new Prng(7);

/**
 * A copy kernel: dst[0, n) = src[0, n) + state[0]; state[0]++. `bug` makes the Wasm side wrong in one
 * way; the twin is always right.
 */
function copyCall(n: number, bug?: 'write-past' | 'read-past' | 'byte' | 'result' | 'throw'): KernelCall {
  const run = (m: Uint8Array, base: number, wasm: boolean): number => {
    const src = g.src.at - base, dst = g.dst.at - base, st = g.state.at - base;
    const add = m[st]!;
    for (let k = 0; k < n; k++) m[dst + k] = (m[src + k]! + add) & 255;
    m[st] = (add + 1) & 255;
    if (!wasm) return n;
    if (bug === 'write-past') m[dst + g.dst.bytes] = m[dst + g.dst.bytes]! ^ 1;
    // Uses a byte beyond the n it may read (in a way that cancels out while that byte is what the test wrote).
    if (bug === 'read-past') m[dst] = (m[dst]! + m[src + n]! - ((n * 7) & 255)) & 255;
    if (bug === 'byte') m[dst + n - 1] ^= 0x80;
    if (bug === 'throw') throw new Error('unreachable executed');
    return bug === 'result' ? n + 1 : n;
  };
  return {
    wasm: () => run(rig.mem, 0, true),
    twin: (m) => run(m, rig.lo, false),
    guards: [[g.dst.at + n, g.dst.at + g.dst.bytes]],
    hide: (v) => { rig.mem.fill(v, g.src.at + n, g.src.at + g.src.bytes); rig.mem.fill(v, g.dst.at, g.dst.at + g.dst.bytes); },
    outputs: () => [[g.dst.at, g.dst.at + n], [g.state.at, g.state.at + 1]],
  };
}

t.test('a faithful call passes every check and leaves the twin state', async (t) => {
  rig.view('src').set(Array.from({ length: 64 }, (_, k) => k));
  rig.view('state').fill(0);
  for (let k = 0; k < 3; k++) {
    const o = checkCall(rig, r, copyCall(40));
    t.same([o.trap, o.disagreement, o.oobWrite, o.oobRead], [false, false, false, false], o.why.join('; ') || `call ${k} clean`);
    t.equal(o.result, 40);
  }
  t.equal(rig.view('state')[0], 3, 'state carried from call to call');
  t.equal(rig.view('dst')[39], 39 + 2, 'outputs of the last call');
});

t.test('each kind of fault is caught as itself', async (t) => {
  const cases = [
    ['write-past', 'oobWrite'], ['read-past', 'oobRead'], ['byte', 'disagreement'], ['result', 'disagreement'], ['throw', 'trap'],
  ] as const;
  for (const [bug, field] of cases) {
    rig.view('src').set(Array.from({ length: 64 }, (_, k) => (k * 7) & 255));
    const o = checkCall(rig, r, copyCall(40, bug));
    t.ok(o[field], `${bug}: ${field} (${o.why.join('; ')})`);
    const others = (['trap', 'disagreement', 'oobWrite', 'oobRead'] as const).filter((f) => f !== field && o[f]);
    t.same(others, [], `${bug}: nothing else`);
  }
});

t.test('a write into a gap between regions is out of bounds', async (t) => {
  const call = copyCall(8);
  const o = checkCall(rig, r, { ...call, wasm: () => { const n = call.wasm(); rig.mem[g.src.at - 1] ^= 0xff; return n; } });
  t.ok(o.oobWrite, o.why.join('; '));
});
