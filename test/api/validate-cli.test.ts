// `netlab validate` is a contract other checks call: exit 0 with the stored objects, or exit 1 with
// every error as file:line: object: field: message and nothing applied.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { parse } from 'yaml';
import { runValidate } from '../../lab/commands/validate.js';
import { netlabArgv } from '../index.js';

const run = promisify(execFile);

const good = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: http
---
apiVersion: v1
kind: Service
metadata:
  name: dns
  namespace: shop
spec:
  clusterIP: 10.96.0.10
  selector: {app: dns}
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
`;

const bad = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 70000
    targetPort: 8080
    protocol: TCPX
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  type: NodePort
  ports:
  - port: 80
    nodePort: 20000
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: missing
spec:
  containers: [{name: c, image: agnhost}]
---
apiVersion: v1
kind: Gadget
metadata: {name: g}
`;

function files(t: { teardown(fn: () => void): void }, contents: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-validate-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(contents)) writeFileSync(join(dir, name), text);
  return dir;
}

const flags = (filename: string[], output = 'yaml') => ({
  filename,
  output,
  serviceClusterIpRange: '10.96.0.0/12',
  serviceNodePortRange: '30000-32767',
});

t.test('valid manifests: the stored objects with defaults and allocations, exit 0', async (t) => {
  const dir = files(t, { 'good.yaml': good });
  const r = runValidate(flags([join(dir, 'good.yaml')]));
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  const list = parse(r.stdout) as {
    kind: string;
    items: { kind: string; metadata: { name: string }; spec: Record<string, unknown> }[];
  };
  t.equal(list.kind, 'List');
  t.same(
    list.items.map((i) => `${i.kind} ${i.metadata.name}`),
    ['Namespace shop', 'Service web', 'Service dns'],
    'only what the files hold',
  );
  const web = list.items[1]!.spec as {
    clusterIP: string;
    ports: { nodePort: number; protocol: string; targetPort: string }[];
  };
  t.match(web.clusterIP, /^10\.(9[6-9]|10[0-9]|11[01])\./, 'a ClusterIP from 10.96.0.0/12');
  t.ok(web.ports[0]!.nodePort >= 30000 && web.ports[0]!.nodePort <= 32767, 'a nodePort from the range');
  t.match(list.items[1]!.spec, {
    sessionAffinity: 'None',
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
    ports: [{ protocol: 'TCP', targetPort: 'http' }],
  });
  t.equal(list.items[2]!.spec.clusterIP, '10.96.0.10');
  const json = runValidate(flags([join(dir, 'good.yaml')], 'json'));
  t.equal(json.code, 0);
  t.same((JSON.parse(json.stdout) as { items: unknown[] }).items.length, 3);
});

t.test('invalid manifests: every error with file, line, object, field; exit 1', async (t) => {
  const dir = files(t, { 'good.yaml': good, 'bad.yaml': bad });
  const g = join(dir, 'good.yaml');
  const b = join(dir, 'bad.yaml');
  const r = runValidate(flags([g, b]));
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.equal(
    r.stderr,
    [
      `${b}:8: Service default/web: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive`,
      `${b}:10: Service default/web: spec.ports[0].protocol: Unsupported value: "TCPX": supported values: "SCTP", "TCP", "UDP"`,
      `${b}:20: Service default/api: spec.ports[0].nodePort: Invalid value: 20000: provided port is not in the valid range. The range of valid ports is 30000-32767`,
      `${b}:26: Pod missing/p: metadata.namespace: namespaces "missing" not found`,
      `${b}:31: Gadget default/g: kind: no matches for kind "Gadget" in version "v1"`,
      'error: 5 errors; nothing applied',
      '',
    ].join('\n'),
  );
  t.equal(
    runValidate(flags([g], 'xml')).stderr,
    'error: -o: Unsupported value: "xml": supported values: "json", "yaml"\n',
  );
});

t.test('the netlab command line keeps the contract', async (t) => {
  const dir = files(t, { 'good.yaml': good, 'bad.yaml': bad });
  const ok = await run(process.execPath, [
    ...netlabArgv,
    'validate',
    '-f',
    join(dir, 'good.yaml'),
    '-o',
    'json',
  ]);
  t.equal((JSON.parse(ok.stdout) as { kind: string }).kind, 'List');
  const failed = await run(process.execPath, [...netlabArgv, 'validate', '-f', join(dir, 'bad.yaml')]).catch(
    (e: { code: number; stderr: string; stdout: string }) => e,
  );
  t.equal((failed as { code: number }).code, 1);
  t.match(
    (failed as { stderr: string }).stderr,
    /bad\.yaml:8: Service default\/web: spec\.ports\[0\]\.port: Invalid value: 70000/,
  );
  t.equal((failed as { stdout: string }).stdout, '');
  // `-f -` reads stdin; errors name it <stdin>.
  const piped = (input: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [...netlabArgv, 'validate', '-f', '-', '-o', 'json'],
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      );
      child.stdin!.end(input);
    });
  const fromStdin = await piped(json.replace('"namespace":"shop"', '"namespace":"default"'));
  t.equal(fromStdin.code, 0);
  t.match(JSON.parse(fromStdin.stdout), { kind: 'List', items: [{ metadata: { name: 'lb' } }] });
  t.same(await piped(badJSON), {
    code: 1,
    stdout: '',
    stderr:
      '<stdin>:4: Service default/j: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400\nerror: 1 error; nothing applied\n',
  });
});

// Every way manifests arrive: several files, a `kind: List`, JSON, a directory; errors in the order
// the files were given, whatever kind of problem each file has.
const list = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: db, namespace: shop}
  spec:
    clusterIP: None
    selector: {app: db}
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata:
    name: db-1
    namespace: shop
    labels: {kubernetes.io/service-name: db}
  addressType: IPv4
  endpoints:
  - addresses: [10.244.0.5]
  ports:
  - port: 5432
`;
const json = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'lb', namespace: 'shop' },
  spec: {
    type: 'LoadBalancer',
    externalTrafficPolicy: 'Local',
    selector: { app: 'lb' },
    ports: [{ name: 'http', port: 80, nodePort: 30080 }],
  },
});
const badJSON = `{"apiVersion": "v1", "kind": "Service",
 "metadata": {"name": "j"},
 "spec": {"sessionAffinity": "ClientIP",
   "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 86401}},
   "ports": [{"port": 80}]}}
`;
const badList = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: x}
  spec:
    type: ClusterIP
    externalTrafficPolicy: Local
    ports: [{port: 80}]
`;

t.test('several files, kind: List, JSON and a directory', async (t) => {
  const dir = files(t, { 'good.yaml': good, 'list.yaml': list, 'lb.json': json });
  const sub = join(dir, 'sub');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(sub);
  writeFileSync(
    join(sub, 'b-list.yml'),
    list.replaceAll('shop', 'shop2').replace('name: db-1', 'name: db-2'),
  );
  writeFileSync(join(sub, 'a-ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop2}\n');
  writeFileSync(join(sub, 'notes.txt'), 'not a manifest');
  const cases: { name: string; files: string[]; objects: string[] }[] = [
    {
      name: 'a multi-document file, a List and a JSON file',
      files: ['good.yaml', 'list.yaml', 'lb.json'],
      objects: [
        'Namespace shop',
        'Service shop/web',
        'Service shop/dns',
        'Service shop/db',
        'EndpointSlice shop/db-1',
        'Service shop/lb',
      ],
    },
    {
      name: 'a directory: its .yaml, .yml and .json files by name, nothing else',
      files: ['sub'],
      objects: ['Namespace shop2', 'Service shop2/db', 'EndpointSlice shop2/db-2'],
    },
  ];
  for (const c of cases) {
    const r = runValidate(flags(c.files.map((f) => join(dir, f))));
    t.equal(r.stderr, '', c.name);
    t.equal(r.code, 0, c.name);
    const out = parse(r.stdout) as {
      items: { kind: string; metadata: { name: string; namespace?: string } }[];
    };
    t.same(
      out.items.map(
        (i) => `${i.kind} ${i.metadata.namespace ? `${i.metadata.namespace}/` : ''}${i.metadata.name}`,
      ),
      c.objects,
      c.name,
    );
  }
  const r = runValidate(
    flags(
      ['good.yaml', 'list.yaml', 'lb.json'].map((f) => join(dir, f)),
      'json',
    ),
  );
  const items = (
    JSON.parse(r.stdout) as { items: { metadata: { name: string }; spec?: Record<string, unknown> }[] }
  ).items;
  t.match(
    items.find((i) => i.metadata.name === 'lb')!.spec,
    {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: Number,
      allocateLoadBalancerNodePorts: true,
      ports: [{ name: 'http', port: 80, nodePort: 30080, protocol: 'TCP', targetPort: 80 }],
    },
    'JSON input comes out defaulted and allocated',
  );
  t.same(
    items.find((i) => i.metadata.name === 'db')!.spec,
    {
      clusterIP: 'None',
      clusterIPs: ['None'],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      selector: { app: 'db' },
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
    'a headless Service from a List needs no ports',
  );
});

t.test('no objects at all is an error, as kubectl apply says', async (t) => {
  const dir = files(t, { 'empty.yaml': '---\n# nothing here\n---\n' });
  t.same(runValidate(flags([join(dir, 'empty.yaml')])), {
    stdout: '',
    stderr: 'error: no objects passed to apply\n',
    code: 1,
  });
});

t.test('errors come in the order the files were given, each with its own line', async (t) => {
  const dir = files(t, { 'a.json': badJSON, 'b.yaml': 'kind: [\n', 'c.yaml': badList });
  const [a, b, c, missing] = ['a.json', 'b.yaml', 'c.yaml', 'missing.yaml'].map((f) => join(dir, f)) as [
    string,
    string,
    string,
    string,
  ];
  const r = runValidate(flags([c, missing, a, b]));
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.equal(
    r.stderr,
    [
      `${c}:9: Service default/x: spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services`,
      `${missing}: the path "${missing}" does not exist`,
      `${a}:4: Service default/j: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400`,
      `${b}:2: error parsing YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      'error: 4 errors; nothing applied',
      '',
    ].join('\n'),
  );
});
