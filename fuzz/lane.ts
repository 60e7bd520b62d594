// A lane: one Datapath (global settings and, for four of them, a fast-path table) and its TS twin's
// state kept in the same configuration, peers and table contents changing between batches.
import { Datapath, DEFAULT_BATCH_SIZE, DEFAULT_SLOT_SIZE, formatIPv4, formatMac, type DatapathConfig } from '../bindings/index.js';
import { parseMac } from '../bindings/addr.js';
import { SlowPathTable, fastTableFor, type FastTable } from '../src/tables/index.js';
import { Prng, refState, withTable, type RefState } from '../src/reference/index.js';
import { GuardedBatch } from './guard.js';

export const PEERS = 8;
// The lanes leave batchSize and slotSize at the datapath's defaults.
export const BATCH = DEFAULT_BATCH_SIZE;
export const SLOT = DEFAULT_SLOT_SIZE;

/** The lanes' settings: edges of every global (MTU, TTL, DSCP, VNI filter, port, seed, range) and every table. */
export const LANE_CONFIGS: readonly (DatapathConfig & { name: string })[] = [
  { name: 'default', localIp: '10.0.0.1' },
  { name: 'default/mtu1400', localIp: '192.168.7.9', localMac: '0a:1b:2c:3d:4e:5f', hashSeed: 0xdeadbeef, mtu: 1400, ttl: 1, dscp: 46, decapVni: 42 },
  { name: 'flat', localIp: '172.16.0.254', table: 'flat', candidates: 16, hashSeed: 12345, mtu: 600, ttl: 255, dscp: 63, vxlanPort: 8472, portRange: { lo: 1000, hi: 1100 } },
  { name: 'pbm', localIp: '1.2.3.4', table: 'pbm', candidates: 64, pbmGroups: 3, pbmPrefSlots: 4, hashSeed: 0xffffffff, mtu: 100 },
  { name: 'hi', localIp: '10.9.8.7', table: 'hi', candidates: 32, hiGroupSize: 8, hiBlocks: 2, decapVni: 7 },
  { name: 'redirect', localIp: '10.0.0.2', table: 'redirect', candidates: 32, redirectSpread: 4, hashSeed: 7 },
];

export class Lane {
  readonly name: string;
  readonly dp: Datapath;
  readonly state: RefState;
  readonly guarded: GuardedBatch;
  readonly slow: SlowPathTable | undefined;
  readonly table: FastTable | undefined;
  /** Candidates per peer when a table fixes them, else 0 (any 1..64). */
  readonly fixedN: number;

  constructor(readonly config: DatapathConfig & { name: string }) {
    this.name = config.name;
    this.dp = Datapath.create({ ...config, batchSize: BATCH, slotSize: SLOT, maxPeers: PEERS, batches: 3 });
    this.state = refState(this.dp.config);
    this.guarded = new GuardedBatch(this.dp.batch(1));
    if (this.dp.tableGeometry !== undefined) {
      this.slow = new SlowPathTable();
      this.table = fastTableFor(this.dp, this.slow);
      this.fixedN = this.dp.config.candidates;
    } else this.fixedN = 0;
  }

  /** Configure (or remove, sometimes) peer k at random, in the Datapath, the twin and the table. */
  changePeer(r: Prng, k: number): void {
    if (r.int(0, 5) === 0) {
      this.dp.removePeer(k);
      this.state.peers[k] = undefined;
      this.slow?.removePeer(k);
      return;
    }
    const range = this.dp.config.portRange;
    const span = range.hi - range.lo + 1;
    const n = this.fixedN > 0 ? this.fixedN : Math.min(span, r.int(0, 1) === 0 ? [1, 2, 4, 8, 16, 32, 64][r.int(0, 6)]! : r.int(1, 64));
    const explicit = r.int(0, 2) === 0 ? Array.from({ length: n }, () => r.int(1, 0xffff)) : undefined;
    const mac = r.bytes(6);
    const vni = r.int(0, 1) === 0 ? 42 : r.int(0, 0xffffff);
    const peer = this.dp.setPeer(k, { remoteIp: formatIPv4(r.u32()), mac: formatMac(mac), vni, candidates: explicit });
    const ref = { remoteIp: peer.remoteIp, mac: parseMac(formatMac(mac)), vni: peer.vni, candidates: peer.candidates };
    const table = this.table;
    if (this.slow !== undefined && table !== undefined) {
      this.slow.addPeer(k, peer.candidates);
      const through = r.int(0, 7) !== 0; // sometimes back to the default choice
      this.dp.usePeerTable(k, through);
      this.state.peers[k] = through ? withTable(ref, { select: (h) => table.select(k, h) }) : ref;
    } else this.state.peers[k] = ref;
  }

  /** A few random health, group and rank changes in the slow path (mirrored into the Wasm table). */
  changeHealth(r: Prng, steps: number): void {
    const slow = this.slow;
    if (slow === undefined) return;
    const rows = [...slow.peers()];
    if (rows.length === 0) return;
    for (let s = 0; s < steps; s++) {
      const p = rows[r.int(0, rows.length - 1)]!;
      slow.setPort(p, r.int(0, this.fixedN - 1), { healthy: r.int(0, 2) !== 0, group: r.int(0, 3), failureFreeSince: r.int(0, 1000) });
    }
  }

  set ipId(v: number) { this.dp.ipId = v; this.state.ipId = v & 0xffff; }
}
