// The doors: a folder's index.ts is what other folders may import. Each door is an explicit list
// (`export { a, type B } from './x.js'`), never `export *`, so its size is a decision; and no name
// leaves two folders, so an import names one thing.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';

const root = new URL('../../', import.meta.url).pathname;
const notFolders = new Set(['test', 'bench', 'node_modules', 'dist', 'examples', 'docs']);
const doors = readdirSync(root)
  .filter((f) => !f.startsWith('.') && !notFolders.has(f) && statSync(join(root, f)).isDirectory())
  .filter((f) => {
    try {
      return statSync(join(root, f, 'index.ts')).isFile();
    } catch {
      return false;
    }
  })
  .sort();

const withoutComments = (s: string) => s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

/** The names a door exports: `export { a, type B as C } from ...` gives a and C. */
function doorNames(text: string): string[] {
  const names: string[] = [];
  for (const m of withoutComments(text).matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g))
    for (const part of m[1]!.split(',')) {
      const p = part.trim().replace(/^type\s+/, '');
      if (p !== '')
        names.push(
          p
            .split(/\s+as\s+/)
            .pop()!
            .trim(),
        );
    }
  for (const m of withoutComments(text).matchAll(
    /export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|type|interface|enum)\s+([A-Za-z_$][\w$]*)/g,
  ))
    names.push(m[1]!);
  return names;
}

t.test('the folders have doors', async (t) => {
  t.ok(doors.includes('api') && doors.includes('std') && doors.includes('lab'), doors.join(' '));
});

t.test('no door uses export *', async (t) => {
  for (const f of doors) {
    const text = withoutComments(readFileSync(join(root, f, 'index.ts'), 'utf8'));
    t.notMatch(text, /export\s*\*/, `${f}/index.ts`);
  }
});

t.test('no name is exported from two folders', async (t) => {
  const owner = new Map<string, string>();
  const twice: string[] = [];
  for (const f of doors)
    for (const n of doorNames(readFileSync(join(root, f, 'index.ts'), 'utf8'))) {
      const o = owner.get(n);
      if (o !== undefined && o !== f) twice.push(`${n}: ${o}/ and ${f}/`);
      owner.set(n, f);
    }
  t.same(twice, []);
});

t.test('the check reads doors as written', async (t) => {
  t.same(doorNames("export { a, type B as C } from './x.js';\nexport type { D } from './y.js';"), [
    'a',
    'C',
    'D',
  ]);
});
