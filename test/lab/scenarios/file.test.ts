// Scenario files: every problem is one line naming the file, the line, the object and the field;
// nothing runs half-read.
import t from 'tap';
import { parseScenario, readScenarioFile } from '../../../lab/scenarios/file.js';

const head = 'apiVersion: netlab.dev/v1alpha1\nkind: Scenario\nmetadata: {name: s}\nspec:\n  steps:\n';

t.test('invalid scenario files', async (t) => {
  const cases: { name: string; text: string; error: string }[] = [
    {
      name: 'apiVersion',
      text: 'apiVersion: v1\nkind: Scenario\nmetadata: {name: s}\nspec:\n  steps: [{wait: 1s}]\n',
      error:
        's.yaml:1: Scenario s: apiVersion: Unsupported value: "v1": supported values: "netlab.dev/v1alpha1"',
    },
    {
      name: 'no Scenario document',
      text: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\n',
      error: 's.yaml:1: kind: a scenario file holds one document of kind Scenario',
    },
    {
      name: 'connections out of range',
      text: `${head}  - traffic: {to: {service: web}, connections: 0}\n`,
      error:
        's.yaml:6: Scenario s: spec.steps[0].traffic.connections: Invalid value: 0: must be an integer between 1 and 1000000, inclusive',
    },
    {
      name: 'a ClusterIP from outside',
      text: `${head}  - traffic: {from: external, to: {service: web, via: clusterIP}}\n`,
      error:
        's.yaml:6: Scenario s: spec.steps[0].traffic.to.via: Invalid value: "clusterIP": a ClusterIP is reached from a pod or a node, not from outside',
    },
    {
      name: 'two actions in one step',
      text: `${head}  - wait: {rollout: deployment/web}\n    traffic: {to: {service: web}}\n`,
      error:
        's.yaml:6: Scenario s: spec.steps[0]: exactly one action is required (apply, delete, scale, kill, deletePod, failNode, recoverNode, conntrackCleanup, setReady, wait, traffic, dns, expect); found wait, traffic',
    },
    {
      name: 'wait for endpoints without a count',
      text: `${head}  - wait: {endpoints: web}\n`,
      error: 's.yaml:6: Scenario s: spec.steps[0].wait.ready: Required value',
    },
    {
      name: 'joining traffic that does not run in the background',
      text: `${head}  - wait: {traffic: bg}\n`,
      error:
        's.yaml:6: Scenario s: spec.steps[0].wait.traffic: no background traffic step named "bg" before this one',
    },
    {
      name: 'pod and selector',
      text: `${head}  - kill: {selector: app=web, pod: x}\n`,
      error: 's.yaml:6: Scenario s: spec.steps[0].kill: exactly one of pod or selector is required',
    },
    {
      name: 'libc',
      text: `${head}  - dns: {name: web, libc: uclibc}\n`,
      error:
        's.yaml:6: Scenario s: spec.steps[0].dns.libc: Unsupported value: "uclibc": supported values: "glibc", "musl"',
    },
    {
      name: 'a query type',
      text: `${head}  - dns: {name: db, type: MX}\n`,
      error:
        's.yaml:6: Scenario s: spec.steps[0].dns.type: Unsupported value: "MX": supported values: "A", "AAAA", "SRV"',
    },
    {
      name: 'an answer naming a pod without its name',
      text: `${head}  - dns: {name: db}\n    expect: {answer: [10.0.0.1, {namespace: x}]}\n`,
      error: 's.yaml:7: Scenario s: spec.steps[0].expect.answer[1].pod: Required value',
    },
    {
      name: 'a source port from outside',
      text: `${head}  - dns: {name: web, sourcePort: 41000}\n`,
      error:
        "s.yaml:6: Scenario s: spec.steps[0].dns.sourcePort: Invalid value: 41000: a source port is a pod's: needs from: {pod: NAME}",
    },
    {
      name: 'a conntrack expect',
      text: `${head}  - dns: {from: {pod: c}, name: web, sourcePort: 41000}\n    expect: {conntrack: old}\n`,
      error:
        's.yaml:7: Scenario s: spec.steps[0].expect.conntrack: Unsupported value: "old": supported values: "none", "live", "stale"',
    },
    {
      name: 'two bad expects, both named',
      text: `${head}  - traffic: {to: {service: web}}\n    expect: {uniform: 0.3, errors: -1}\n`,
      error: [
        's.yaml:7: Scenario s: spec.steps[0].expect.errors: Invalid value: -1: must be an integer between 0 and 9007199254740991, inclusive',
        's.yaml:7: Scenario s: spec.steps[0].expect.uniform: Invalid value: 0.3: must be true or a significance level: 0.1, 0.05, 0.025, 0.01, 0.005',
      ].join('\n'),
    },
    {
      name: 'a duration',
      text: `${head}  - wait: 5 parsecs\n`,
      error:
        's.yaml:6: Scenario s: spec.steps[0].wait: Invalid value: "5 parsecs": must be a duration such as 500ms, 2s or 1m (at most 86400s)',
    },
    {
      name: 'duplicate step names',
      text: `${head}  - {name: a, wait: 1s}\n  - {name: a, wait: 1s}\n`,
      error: 's.yaml:7: Scenario s: spec.steps[1].name: Duplicate value: "a"',
    },
    {
      name: 'an expect for no step',
      text: `${head}  - expect: {step: nope, errors: 0}\n`,
      error:
        's.yaml:6: Scenario s: spec.steps[0].expect.step: no traffic or dns step named "nope" before this one',
    },
    {
      name: 'unknown field',
      text: 'apiVersion: netlab.dev/v1alpha1\nkind: Scenario\nmetadata: {name: s}\nspec:\n  stepz: []\n',
      error:
        's.yaml:5: Scenario s: spec.stepz: unknown field "stepz"\ns.yaml:4: Scenario s: spec.steps: Required value',
    },
    {
      name: 'YAML syntax',
      text: `${head}  - wait: 1s\n  bad: [\n`,
      error:
        's.yaml:8: error parsing YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    },
    {
      name: 'an alias bomb',
      text: `${head}  - wait: 1s\nx: &a [1,1,1,1,1,1,1,1,1,1]\ny: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nz: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nw: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`,
      error:
        's.yaml:8: error parsing YAML: document contains excessive aliasing (more than 100 alias expansions)',
    },
  ];
  for (const c of cases) {
    t.throws(
      () => parseScenario(c.text, 's.yaml'),
      { code: 'NETLAB_LAB_SCENARIO_FILE', message: c.error },
      c.name,
    );
  }
});

t.test('a missing file', async (t) => {
  t.throws(() => readScenarioFile('/nonexistent/x.yaml'), {
    message: '/nonexistent/x.yaml: no such file or built-in scenario',
  });
});

t.test('a scenario and its manifests in one file', async (t) => {
  const s = parseScenario(
    `${head}  - wait: {rollout: deployment/web, timeout: 30s}\n  - name: go\n    traffic: {to: {service: web, node: node-2}, connections: 10, requestsPerConnection: 2}\n    expect: {errors: 0, responders: {min: 2}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n`,
    's.yaml',
  );
  t.strictSame(
    s.objects.map((o) => `${o.object.kind} ${o.object.metadata.name} ${o.source.file}:${o.source.line}`),
    ['Service web s.yaml:11'],
  );
  t.strictSame(
    s.steps.map((x) => [x.name, x.line, x.action.kind]),
    [
      ['wait #1', 6, 'wait'],
      ['go', 7, 'traffic'],
    ],
  );
  t.match(s.steps[1]!.action, {
    traffic: {
      from: { external: true },
      to: { service: 'web', namespace: 'default', via: 'nodePort', node: 'node-2', path: '/hostname' },
      connections: 10,
      requestsPerConnection: 2,
      concurrency: 1,
    },
  });
  t.strictSame(s.steps[1]!.expect, { errors: { min: 0, max: 0 }, responders: { min: 2 } });
  t.strictSame(s.cluster, {
    nodes: 2,
    second: 1000,
    nodeMonitorGracePeriod: 40,
    podEvictionTimeout: 300,
    nodeLeaseRenewInterval: 10,
    proxyMinSyncPeriod: 0.1,
    conntrackCleanup: true,
    externalNames: {},
  });
});
