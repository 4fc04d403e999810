// The repository stands alone: no tracked file names a path outside it. A clone with nothing beside
// it must build, test and read the same as this checkout.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';

const root = new URL('../', import.meta.url).pathname;

// The examples below spell their paths with up(n) so that this file itself names none of them.
const up = (n: number) => '..'.concat('/').repeat(n);
// The sibling folder this project was once steered from.
const sibling = `${up(1)}shared`;
// Absolute paths of the machines the project is developed on, never of a user's.
const machinePaths = /(?<![\w.-])\/(?:work|home|root|Users)\/[\w.-]+/g;
// One or more `..` steps at the start of a relative path.
const upSteps = /(?<![\w.-])(?:\.\/)?((?:\.\.\/)+)([\w.-]*)/g;
// Files compiled to dist/ (tsconfig.build.json) also run from there, one folder deeper.
const built = /^(api|ipam|cni|proxy|dns|lab)\/.*\.ts$/;

/** Every place in `text` (the file `path`, relative to the root) that names a path outside the root. */
export function outsidePaths(path: string, text: string): string[] {
  const found: string[] = [];
  const depth = path.split('/').length - 1;
  const reach = built.test(path) ? depth + 1 : depth;
  text.split('\n').forEach((line, i) => {
    const at = (what: string) => found.push(`${path}:${i + 1}: ${what}`);
    if (line.includes(sibling)) at(sibling);
    for (const m of line.matchAll(machinePaths)) at(m[0]);
    for (const m of line.matchAll(upSteps)) {
      const ups = m[1]!.length / 3;
      if (ups > reach && !line.includes(sibling)) at(`${m[1]}${m[2]}`);
    }
  });
  return found;
}

t.test('outsidePaths finds what escapes the repository', async (t) => {
  const cases: { path: string; text: string; want: string[] }[] = [
    { path: 'README.md', text: `see \`${sibling}/DESIGN.md\``, want: [`README.md:1: ${sibling}`] },
    {
      path: 'test/dns/x.test.ts',
      text: `const f = new URL('${up(2)}${sibling}/a.json', import.meta.url);`,
      want: [`test/dns/x.test.ts:1: ${sibling}`],
    },
    {
      path: 'test/x.test.ts',
      text: `import a from '${up(2)}elsewhere/a.js';`,
      want: [`test/x.test.ts:1: ${up(2)}elsewhere`],
    },
    { path: 'docs/a.md', text: `line\nread /${'work'}/notes/a.md`, want: [`docs/a.md:2: /${'work'}/notes`] },
    { path: 'docs/a.md', text: `cat /${'home'}/me/x`, want: [`docs/a.md:1: /${'home'}/me`] },
    // Inside the repository, from the source folder or (compiled code) from dist/.
    { path: 'test/proxy/x.test.ts', text: `import { a } from '${up(2)}proxy/index.js';`, want: [] },
    {
      path: 'cni/plugins/index.ts',
      text: `for (const rel of ['${up(1)}bin/', '${up(3)}cni/bin/'])`,
      want: [],
    },
    { path: 'cni/bin/host-local', text: `import { a } from '${up(2)}dist/cni/skel/index.js';`, want: [] },
    { path: 'README.md', text: 'links [docs](docs/architecture.md) and ./api/README.md', want: [] },
    // System paths belong to the machine's tools, not to another checkout.
    {
      path: 'cni/README.md',
      text: 'CNI_PATH=/usr/lib/cni, /run/netns/web-1, /var/lib/cni/networks',
      want: [],
    },
  ];
  for (const c of cases) t.same(outsidePaths(c.path, c.text), c.want, `${c.path}: ${c.text}`);
});

t.test('no tracked file names a path outside the repository', async (t) => {
  let files: string[];
  try {
    files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
      .split('\0')
      .filter(Boolean);
  } catch (err) {
    t.fail(`git ls-files in ${root}: ${(err as Error).message}`);
    return;
  }
  t.ok(files.includes('test/repo.test.ts'), 'git ls-files lists the tracked files');
  const found: string[] = [];
  for (const file of files) {
    const bytes = readFileSync(`${root}${file}`);
    if (bytes.includes(0)) continue; // binary
    found.push(...outsidePaths(file, bytes.toString('utf8')));
  }
  t.same(found, []);
});
