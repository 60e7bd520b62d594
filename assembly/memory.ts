// Linear-memory reservations. Everything the datapath uses is reserved once, at set-up, so that the
// views JS holds on memory.buffer stay valid: nothing grows memory after set-up.

let top: usize = 0;

/** Reserve `bytes` (64-byte aligned) and return its address, or 0 when memory cannot grow. */
export function reserve(bytes: u32): usize {
  if (top == 0) top = (__heap_base + 63) & ~(<usize>63);
  const start = top;
  const end = (start + <usize>bytes + 63) & ~(<usize>63);
  if (end < start) return 0;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  memory.fill(start, 0, end - start);
  top = end;
  return start;
}
