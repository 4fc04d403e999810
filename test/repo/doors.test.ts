// The doors: a folder's index.ts is what other folders may import. Each door is an explicit list
// (`export { a, type B } from './x.js'`), never `export *`, so its size is a decision; and no name
// leaves two folders, so an import names one thing.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
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

/** Every .ts file under a folder, as paths relative to the repository. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(join(root, dir)).sort()) {
    const p = `${dir}/${f}`;
    if (statSync(join(root, p)).isDirectory()) out.push(...sources(p));
    else if (f.endsWith('.ts')) out.push(p);
  }
  return out;
}

const code = doors.flatMap(sources);
/** Every folder with a door of its own: the top folders and their sub-doors (proxy/ruletable, ...). */
const doorDirs = code.filter((f) => f.endsWith('/index.ts')).map((f) => f.slice(0, -'/index.ts'.length));

t.test('no door uses export *, sub-doors included', async (t) => {
  t.ok(doorDirs.includes('proxy/ruletable') && doorDirs.includes('proxy/tracer'), doorDirs.join(' '));
  for (const d of doorDirs) {
    const text = withoutComments(readFileSync(join(root, d, 'index.ts'), 'utf8'));
    t.notMatch(text, /export\s*\*/, `${d}/index.ts`);
  }
});

t.test('a door holds names only: re-exports, no code of its own', async (t) => {
  const withCode: string[] = [];
  for (const d of doorDirs) {
    const rest = withoutComments(readFileSync(join(root, d, 'index.ts'), 'utf8'))
      .replace(/export\s+(?:type\s+)?\{[^}]*\}\s*from\s*'[^']*';/g, '')
      .replace(/export\s*\{\s*\};/g, '') // lab's empty door
      .trim();
    if (rest !== '') withCode.push(`${d}/index.ts: ${rest.split('\n')[0]}`);
  }
  t.same(withCode, []);
});

/** The relative module paths a file imports or re-exports from (`from './x.js'`, `import('./y.js')`). */
function importedPaths(text: string): string[] {
  const paths: string[] = [];
  for (const m of withoutComments(text).matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'(\.[^']*)'/gm))
    paths.push(m[1]!);
  return paths;
}

t.test('no file reaches into another folder past its door', async (t) => {
  const past: string[] = [];
  for (const file of code)
    for (const p of importedPaths(readFileSync(join(root, file), 'utf8'))) {
      const target = normalize(join(dirname(file), p)).replace(/\.js$/, '.ts');
      // The innermost folder with a door that holds the target but not the importing file...
      const door = doorDirs
        .filter((d) => target.startsWith(`${d}/`) && !file.startsWith(`${d}/`))
        .sort((a, b) => b.length - a.length)[0];
      if (door === undefined || target === `${door}/index.ts`) continue;
      // ...may be entered only through its door (a folder's door, too, passes on its sub-doors').
      past.push(`${file} -> ${target}`);
    }
  t.same(past, []);
});

t.test('the scan reads imports as written', async (t) => {
  t.same(
    importedPaths(
      "import { a } from './a.js';\nimport type { B } from '../b/index.js';\nexport { c } from './c/c.js';\nimport './side.js';\nconst d = await import('./d.js');\n// import { e } from './e.js';\nimport { f } from 'node:fs';",
    ),
    ['./a.js', '../b/index.js', './c/c.js', './side.js', './d.js'],
  );
});

t.test('no name is exported from two folders, sub-doors included', async (t) => {
  // A door passing on its sub-door's name (proxy/index.ts from proxy/ruletable/index.ts) is one
  // folder's name; two doors neither of which holds the other are two folders.
  const exporters = new Map<string, string[]>();
  for (const d of doorDirs)
    for (const n of doorNames(readFileSync(join(root, d, 'index.ts'), 'utf8')))
      exporters.set(n, [...(exporters.get(n) ?? []), d]);
  const within = (a: string, b: string) => a === b || a.startsWith(`${b}/`);
  const twice: string[] = [];
  for (const [n, ds] of exporters) {
    const innermost = ds.filter((d) => !ds.some((o) => o !== d && within(o, d)));
    if (innermost.length > 1) twice.push(`${n}: ${innermost.map((d) => `${d}/`).join(' and ')}`);
  }
  t.same(twice.sort(), []);
});

/** `import { a, type B as C } from './x.js'` (or `export { ... } from`): the path and the names taken. */
function namedImports(
  text: string,
): { path: string; names: [taken: string, as: string][]; reexport: boolean }[] {
  const out: { path: string; names: [string, string][]; reexport: boolean }[] = [];
  for (const m of withoutComments(text).matchAll(
    /\b(import|export)\s+(?:type\s+)?\{([^}]*)\}\s*from\s*'([^']*)'/g,
  )) {
    const names = m[2]!
      .split(',')
      .map((p) => p.trim().replace(/^type\s+/, ''))
      .filter((p) => p !== '')
      .map((p): [string, string] => {
        const [taken, as = taken] = p.split(/\s+as\s+/).map((x) => x.trim());
        return [taken!, as];
      });
    out.push({ path: m[3]!, names, reexport: m[1] === 'export' });
  }
  return out;
}

t.test('a door lists only names that code outside its folder uses', async (t) => {
  // The executables in cni/bin import the built doors: they count as the source they were built from.
  const bins = readdirSync(join(root, 'cni/bin')).map((f) => `cni/bin/${f}`);
  const users = new Map<string, { file: string; as: string; reexport: boolean }[]>();
  for (const file of [...code, ...bins])
    for (const imp of namedImports(readFileSync(join(root, file), 'utf8'))) {
      if (!imp.path.startsWith('.')) continue;
      const target = normalize(join(dirname(file), imp.path))
        .replace(/^dist\//, '')
        .replace(/\.js$/, '.ts');
      if (!target.endsWith('/index.ts')) continue;
      for (const [taken, as] of imp.names) {
        const key = `${target} ${taken}`;
        users.set(key, [...(users.get(key) ?? []), { file, as, reexport: imp.reexport }]);
      }
    }
  const used = (door: string, name: string): boolean => {
    const dir = door.slice(0, -'/index.ts'.length);
    return (users.get(`${door} ${name}`) ?? []).some((u) =>
      u.file.startsWith(`${dir}/`)
        ? false
        : u.reexport && u.file.endsWith('/index.ts')
          ? used(u.file, u.as)
          : true,
    );
  };
  const unused: string[] = [];
  for (const d of doorDirs) {
    const door = `${d}/index.ts`;
    for (const n of doorNames(readFileSync(join(root, door), 'utf8')))
      if (!used(door, n)) unused.push(`${door}: ${n}`);
  }
  t.same(unused, []);
});

t.test('the check reads doors as written', async (t) => {
  t.same(doorNames("export { a, type B as C } from './x.js';\nexport type { D } from './y.js';"), [
    'a',
    'C',
    'D',
  ]);
});
