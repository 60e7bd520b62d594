// The agent is an embedder like any other: every module it imports from outside src/agent/ is one of
// the package's public entry points (package.json "exports"), so there is one way to embed and we use it.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const agentDir = join(root, 'src', 'agent');

/** Source files of the public entry points, from the exports map (dist/X.js <- X.ts). */
function publicEntries(): Set<string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { default: string }> };
  return new Set(Object.values(pkg.exports).map((e) => resolve(root, e.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'))));
}

t.test('src/agent imports only the public API', async (t) => {
  const allowed = publicEntries();
  t.ok(allowed.size >= 7, `public entries: ${[...allowed].map((f) => relative(root, f)).join(', ')}`);
  const files = readdirSync(agentDir).filter((f) => f.endsWith('.ts'));
  t.ok(files.length > 3, 'agent sources found');
  const offenders: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(agentDir, f), 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]/g)) {
      const spec = m[1];
      if (spec.startsWith('node:') || !spec.startsWith('.')) continue; // builtins and npm packages
      const target = resolve(agentDir, spec.replace(/\.js$/, '.ts'));
      if (dirname(target) === agentDir) continue; // the agent's own modules
      if (!allowed.has(target)) offenders.push(`${f}: ${spec}`);
    }
  }
  t.same(offenders, [], 'no deep imports from src/agent');
});

t.test('the checker sees a deep import', async (t) => {
  const allowed = publicEntries();
  const target = resolve(agentDir, '../capture/cap.ts');
  t.notOk(allowed.has(target), 'src/capture/cap.ts is not public');
  t.ok(allowed.has(resolve(agentDir, '../capture/index.ts')), 'src/capture/index.ts is public');
});

// The example vSwitch is an embedder too: it reaches zooroute only through the package's own name
// ('zooroute', 'zooroute/control', ...: the exports map), never by a relative path into src/ or bindings/.
t.test('examples/vswitch imports zooroute only by its public subpaths', async (t) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const subpaths = new Set(Object.keys(pkg.exports).map((k) => (k === '.' ? 'zooroute' : `zooroute${k.slice(1)}`)));
  const exDir = join(root, 'examples', 'vswitch');
  const files = readdirSync(exDir).filter((f) => f.endsWith('.ts'));
  t.ok(files.length >= 2, `example sources: ${files.join(', ')}`);
  const used = new Set<string>();
  const offenders: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(exDir, f), 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]/g)) {
      const spec = m[1];
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) {
        if (dirname(resolve(exDir, spec)) !== exDir) offenders.push(`${f}: ${spec}`); // only its own files
        continue;
      }
      if (spec === 'zooroute' || spec.startsWith('zooroute/')) {
        if (subpaths.has(spec)) used.add(spec); else offenders.push(`${f}: ${spec}`);
      }
    }
  }
  t.same(offenders, [], 'no relative import out of examples/vswitch, no zooroute path outside the exports map');
  t.ok(used.has('zooroute/control'), `it embeds through ${[...used].join(', ')}`);
});
