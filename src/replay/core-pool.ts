// Replay cores kept between replays in one process. A fresh core (Datapath with a record arena, plus
// the memo) is about 7 MB of Wasm memory that set-up zeroes, and so faults in, page by page: about 4 ms
// a replay before any frame is read, and a Wasm memory for the garbage collector to reclaim after.
// A replay takes an idle core made with the same configuration, reset (ReplayCore.reset()), and gives
// it back when both passes are done; a replay that fails drops its core rather than return it.
import { Datapath, type DatapathConfig } from '../../bindings/index.js';
import { ReplayCore } from '../../bindings/replay-core.js';

/** Idle cores kept at most (each holds its Wasm memory, about 7 MB with replay's geometry). */
const MAX_IDLE = 2;

/** Idle cores, most recently given back last, with the configuration key each was made with. */
const idle: { key: string; core: ReplayCore }[] = [];
/** The key of every core handed out by takeReplayCore(), until it is given back. */
const lent = new WeakMap<ReplayCore, string>();

function keyOf(config: DatapathConfig, memoSlots: number): string {
  return JSON.stringify([config, memoSlots]);
}

/**
 * A replay core for `config` and `memoSlots`: an idle one made with the same configuration (reset),
 * else a new one. It is the caller's alone until given back with giveBackReplayCore().
 */
export function takeReplayCore(config: DatapathConfig, memoSlots: number): ReplayCore {
  const key = keyOf(config, memoSlots);
  let at = idle.length - 1;
  while (at >= 0 && idle[at].key !== key) at--;
  let core: ReplayCore;
  if (at >= 0) {
    core = idle.splice(at, 1)[0].core;
    core.reset();
  } else {
    core = new ReplayCore(Datapath.create(config), memoSlots);
  }
  lent.set(core, key);
  return core;
}

/** Give back a core from takeReplayCore() once nothing uses it any more (a second give-back does nothing). */
export function giveBackReplayCore(core: ReplayCore): void {
  const key = lent.get(core);
  if (key === undefined) return;
  lent.delete(core);
  idle.push({ key, core });
  if (idle.length > MAX_IDLE) idle.shift();
}
