import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ManifestError } from '../../api/errors.js';
import { formatIssue, loadManifestFiles } from '../../api/index.js';
import {
  lineOfField,
  maxManifestBytes,
  parseManifests,
  readManifestFiles,
  readManifests,
} from '../../api/manifest.js';

const good = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
  - port: 443
---
---
kind: List
apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: p, namespace: team}
  spec: {containers: [{name: c}]}
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata: {name: web-1}
  addressType: IPv4
  endpoints: []
`;

t.test('multi-document YAML and kind: List, with source lines', async (t) => {
  const objs = parseManifests(good, 'good.yaml');
  t.same(
    objs.map((o) => `${o.object.kind} ${o.object.metadata.name} ${o.source.file}:${o.source.line}`),
    ['Service web good.yaml:1', 'Pod p good.yaml:14', 'EndpointSlice web-1 good.yaml:18'],
  );
  t.equal(lineOfField(objs[0]!.object, 'spec.ports[1].port'), 8);
  t.equal(lineOfField(objs[0]!.object, 'spec.ports[1].nodePort'), 8, 'deepest existing part of the path');
  t.equal(lineOfField(objs[0]!.object, 'metadata.name'), 4);
  t.equal(lineOfField(objs[1]!.object, 'metadata.namespace'), 16, 'inside a List item');
  t.equal(lineOfField(objs[2]!.object, 'addressType'), 21);
  t.equal(lineOfField({ kind: 'Service' }, 'spec'), undefined, 'not from a manifest');
});

t.test('JSON, including tab indentation and a JSON List', async (t) => {
  const json =
    '{\n\t"apiVersion": "apps/v1",\n\t"kind": "Deployment",\n\t"metadata": {"name": "d"},\n\t"spec": {}\n}\n';
  const objs = parseManifests(json, 'd.json');
  t.same(
    objs.map((o) => [o.object.kind, o.object.metadata.name, o.source.line]),
    [['Deployment', 'd', 1]],
  );
  const list = JSON.stringify({
    kind: 'List',
    apiVersion: 'v1',
    items: [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }],
  });
  t.same(
    parseManifests(list, 'l.json').map((o) => o.object.metadata.name),
    ['n1'],
  );
});

t.test('manifest errors name file, line, object and field', async (t) => {
  const cases: { name: string; text: string; issues: string[] }[] = [
    {
      name: 'unknown kind',
      text: 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Ingress\nmetadata:\n  name: x\n',
      issues: ['f.yaml:6: Ingress default/x: kind: no matches for kind "Ingress" in version "v1"'],
    },
    {
      name: 'kind in the wrong version',
      text: 'apiVersion: v1\nkind: Deployment\nmetadata: {name: d, namespace: web}\n',
      issues: ['f.yaml:2: Deployment web/d: kind: no matches for kind "Deployment" in version "v1"'],
    },
    {
      name: 'missing kind and apiVersion',
      text: 'metadata:\n  name: x\nspec: {}\n',
      issues: [
        'f.yaml:1: object default/x: apiVersion: Required value',
        'f.yaml:1: object default/x: kind: Required value',
      ],
    },
    {
      name: 'List item without apiVersion',
      text: 'kind: List\napiVersion: v1\nitems:\n- kind: Node\n  metadata: {name: n1}\n- apiVersion: v1\n  kind: Node\n',
      issues: ['f.yaml:4: Node n1: apiVersion: Required value'],
    },
    {
      name: 'bad YAML',
      text: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n',
      issues: ['f.yaml:5: error parsing YAML: Map keys must be unique'],
    },
    {
      name: 'not an object',
      text: '- a\n- b\n',
      issues: ['f.yaml:1: Invalid value: expected an object'],
    },
    {
      name: 'metadata not an object',
      text: 'apiVersion: v1\nkind: Pod\nmetadata: [a]\n',
      issues: ['f.yaml:3: Pod default/<no name>: metadata: Invalid value: expected an object'],
    },
    {
      name: 'apiVersion of the wrong type (apimachinery decodes apiVersion and kind as strings)',
      text: 'apiVersion: 1\nkind: Service\nmetadata: {name: a}\n',
      issues: [
        "f.yaml:1: Service default/a: apiVersion: couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .apiVersion of type string",
      ],
    },
    {
      name: 'kind of the wrong type',
      text: 'apiVersion: v1\nkind: [Service]\nmetadata: {name: b}\n',
      issues: [
        "f.yaml:2: object default/b: kind: couldn't get version/kind; json parse error: json: cannot unmarshal array into Go struct field .kind of type string",
      ],
    },
    {
      name: 'both of the wrong type: the first in document order, as encoding/json reports',
      text: 'kind: {a: 1}\napiVersion: true\nmetadata: {name: c}\n',
      issues: [
        "f.yaml:1: object default/c: kind: couldn't get version/kind; json parse error: json: cannot unmarshal object into Go struct field .kind of type string",
      ],
    },
    {
      name: 'a billion laughs: one line naming the first alias',
      text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n',
      issues: [
        'f.yaml:6: error parsing YAML: document contains excessive aliasing (more than 100 alias expansions)',
      ],
    },
    {
      name: 'the same object twice, differently',
      text: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {clusterIP: 10.96.0.5}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {clusterIP: 10.96.0.6}\n',
      issues: [
        'f.yaml:8: Service default/web: metadata.name: Duplicate value: "web": the input gives this object twice, differently (first at f.yaml:1)',
      ],
    },
  ];
  for (const c of cases) {
    const r = readManifests(c.text, 'f.yaml');
    t.same(r.issues.map(formatIssue), c.issues, c.name);
    t.throws(() => parseManifests(c.text, 'f.yaml'), ManifestError, `${c.name}: parseManifests throws`);
  }
});

t.test('duplicates: an exact repeat is dropped, across files too; a differing one is an error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-manifest-dup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const svc = (ip: string) =>
    `apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {clusterIP: ${ip}}\n`;
  writeFileSync(join(dir, 'a.yaml'), svc('10.96.0.5'));
  writeFileSync(join(dir, 'b.yaml'), `${svc('10.96.0.5')}---\n${svc('10.96.0.5')}`);
  writeFileSync(join(dir, 'c.yaml'), `# another\n${svc('10.96.0.6')}`);
  const same = readManifests(`${svc('10.96.0.5')}---\n${svc('10.96.0.5')}`, 'f.yaml');
  t.same([same.objects.length, same.issues], [1, []], 'one file: the repeat is dropped');
  const files = readManifestFiles([join(dir, 'a.yaml'), join(dir, 'b.yaml')]);
  t.same([files.objects.length, files.issues], [1, []], 'two files: the repeat is dropped');
  const clash = readManifestFiles([join(dir, 'a.yaml'), join(dir, 'c.yaml')]);
  t.same(clash.issues.map(formatIssue), [
    `${dir}/c.yaml:4: Service default/web: metadata.name: Duplicate value: "web": the input gives this object twice, differently (first at ${dir}/a.yaml:1)`,
  ]);
  t.same(
    clash.objects.map((o) => o.source.file),
    [join(dir, 'a.yaml')],
  );
});

t.test('input size: more than maxManifestBytes stops with one line, without reading it all', async (t) => {
  const r = readManifestFiles(['/dev/zero']);
  t.same(r.issues.map(formatIssue), [
    `/dev/zero: the input is larger than ${maxManifestBytes} bytes (64 MiB), the most netlab reads from one manifest`,
  ]);
  t.same(r.objects, []);
});

t.test('loadManifestFiles: files, directories, missing paths', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-manifest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n');
  writeFileSync(join(dir, 'b.json'), '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"b"}}');
  writeFileSync(join(dir, 'notes.txt'), 'not a manifest');
  t.same(
    loadManifestFiles([dir]).map((o) => o.object.metadata.name),
    ['a', 'b'],
  );
  const missing = join(dir, 'nope.yaml');
  const err = t.throws(() => loadManifestFiles([join(dir, 'a.yaml'), missing])) as ManifestError;
  t.equal(err.code, 'NETLAB_API_MANIFEST');
  t.same(err.issues.map(formatIssue), [`${missing}: the path "${missing}" does not exist`]);
});

t.test('YAML scalars as Kubernetes reads them (YAML 1.1, timestamps kept as text)', async (t) => {
  const [o] = parseManifests(
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  creationTimestamp: 2024-01-01T00:00:00Z\n  labels: {a: yes, b: "yes"}\nspec:\n  terminationGracePeriodSeconds: 010\n',
    'p.yaml',
  );
  const pod = o!.object as unknown as {
    metadata: { creationTimestamp: unknown; labels: unknown };
    spec: Record<string, unknown>;
  };
  t.equal(pod.metadata.creationTimestamp, '2024-01-01T00:00:00Z');
  t.same(
    pod.metadata.labels,
    { a: true, b: 'yes' },
    'an unquoted yes is a boolean, which the store then refuses',
  );
  t.equal(pod.spec.terminationGracePeriodSeconds, 8, 'leading zero: octal');
});
