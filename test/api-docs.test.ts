// The API reference (`npm run docs`, TypeDoc over the package's entry points) builds without a warning:
// no broken link, no public type that the reference cannot reach, no exported symbol without a doc
// comment, one page per public subpath.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

t.test('typedoc.json checks that every exported symbol is documented, and fails on any warning', async (t) => {
  const cfg = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as {
    validation?: { notDocumented?: boolean; notExported?: boolean; invalidLink?: boolean };
    treatWarningsAsErrors?: boolean; treatValidationWarningsAsErrors?: boolean;
  };
  t.equal(cfg.validation?.notDocumented, true, 'validation.notDocumented');
  t.equal(cfg.validation?.notExported, true, 'validation.notExported');
  t.equal(cfg.validation?.invalidLink, true, 'validation.invalidLink');
  t.equal(cfg.treatWarningsAsErrors, true, 'treatWarningsAsErrors');
  t.equal(cfg.treatValidationWarningsAsErrors, true, 'treatValidationWarningsAsErrors');
});

t.test('npm run docs builds the API reference for every public subpath', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'zooroute-api-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const run = spawnSync(process.execPath, [join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out], { cwd: root, encoding: 'utf8' });
  t.equal(run.status, 0, `typedoc exits 0 (warnings are errors):\n${run.stdout}${run.stderr}`);
  const warnings = `${run.stdout}${run.stderr}`.split('\n').filter((l) => /\[warning\]|does not have any documentation/.test(l));
  t.same(warnings, [], 'no warning, no undocumented exported symbol');

  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const pages = existsSync(join(out, 'modules')) ? readdirSync(join(out, 'modules')) : [];
  for (const sub of Object.keys(pkg.exports)) {
    const name = sub === '.' ? 'zooroute' : `zooroute${sub.slice(1)}`;
    const page = `${name.replace(/\//g, '_')}.html`;
    t.ok(pages.includes(page), `${name}: ${page} (pages: ${pages.join(', ')})`);
  }
});
