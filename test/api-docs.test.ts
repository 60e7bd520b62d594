// The API reference (`npm run docs`, TypeDoc over the package's entry points) builds without a warning:
// no broken link, no public type that the reference cannot reach, one page per public subpath.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

t.test('npm run docs builds the API reference for every public subpath', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'zooroute-api-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const run = spawnSync(process.execPath, [join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out], { cwd: root, encoding: 'utf8' });
  t.equal(run.status, 0, `typedoc exits 0 (warnings are errors):\n${run.stdout}${run.stderr}`);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const pages = existsSync(join(out, 'modules')) ? readdirSync(join(out, 'modules')) : [];
  for (const sub of Object.keys(pkg.exports)) {
    const name = sub === '.' ? 'zooroute' : `zooroute${sub.slice(1)}`;
    const page = `${name.replace(/\//g, '_')}.html`;
    t.ok(pages.includes(page), `${name}: ${page} (pages: ${pages.join(', ')})`);
  }
});
