// Each flow's last outer source port, so a Vtep can tell when a flow switched paths.

/** Flows remembered; the map is cleared when it grows past this (a switch is then missed, never invented). */
const MAX_TRACKED_FLOWS = 65536;

/** (peer row, inner flow hash) -> the outer source port the flow last used. */
export class FlowPorts {
  readonly #port = new Map<number, number>();

  /** The flow now uses `sport`: returns the port it used before when that differs, else -1. */
  note(row: number, hash: number, sport: number): number {
    const key = row * 4294967296 + hash;
    const before = this.#port.get(key);
    if (before === sport) return -1;
    if (this.#port.size >= MAX_TRACKED_FLOWS) this.#port.clear();
    this.#port.set(key, sport);
    return before === undefined ? -1 : before;
  }
}
