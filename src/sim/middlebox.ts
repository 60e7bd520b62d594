// A stateful middlebox service (an SLB or NAT cluster): instances behind a hash of the outer 5-tuple.
// Each instance has its own MAC (written as BackendID into probe requests passing through it) and its
// own session table keyed by (outer src IP, outer src port, inner dst IP, inner dst port). A flow whose
// packets land on another instance than the one holding its session is reset there.
import { jhash2 } from '../../bindings/jhash.js';
import { mix32 } from './prng.js';
import { VXLAN_PORT } from '../../bindings/defaults.js';

/**
 * What a middlebox instance keys a session by: the outer source (VTEP address, source port) and the
 * inner destination. A new outer source port is a new key, so a moved flow loses its session unless
 * the new port hashes to the same instance.
 */
export interface SessionKey {
  /** Outer source address (the sending VTEP), unsigned 32-bit. */
  outerSrc: number;
  /** Outer UDP source port: the one the mode chose. */
  outerSport: number;
  /** Inner destination address and port. */
  innerDst: number;
  innerDport: number;
}

/**
 * A stateful middlebox service (SLB or NAT cluster) behind one VTEP: instances chosen by a hash of the
 * outer 5-tuple, each with its own session table. It counts the sessions a port change moves and those
 * it resets, which is the cost middlebox sensing exists to avoid.
 */
export class Middlebox {
  /** Each instance's MAC, written as BackendID into probe requests passing through it. */
  readonly macs: Uint8Array[];
  /** Per instance: session key -> flow id. */
  private readonly tables: Map<string, number>[];
  /** Flow id -> instance holding its session, and its key there. */
  private readonly owner = new Map<number, { instance: number; key: string }>();
  /** Sessions whose outer source port changed (moved), and those of them that landed on another instance. */
  moves = 0;
  resets = 0;

  /**
   * @param ip - underlay address of the VTEP fronting the service
   * @param instances - how many instances share its traffic
   * @param seed - the scenario seed (with `ip`, seeds the instance hash)
   */
  constructor(readonly ip: number, readonly instances: number, seed: number) {
    this.seed = mix32((seed ^ ip) >>> 0);
    this.macs = Array.from({ length: instances }, (_, i) => Uint8Array.of(0x02, 0x4d, 0x42, (ip >>> 8) & 255, ip & 255, i));
    this.tables = Array.from({ length: instances }, () => new Map());
  }

  private readonly seed: number;

  /** The instance the outer 5-tuple hashes to. */
  instanceFor(outerSrc: number, outerSport: number): number {
    return jhash2([outerSrc >>> 0, this.ip >>> 0, ((outerSport << 16) | VXLAN_PORT) >>> 0, 17], this.seed) % this.instances;
  }

  /**
   * A flow's packets arrive with this outer source. Returns true when that resets the flow's session
   * (it had one on another instance).
   */
  onData(flow: number, s: SessionKey): boolean {
    const inst = this.instanceFor(s.outerSrc, s.outerSport);
    const key = `${s.outerSrc}:${s.outerSport}:${s.innerDst}:${s.innerDport}`;
    const prev = this.owner.get(flow);
    if (prev && prev.instance === inst && prev.key === key) return false;
    if (prev) {
      this.tables[prev.instance].delete(prev.key);
      this.moves++;
    }
    this.tables[inst].set(key, flow);
    this.owner.set(flow, { instance: inst, key });
    if (prev && prev.instance !== inst) {
      this.resets++;
      return true;
    }
    return false;
  }

  /** Source-port learning: the outer source ports to watch per source VTEP, from the session tables. */
  watchedPorts(): Map<number, Set<number>> {
    const m = new Map<number, Set<number>>();
    for (const t of this.tables) {
      for (const key of t.keys()) {
        const [src, sport] = key.split(':').map(Number);
        let s = m.get(src);
        if (!s) m.set(src, (s = new Set()));
        s.add(sport);
      }
    }
    return m;
  }
}
