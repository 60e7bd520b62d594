// Which VTEP serves an inner address (docs/replay.md, "Mapping"): a map file's entry first (longest
// IPv4 prefix, or an exact IPv6 address), then the scenario VTEP whose `inner` prefixes serve it
// (longest prefix), else a hash of the address over the scenario's host VTEPs. Answers are cached, so
// the per-packet cost is one Map lookup.
import { readInputText } from '../read-input.js';
import { jhash2 } from '../../bindings/jhash.js';
import { parseIPv4 } from '../../bindings/addr.js';
import type { World } from '../sim/index.js';
import { ADDR_IPV4, ADDR_IPV6 } from './inner-address.js';

/** A map file, parsed: IPv4 prefixes and folded IPv6 addresses to VTEP indexes. */
export interface VtepMapFile {
  v4: Array<{ net: number; len: number; vtep: number }>;
  v6: Map<number, number>;
}

/** A map file that cannot be used; the message names the entry. */
export class MapFileError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'MapFileError';
  }
}

const maskOf = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);

/** Parse an IPv6 address (with ::) into 16 bytes; undefined when it is not one. */
export function parseIPv6(s: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(s) || s.split('::').length > 2) return undefined;
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  if (fill < 0 || (tail === undefined && h.length !== 8) || (tail !== undefined && fill < 1)) return undefined;
  const groups = [...h, ...new Array<string>(fill).fill('0'), ...t];
  if (groups.some((g) => g.length < 1 || g.length > 4)) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { const v = parseInt(g, 16); out[2 * i] = v >> 8; out[2 * i + 1] = v & 255; });
  return out;
}

/** The 32-bit fold replay keys IPv6 addresses by (xor of the four words). */
export function foldIPv6(b: Uint8Array): number {
  let x = 0;
  for (let w = 0; w < 4; w++) x ^= ((b[4 * w] << 24) | (b[4 * w + 1] << 16) | (b[4 * w + 2] << 8) | b[4 * w + 3]) >>> 0;
  return x >>> 0;
}

/**
 * Read a map file: `{"inner": {"192.168.10.0/24": "vtep-name", "fd00:10::21": "other-vtep"}}`. Every key
 * is an IPv4 address or prefix, or an IPv6 address; every value a VTEP name of the scenario.
 */
export function loadMapFile(file: string, world: World): VtepMapFile {
  let json: unknown;
  const text = readInputText(file);
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MapFileError(file, `not JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const inner = (json as { inner?: unknown } | null)?.inner;
  if (inner === undefined && typeof json === 'object' && json !== null && 'topology' in json) {
    throw new MapFileError(file, 'a scenario, not a VTEP map: give it as --scenario');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
    throw new MapFileError(file, 'expected {"inner": {"<address or prefix>": "<vtep name>", ...}}');
  }
  for (const k of Object.keys(json)) if (k !== 'inner' && k !== '$comment') throw new MapFileError(file, `${k}: unknown field`);
  const byName = new Map(world.vteps.map((v) => [v.name, v.index]));
  const out: VtepMapFile = { v4: [], v6: new Map() };
  for (const [key, name] of Object.entries(inner as Record<string, unknown>)) {
    const vtep = typeof name === 'string' ? byName.get(name) : undefined;
    if (vtep === undefined) throw new MapFileError(file, `inner.${key}: ${JSON.stringify(name)} is not a VTEP of the scenario`);
    const v6 = parseIPv6(key);
    if (v6) { out.v6.set(foldIPv6(v6), vtep); continue; }
    const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d|[12]\d|3[0-2]))?$/.exec(key);
    let net: number;
    try {
      if (!m) throw new RangeError('bad');
      net = parseIPv4(m[1]);
    } catch {
      throw new MapFileError(file, `inner.${key}: not an IPv4 address or prefix, nor an IPv6 address`);
    }
    const len = m[2] === undefined ? 32 : Number(m[2]);
    out.v4.push({ net: (net & maskOf(len)) >>> 0, len, vtep });
  }
  out.v4.sort((a, b) => b.len - a.len);
  return out;
}

const FAST_SLOTS = 256;

export class VtepMapper {
  readonly #world: World;
  readonly #map: VtepMapFile | undefined;
  /** VTEPs the hash fallback spreads over: the host VTEPs (every VTEP when there is none). */
  readonly #pool: number[];
  readonly #cache4 = new Map<number, number>();
  readonly #cacheOther = new Map<number, number>();
  readonly #fastAddr = new Uint32Array(FAST_SLOTS);
  readonly #fastFamily = new Uint8Array(FAST_SLOTS);
  readonly #fastVtep = new Int32Array(FAST_SLOTS).fill(-1);
  /** Addresses placed by the hash fallback (no map entry, no serving VTEP). */
  hashed = 0;

  constructor(world: World, map?: VtepMapFile) {
    this.#world = world;
    this.#map = map;
    const hosts = world.vteps.filter((v) => v.role === 'host').map((v) => v.index);
    this.#pool = hosts.length > 0 ? hosts : world.vteps.map((v) => v.index);
  }

  /** VTEP index serving `addr` of `family` (ADDR_IPV4 keys are real addresses, others folds). */
  vtepOf(family: number, addr: number): number {
    // A small direct-mapped cache in front of the Maps: most frames repeat recent addresses.
    const slot = (Math.imul(addr ^ family, 0x9e3779b1) >>> 24) & (FAST_SLOTS - 1);
    if (this.#fastVtep[slot] >= 0 && this.#fastAddr[slot] === addr >>> 0 && this.#fastFamily[slot] === family) return this.#fastVtep[slot];
    const v = this.#slowVtepOf(family, addr);
    this.#fastAddr[slot] = addr; this.#fastFamily[slot] = family; this.#fastVtep[slot] = v;
    return v;
  }

  #slowVtepOf(family: number, addr: number): number {
    const cache = family === ADDR_IPV4 ? this.#cache4 : this.#cacheOther;
    const key = family === ADDR_IPV4 ? addr : (addr * 8 + family);
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const v = this.#resolve(family, addr);
    cache.set(key, v);
    return v;
  }

  #resolve(family: number, addr: number): number {
    const m = this.#map;
    if (m && family === ADDR_IPV4) {
      for (const e of m.v4) if (((addr & maskOf(e.len)) >>> 0) === e.net) return e.vtep;
    }
    if (m && family === ADDR_IPV6) {
      const v = m.v6.get(addr);
      if (v !== undefined) return v;
    }
    if (family === ADDR_IPV4) {
      let best = -1, bestLen = -1;
      for (const v of this.#world.vteps) {
        for (const [net, len] of v.inner) {
          if (len > bestLen && ((addr & maskOf(len)) >>> 0) === net) { best = v.index; bestLen = len; }
        }
      }
      if (best >= 0) return best;
    }
    this.hashed++;
    return this.#pool[jhash2([addr >>> 0, family], 0x7e9) % this.#pool.length];
  }
}
