// The import graph keeps the layers pointing one way (SPEC: assembly <- bindings <- src domains <-
// src/cli): every .ts under assembly/, bindings/ and src/ is read and its import / export-from /
// import() specifiers resolved. Nothing outside src/cli/ imports from src/cli/; bindings/ imports
// nothing from src/; assembly/ nothing from bindings/ or src/; no import runs in a circle inside
// src/replay (the report's types live in report-types.ts for that).
import t from 'tap';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(join(root, rel)).isDirectory()) out.push(...tsFiles(rel));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

// `import x from '...'`, `import type {..} from '...'`, `export * from '...'`, `import '...'`, `import('...')`.
const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** The repository-relative .ts file a relative specifier names (`./x.js` -> `dir/x.ts`), or undefined for packages. */
function resolveSpecifier(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = relative(root, resolve(root, dirname(from), spec));
  for (const c of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, `${base}/index.ts`]) if (existsSync(join(root, c)) && c.endsWith('.ts')) return c;
  return base; // unresolved: still checked by its path
}

function importsOf(file: string): string[] {
  // Strip comments so an import mentioned in prose does not count.
  const text = readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const r = resolveSpecifier(file, m[1] ?? m[2] ?? m[3]);
    if (r !== undefined) out.push(r);
  }
  return out;
}

const files = [...tsFiles('assembly'), ...tsFiles('bindings'), ...tsFiles('src')];
const graph = new Map(files.map((f) => [f, importsOf(f)]));

t.test('the parser sees the graph', async (t) => {
  t.ok(files.length > 100, `${files.length} files`);
  t.ok(graph.get('src/cli/main.ts')!.some((f) => f.startsWith('src/cli/')), 'main.ts imports its subcommands');
  t.ok(graph.get('src/replay/report.ts')!.includes('src/replay/report-types.ts'), 'import type is an edge');
  t.ok(graph.get('src/replay/index.ts')!.includes('src/replay/replay.ts'), 'export-from is an edge');
});

const violations = (rule: (from: string, to: string) => boolean): string[] =>
  [...graph].flatMap(([from, tos]) => tos.filter((to) => rule(from, to)).map((to) => `${from} -> ${to}`));

t.test('nothing outside src/cli/ imports from src/cli/', async (t) => {
  t.same(violations((f, to) => !f.startsWith('src/cli/') && to.startsWith('src/cli/')), []);
});

t.test('bindings/ imports nothing from src/', async (t) => {
  t.same(violations((f, to) => f.startsWith('bindings/') && to.startsWith('src/')), []);
});

t.test('assembly/ imports nothing from bindings/ or src/', async (t) => {
  t.same(violations((f, to) => f.startsWith('assembly/') && (to.startsWith('bindings/') || to.startsWith('src/'))), []);
});

/** Cycles among the files under a folder (edges inside it only), each as a path a -> ... -> a. */
function cyclesUnder(dir: string): string[] {
  const inside = files.filter((f) => f.startsWith(`${dir}/`));
  const state = new Map<string, 0 | 1 | 2>(inside.map((f) => [f, 0]));
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 1);
    stack.push(f);
    for (const to of graph.get(f) ?? []) {
      if (!state.has(to)) continue;
      if (state.get(to) === 1) found.push([...stack.slice(stack.indexOf(to)), to].join(' -> '));
      else if (state.get(to) === 0) visit(to);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of inside) if (state.get(f) === 0) visit(f);
  return found;
}

t.test('the cycle finder finds a cycle', async (t) => {
  graph.set('src/replay/__a.ts', ['src/replay/__b.ts']);
  graph.set('src/replay/__b.ts', ['src/replay/__a.ts']);
  files.push('src/replay/__a.ts', 'src/replay/__b.ts');
  t.same(cyclesUnder('src/replay'), ['src/replay/__a.ts -> src/replay/__b.ts -> src/replay/__a.ts']);
  files.splice(files.length - 2, 2);
  graph.delete('src/replay/__a.ts'); graph.delete('src/replay/__b.ts');
});

t.test('no import cycle within src/replay', async (t) => {
  t.same(cyclesUnder('src/replay'), []);
});
