// The native twins (bench/native/zr_bench.c), built at bench time by node-gyp into build/bench-native/
// and loaded as a Node-API addon. Optional: without a compiler (or node-gyp, or Node's headers) the
// suite runs without native rows and says why.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreImage, type Datapath } from '../bindings/datapath.js';

/** The addon's functions: the same flat kernels as the Wasm core, on the core's memory. */
export interface NativeKernels {
  setImage(buffer: ArrayBuffer, words: Uint32Array): void;
  encapBatch(desc: number, arena: number, count: number, slotSize: number): number;
  decapBatch(desc: number, arena: number, count: number, slotSize: number): number;
  hashBatch(desc: number, arena: number, count: number, slotSize: number): number;
  setIpId(v: number): void;
  getIpId(): number;
}

export type NativeLoad = { kernels: NativeKernels; cflags: string } | { skipped: string };

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(root, 'bench', 'native');
const OUT = join(root, 'build', 'bench-native');
const SOURCES = ['binding.gyp', 'zr_bench.c'];
/** The C flags of bench/native/binding.gyp, reported with the native rows. */
export const NATIVE_CFLAGS = '-O3 (gcc via node-gyp, no -march)';

function which(cmd: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); return true; } catch { return false; }
}

let loaded: NativeLoad | undefined;

/** Build (when a source is newer than the addon) and load the native twins, or say why not. */
export function loadNative(): NativeLoad {
  if (loaded) return loaded;
  const addon = join(OUT, 'build', 'Release', 'zr_bench.node');
  try {
    const stale = !existsSync(addon) || SOURCES.some((f) => statSync(join(SRC, f)).mtimeMs > statSync(addon).mtimeMs);
    if (stale) {
      if (!which('cc') && !which('gcc')) return (loaded = { skipped: 'no C compiler (cc/gcc) on PATH' });
      const gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
      if (!existsSync(gyp)) return (loaded = { skipped: 'node-gyp is not installed (npm install)' });
      mkdirSync(OUT, { recursive: true });
      for (const f of SOURCES) copyFileSync(join(SRC, f), join(OUT, f));
      const args = [gyp, 'rebuild', '--silent'];
      // Debian's nodejs ships the headers under /usr/include/node: no download needed.
      const nodeDir = join(process.execPath, '..', '..');
      if (existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
      execFileSync(process.execPath, args, { cwd: OUT, stdio: ['ignore', 'ignore', 'pipe'] });
    }
    const kernels = createRequire(import.meta.url)(addon) as NativeKernels;
    return (loaded = { kernels, cflags: NATIVE_CFLAGS });
  } catch (e) {
    const err = e as Error & { stderr?: Buffer };
    const why = err.stderr?.toString().trim().split('\n').slice(-3).join(' ') || err.message.split('\n')[0];
    return (loaded = { skipped: `native build failed: ${why}` });
  }
}

/** Point the twins at dp's memory and tables, and give them dp's next IPv4 identification. */
export function attach(k: NativeKernels, dp: Datapath): void {
  const img = coreImage(dp);
  k.setImage(img.memory.buffer, img.words);
}
