// TableLookupBatch: hashes and peer indexes in, candidate indexes out, for the fast-path tables alone
// (no packets). Views over Wasm memory reserved at Datapath.create; no pointer leaves bindings/.

/** Where a lookup batch lives in Wasm memory; created by Datapath, never by users. */
export interface LookupRegion {
  readonly memory: WebAssembly.Memory;
  readonly hashes: number;
  readonly peers: number;
  readonly out: number;
  readonly capacity: number;
}

/**
 * Fast-path table lookups without packets: fill `hashes` and `peers` for `length` lookups, run
 * Datapath.lookup(), read the candidate index of each in `out`. Reserved with the table at
 * Datapath.create (Datapath.lookupBatch()); the views point into Wasm memory.
 */
export class TableLookupBatch {
  /** Most lookups per call (the Datapath's batchSize). */
  readonly capacity: number;
  /** Number of lookups to run (set it, then fill `hashes` and `peers` up to it). */
  length = 0;
  /** @internal */ readonly region: LookupRegion;
  #hashes: Uint32Array;
  #peers: Uint16Array;
  #out: Uint16Array;

  /** @internal */
  constructor(region: LookupRegion) {
    this.region = region;
    this.capacity = region.capacity;
    this.#hashes = new Uint32Array(region.memory.buffer, region.hashes, region.capacity);
    this.#peers = new Uint16Array(region.memory.buffer, region.peers, region.capacity);
    this.#out = new Uint16Array(region.memory.buffer, region.out, region.capacity);
  }

  #fresh(): void {
    // Memory never grows after set-up; this guards against a future change that would make it.
    if (this.#hashes.buffer !== this.region.memory.buffer) {
      const b = this.region.memory.buffer;
      this.#hashes = new Uint32Array(b, this.region.hashes, this.capacity);
      this.#peers = new Uint16Array(b, this.region.peers, this.capacity);
      this.#out = new Uint16Array(b, this.region.out, this.capacity);
    }
  }

  /** Input: the flow hash of lookup i (writable view). */
  get hashes(): Uint32Array { this.#fresh(); return this.#hashes; }
  /** Input: the peer index of lookup i (writable view). */
  get peers(): Uint16Array { this.#fresh(); return this.#peers; }
  /** Output: the candidate index of lookup i, 0xffff for a peer outside the tables (read-only by contract). */
  get out(): Uint16Array { this.#fresh(); return this.#out; }
}
