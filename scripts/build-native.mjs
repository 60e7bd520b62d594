#!/usr/bin/env node
// Builds the optional AF_PACKET addon (native/afpacket, docs/io.md) with node-gyp. Run by `npm install`
// (the package's install script) and by .ci/run. It never fails an install: where the addon cannot be
// built (not Linux, no compiler, no node-gyp, no Node headers) it prints ONE line and live I/O uses
// the `cap` addon instead. `--require` (CI) turns that line into a failure.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'native', 'afpacket');
const required = process.argv.includes('--require');

function fallBack(why) {
  const line = `zooroute: AF_PACKET addon not built (${why}); live capture and the agent fall back to cap (--io cap)`;
  if (required) { console.error(line); process.exit(1); }
  console.warn(line);
  process.exit(0);
}

const has = (cmd) => { try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); return true; } catch { return false; } };

if (process.platform !== 'linux') fallBack(`AF_PACKET is Linux only, this is ${process.platform}`);
if (!existsSync(join(dir, 'binding.gyp'))) fallBack('native/afpacket is not in this package');
if (!has('cc') && !has('gcc')) fallBack('no C compiler (cc/gcc) on PATH');
if (!has('make')) fallBack('no make on PATH');
// node-gyp: the project's own (a dev dependency's), else the one npm runs install scripts with.
const gyp = [join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), process.env.npm_config_node_gyp].find((p) => p && existsSync(p));
if (gyp === undefined) fallBack('node-gyp not found');
const args = [gyp, 'rebuild', '--silent'];
// Debian's nodejs ships Node's headers under /usr/include/node: no download needed.
const nodeDir = join(process.execPath, '..', '..');
if (existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
try {
  execFileSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
} catch (e) {
  const why = e.stderr?.toString().trim().split('\n').filter((l) => /error/i.test(l)).slice(-2).join(' ') || String(e.message).split('\n')[0];
  fallBack(`node-gyp failed: ${why.slice(0, 300)}`);
}
if (!existsSync(join(dir, 'build', 'Release', 'zr_afpacket.node'))) fallBack('node-gyp produced no zr_afpacket.node');
