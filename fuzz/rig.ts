// A rig: a Wasm core of its own whose memory holds the named regions one kernel called with raw
// addresses works on (the pcap record kernels, tcpRetransmits), each region between two guard gaps of
// GUARD_BYTES. Kernels with such signatures take any addresses, so the fuzzer lays them out itself:
// every byte around and between the regions is a canary (a region the core reserves itself, like its
// peer table, is placed the same way), and the whole window [lo, hi) (gaps and
// regions) is what the TS twin runs on, as a copy with every address moved by -lo.
//
// checkCall() runs one kernel call the way fuzz/engine.ts checks the packet kernels:
//   - trap: the Wasm call threw;
//   - out-of-bounds write: a canary changed (the gaps, and ranges the call names, e.g. descriptors
//     beyond the batch's count);
//   - disagreement: the result, or any byte of any region, differs from the twin's;
//   - out-of-bounds read: the call is run again on the same inputs with every byte it may not read
//     refilled with other values; its result or any of its outputs changing means it read (and used)
//     such a byte.
// Afterwards the window holds the twin's state, so that state kept across calls (counters, the flow
// table) goes on from the reference even after a disagreement.
import { instantiateCore, type CoreExports } from '../bindings/module.js';
import type { Prng } from '../src/reference/index.js';
import { GUARD_BYTES } from './guard.js';

/** One region of a rig: its address in the core's memory and its size. */
export interface Region { at: number; bytes: number }

export class Rig<N extends string> {
  readonly core: CoreExports;
  /** All of the core's memory (it never grows after set-up: views stay valid). */
  readonly mem: Uint8Array;
  readonly lo: number;
  readonly hi: number;
  readonly regions: Readonly<Record<N, Region>>;
  readonly #gaps: [number, number][] = [];
  #armed: [number, number][] = [];
  #pattern = new Uint8Array(0);
  /** checkCall()'s two window copies, reused from call to call (no garbage per call). */
  readonly pre: Uint8Array;
  readonly twinCopy: Uint8Array;

  /**
   * `reservers`: regions the core reserves itself (e.g. its peer table, by initPeers), given as a
   * function that reserves `bytes` at the core's next free address and returns it (0 on failure).
   */
  constructor(sizes: Readonly<Record<N, number>>, reservers: Partial<Record<N, (core: CoreExports, bytes: number) => number>> = {}) {
    const c = instantiateCore();
    this.core = c;
    const need = (a: number): number => { if (a === 0) throw new Error('cannot reserve Wasm memory for a fuzz rig'); return a; };
    const lo = need(c.reserve(GUARD_BYTES));
    const regions = {} as Record<N, Region>;
    let gapFrom = lo;
    for (const name of Object.keys(sizes) as N[]) {
      const bytes = sizes[name];
      const at = need(reservers[name]?.(c, bytes) ?? c.reserve(bytes));
      this.#gaps.push([gapFrom, at]);
      regions[name] = { at, bytes };
      gapFrom = at + bytes; // the region's alignment padding is guard too
      need(c.reserve(GUARD_BYTES));
    }
    const hi = need(c.reserve(0));
    this.#gaps.push([gapFrom, hi]);
    this.lo = lo;
    this.hi = hi;
    this.regions = regions;
    this.mem = new Uint8Array(c.memory.buffer);
    this.pre = new Uint8Array(hi - lo);
    this.twinCopy = new Uint8Array(hi - lo);
  }

  /** The bytes of region `name`. */
  view(name: N): Uint8Array { const g = this.regions[name]; return this.mem.subarray(g.at, g.at + g.bytes); }
  /** Address of region `name` in a window copy (what the twin is given). */
  rel(name: N): number { return this.regions[name].at - this.lo; }
  /** Copy the window as it stands into `into` (a window-sized buffer). */
  snapshot(into: Uint8Array): Uint8Array { into.set(this.mem.subarray(this.lo, this.hi)); return into; }
  restore(copy: Uint8Array): void { this.mem.set(copy, this.lo); }

  /** Fresh canaries in every gap and in `extra` (absolute [from, to) ranges inside regions). */
  arm(r: Prng, extra: readonly [number, number][] = []): void {
    this.#armed = extra.length === 0 ? this.#gaps : [...this.#gaps, ...extra.filter(([a, b]) => b > a)];
    let longest = 0;
    for (const [a, b] of this.#armed) longest = Math.max(longest, b - a);
    if (this.#pattern.length < longest) this.#pattern = new Uint8Array(longest);
    // A random word repeated with a random phase (as in guard.ts): cheap, never constant.
    const p = this.#pattern, w = r.u32();
    for (let k = 0; k < Math.min(8, longest); k++) p[k] = (w >>> ((k & 3) * 8)) ^ (k * 0x3b);
    for (let have = 8; have < longest; have *= 2) p.copyWithin(have, 0, Math.min(have, longest - have));
    for (const [a, b] of this.#armed) this.mem.set(p.subarray(0, b - a), a);
  }

  /** Canary bytes changed since arm(). */
  check(): number {
    let bad = 0;
    const p = this.#pattern;
    for (const [a, b] of this.#armed) {
      const v = this.mem.subarray(a, b);
      if (Buffer.compare(v, p.subarray(0, b - a)) === 0) continue;
      for (let k = 0; k < v.length; k++) if (v[k] !== p[k]) bad++;
    }
    return bad;
  }

  /** Names of the regions whose bytes differ between memory and the window copy. */
  differing(copy: Uint8Array): N[] {
    const out: N[] = [];
    for (const name of Object.keys(this.regions) as N[]) {
      const g = this.regions[name];
      if (Buffer.compare(this.mem.subarray(g.at, g.at + g.bytes), copy.subarray(g.at - this.lo, g.at - this.lo + g.bytes)) !== 0) out.push(name);
    }
    return out;
  }
}

/** One kernel call, as checkCall() needs it. Addresses in `outputs`, `guards` and `hide` are absolute. */
export interface KernelCall {
  /** The Wasm call. */
  wasm(): number;
  /** The twin's call on a copy of the window (addresses relative to the rig's lo). */
  twin(copy: Uint8Array): number;
  /** Ranges inside regions the call must not write (canaries as well as the gaps). */
  guards: readonly [number, number][];
  /** Fill every byte of the regions the call may not read (outside `guards`) with `v`. */
  hide(v: number): void;
  /** Ranges holding what the call wrote, compared between the second run and the twin. */
  outputs(twinCopy: Uint8Array): readonly [number, number][];
}

export interface CallOutcome {
  /** The Wasm call's result (the twin's, after a trap). */
  result: number;
  trap: boolean;
  disagreement: boolean;
  oobWrite: boolean;
  oobRead: boolean;
  /** What went wrong, for the report. */
  why: string[];
  /** The twin's window after the call (what the window holds now; valid until the rig's next call). */
  twinCopy: Uint8Array;
}

/** Per-kernel fault counts of the raw-address rigs (records.ts, replay.ts, retransmits.ts). */
export interface CallTally { traps: number; disagreements: number; oobReads: number; oobWrites: number }

/** Add a call's outcome into `t` and report what went wrong as `label: ...`; false after a trap (the caller rebuilds its rig). */
export function tallyOutcome(o: CallOutcome, t: CallTally, label: string, fail: (m: string) => void): boolean {
  if (o.trap) t.traps++;
  if (o.disagreement) t.disagreements++;
  if (o.oobWrite) t.oobWrites++;
  if (o.oobRead) t.oobReads++;
  if (o.why.length > 0) fail(`${label}: ${o.why.join('; ')}`);
  return !o.trap;
}

/** Run `call` in Wasm and in the twin; compare everything; run it again with the unreadable bytes changed. */
export function checkCall<N extends string>(rig: Rig<N>, r: Prng, call: KernelCall): CallOutcome {
  rig.arm(r, call.guards);
  const pre = rig.snapshot(rig.pre);
  const twinCopy = rig.twinCopy;
  twinCopy.set(pre);
  const out: CallOutcome = { result: -1, trap: false, disagreement: false, oobWrite: false, oobRead: false, why: [], twinCopy };
  let ref = -1, twinError: string | undefined;
  try { ref = call.twin(twinCopy); } catch (e) { twinError = (e as Error).message; }
  let wasm: number;
  try { wasm = call.wasm(); } catch (e) {
    out.trap = true; out.result = ref; out.why.push(`trapped: ${(e as Error).message}`);
    rig.restore(twinError === undefined ? twinCopy : pre);
    return out;
  }
  out.result = wasm;
  const w1 = rig.check();
  if (w1 > 0) { out.oobWrite = true; out.why.push(`${w1} canary bytes overwritten`); }
  if (twinError !== undefined) { out.disagreement = true; out.why.push(`twin threw: ${twinError}`); return out; }
  const regions = rig.differing(twinCopy);
  if (wasm !== ref || regions.length > 0) {
    out.disagreement = true;
    out.why.push(`result wasm ${wasm} twin ${ref}${regions.length > 0 ? `; bytes differ in ${regions.join(', ')}` : ''}`);
  }
  if (!out.disagreement && !out.oobWrite) {
    // Again, with every byte it may not read changed (the canaries re-armed with another pattern).
    rig.restore(pre);
    call.hide(1 + (r.u32() % 255));
    rig.arm(r, call.guards);
    let again: number | undefined;
    try { again = call.wasm(); } catch (e) { out.trap = true; out.why.push(`trapped on the second run: ${(e as Error).message}`); }
    if (again !== undefined) {
      const w2 = rig.check();
      if (w2 > 0) { out.oobWrite = true; out.why.push(`${w2} canary bytes overwritten (second run)`); }
      let same = again === ref;
      for (const [a, b] of call.outputs(twinCopy)) {
        if (!same) break;
        if (b > a && Buffer.compare(rig.mem.subarray(a, b), twinCopy.subarray(a - rig.lo, b - rig.lo)) !== 0) same = false;
      }
      if (!same) { out.oobRead = true; out.why.push('the result depends on bytes the call may not read'); }
    }
  }
  rig.restore(twinCopy);
  return out;
}
