// Loads the Wasm core through @assemblyscript/loader. The only file that knows the export names.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instantiateSync } from '@assemblyscript/loader';

/** The flat exports of assembly/index.ts (addresses are plain numbers and never leave bindings/). */
export interface CoreExports {
  memory: WebAssembly.Memory;
  reserve(bytes: number): number;
  setLocal(ip: number, macHi: number, macLo: number): void;
  setOuter(ttl: number, tos: number, port: number, mtu: number): void;
  setSeed(seed: number): void;
  setVniFilter(vni: number): void;
  initPeers(n: number): number;
  setPeer(i: number, ip: number, macHi: number, macLo: number, vni: number, ncand: number): number;
  setCandidate(i: number, k: number, port: number): number;
  clearPeer(i: number): void;
  encapBatch(desc: number, arena: number, count: number, slotSize: number): number;
  decapBatch(desc: number, arena: number, count: number, slotSize: number): number;
  hashBatch(desc: number, arena: number, count: number, slotSize: number): number;
  setIpId(v: number): void;
  getIpId(): number;
  initTables(kind: number, peers: number, n: number, groups: number, pbmPrefSlots: number, hiShift: number, hiBlocks: number): number;
  tableWrite(array: number, index: number, value: number): number;
  tableRead(array: number, index: number): number;
  tableReservedBytes(): number;
  setPeerTable(i: number, kind: number): number;
  lookupBatch(hashes: number, peers: number, out: number, count: number): number;
  sipSetKey(w0: number, w1: number, w2: number, w3: number): void;
  sipHashBatch(desc: number, arena: number, arenaBytes: number, out: number, count: number): number;
  coreImage(out: number): void;
  pcapIngest(ctl: number, input: number, inputLen: number, eof: number, desc: number, arena: number, capacity: number, slotSize: number, ts: number): number;
  pcapEmit(ctl: number, desc: number, arena: number, count: number, slotSize: number, ts: number, from: number, out: number, outCap: number, ports: number): number;
  tcpRetransmits(desc: number, arena: number, count: number, slotSize: number, marks: number, table: number, mask: number, now: number, stallMs: number): number;
  replayKeys(desc: number, arena: number, count: number, slotSize: number, ts: number, t0Sec: number, t0Nsec: number, memo: number, memoMask: number, keys: number): number;
  replayMemoInsert(memo: number, memoMask: number, keys: number, count: number): number;
  replayRetemplate(i: number, localIp: number): number;
  replayScanCount(keys: number, desc: number, count: number, flows: number, flowCap: number, todo: number, spill: number, ctl: number): number;
  replayEncapPlan(keys: number, desc: number, count: number, flows: number, flowCap: number, forced: number, forcedCap: number,
    srcOut: number, todo: number, runs: number, ctl: number): number;
}

let compiled: WebAssembly.Module | undefined;

/** Path of the built module: build/zooroute.wasm at the package root, from source or from dist/. */
export function wasmPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const p = join(dir, 'build', 'zooroute.wasm');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error('build/zooroute.wasm not found: run `npm run build` (npm install does it)');
}

/** A fresh instance of the core, with its own linear memory. */
export function instantiateCore(): CoreExports {
  compiled ??= new WebAssembly.Module(readFileSync(wasmPath()));
  const { exports } = instantiateSync<Record<string, unknown>>(compiled, {
    env: {
      abort(_msg: number, _file: number, line: number, col: number): never {
        throw new Error(`zooroute wasm abort at ${line}:${col}`);
      },
    },
  });
  return exports as unknown as CoreExports;
}
