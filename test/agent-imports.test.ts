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
