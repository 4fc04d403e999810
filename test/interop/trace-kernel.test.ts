// `netlab trace` against the Linux kernel itself. The restore payload netlab writes for a node (plus
// the jumps kube-proxy installs in the built-in chains) is loaded with iptables-restore into a network
// namespace that plays the node; a second namespace joined by a veth pair is the outside client
// (203.0.113.2, and 203.0.113.130 outside the LoadBalancer's source range) and a third is a pod
// (10.0.0.2) whose node side is the pod gateway 10.0.0.1; the endpoints (10.180.0.0/16) are routed
// to the pod namespace, which drops them (no forwarding): nothing answers, so conntrack keeps each
// connection's first decision and the rule counters count its first packet. For each connection
// (from the node, the pod and outside; ClusterIPs, NodePorts, external and LoadBalancer IPs, TCP and
// UDP, a Service without endpoints, a Local-policy Service without local endpoints) the kernel's
// answer is read back: the DNAT target and masquerade from `conntrack -L`, DROP or REJECT from the
// counters of `iptables-save -c`, and every rule whose counter moved; then compared with what `netlab
// trace` prints for the same packet (in process): verdict, endpoint, masquerade and rules matched.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { iptablesSaveManifests, traceOnNode, traceRequest } from '../../lab/tools/index.js';
import { storeFromManifests } from '../../lab/tools/objects.js';
import { RuleTable, withKubeJumpRules } from '../../proxy/index.js';
import { interopTest, missingCommand, missingRoot } from '../index.js';

const names = { node: `nl${process.pid}n`, out: `nl${process.pid}x`, pod: `nl${process.pid}p` };

/** Why `ip netns add` cannot be used here (false when it can), with ip's own words. */
function netnsDenied(): string | false {
  const ns = `nl${process.pid}probe`;
  const r = spawnSync('ip', ['netns', 'add', ns]);
  if (r.status !== 0) return `ip netns add is not permitted here (${r.stderr.toString().trim()})`;
  spawnSync('ip', ['netns', 'del', ns]);
  return false;
}

const skip =
  missingRoot('network namespaces, iptables-restore and conntrack inside them') ||
  missingCommand('ip', 'iproute2') ||
  missingCommand('iptables-restore', 'iptables') ||
  missingCommand('conntrack', 'conntrack') ||
  missingCommand('curl', 'curl') ||
  missingCommand('timeout', 'coreutils') ||
  missingCommand('bash', 'bash') ||
  netnsDenied();

const manifests = `apiVersion: v1
kind: Node
metadata: {name: node-a}
status: {addresses: [{type: InternalIP, address: 192.168.0.2}]}
${[
  svc('web', '{clusterIP: 172.30.0.10, ports: [{name: p, port: 80, protocol: TCP, targetPort: 8080}]}'),
  slice('web', '{name: p, port: 8080, protocol: TCP}', '10.180.0.1', '10.180.0.2'),
  svc(
    'dns',
    '{type: NodePort, clusterIP: 172.30.0.11, ports: [{name: d, port: 53, protocol: UDP, targetPort: 5353, nodePort: 30053}]}',
  ),
  slice('dns', '{name: d, port: 5353, protocol: UDP}', '10.180.0.3'),
  svc(
    'np',
    '{type: NodePort, clusterIP: 172.30.0.12, externalIPs: [192.168.99.20], ports: [{name: p, port: 80, protocol: TCP, nodePort: 30080}]}',
  ),
  slice('np', '{name: p, port: 80, protocol: TCP}', '10.180.0.4'),
  svc(
    'lb',
    '{type: LoadBalancer, clusterIP: 172.30.0.14, loadBalancerSourceRanges: [203.0.113.0/25], ports: [{name: p, port: 80, protocol: TCP, nodePort: 30090}]}',
    '{loadBalancer: {ingress: [{ip: 5.6.7.8}]}}',
  ),
  slice('lb', '{name: p, port: 80, protocol: TCP}', '10.180.0.6'),
  svc(
    'none',
    '{type: NodePort, clusterIP: 172.30.0.15, externalIPs: [192.168.99.50], ports: [{name: t, port: 80, protocol: TCP, nodePort: 30050}, {name: u, port: 53, protocol: UDP, nodePort: 30051}]}',
  ),
  svc(
    'local',
    '{type: LoadBalancer, clusterIP: 172.30.0.16, externalTrafficPolicy: Local, healthCheckNodePort: 32000, ports: [{name: p, port: 80, protocol: TCP, nodePort: 30070}]}',
    '{loadBalancer: {ingress: [{ip: 5.6.7.9}]}}',
  ),
  slice('local', '{name: p, port: 80, protocol: TCP}', '10.180.0.7'),
].join('')}`;

function svc(name: string, spec: string, status?: string): string {
  return `---\napiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: default}\nspec: ${spec}\n${status === undefined ? '' : `status: ${status}\n`}`;
}
// Every endpoint is on node-b: none is local to node-a.
function slice(name: string, port: string, ...ips: string[]): string {
  const eps = ips.map((ip) => `{addresses: [${ip}], nodeName: node-b}`).join(', ');
  return `---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: ${name}-x, namespace: default, labels: {kubernetes.io/service-name: ${name}}}\naddressType: IPv4\nports: [${port}]\nendpoints: [${eps}]\n`;
}

type Origin = 'node' | 'pod' | 'out';
// name, where it is sent from, source, protocol, destination, port, the verdict both must give.
const probes: [string, Origin, string, 'tcp' | 'udp', string, number, string][] = [
  ['node to a ClusterIP, two endpoints', 'node', '192.168.0.2', 'tcp', '172.30.0.10', 80, 'DNAT'],
  ['node to a UDP ClusterIP', 'node', '192.168.0.2', 'udp', '172.30.0.11', 53, 'DNAT'],
  ['node to its NodePort', 'node', '192.168.0.2', 'tcp', '192.168.0.2', 30080, 'DNAT'],
  ['node to a NodePort on localhost', 'node', '127.0.0.1', 'tcp', '127.0.0.1', 30080, 'DNAT'],
  ['node to an external IP', 'node', '192.168.0.2', 'tcp', '192.168.99.20', 80, 'DNAT'],
  // The issue's case: kube-proxy's test tracer says REJECT; KUBE-EXTERNAL-SERVICES is not on OUTPUT.
  [
    'node to the external IP of a Service without endpoints',
    'node',
    '192.168.0.2',
    'tcp',
    '192.168.99.50',
    80,
    'ACCEPT',
  ],
  [
    'node to the ClusterIP of a Service without endpoints',
    'node',
    '192.168.0.2',
    'tcp',
    '172.30.0.15',
    80,
    'REJECT',
  ],
  [
    'node to its NodePort of a Service without endpoints (INPUT)',
    'node',
    '192.168.0.2',
    'tcp',
    '192.168.0.2',
    30050,
    'REJECT',
  ],
  [
    'node to a LoadBalancer IP outside its source ranges',
    'node',
    '192.168.0.2',
    'tcp',
    '5.6.7.8',
    80,
    'DROP',
  ],
  ['pod to a ClusterIP', 'pod', '10.0.0.2', 'tcp', '172.30.0.10', 80, 'DNAT'],
  ['pod to a UDP ClusterIP', 'pod', '10.0.0.2', 'udp', '172.30.0.11', 53, 'DNAT'],
  ['pod to an external IP', 'pod', '10.0.0.2', 'tcp', '192.168.99.20', 80, 'DNAT'],
  ['pod to a Local LoadBalancer IP: short-circuit', 'pod', '10.0.0.2', 'tcp', '5.6.7.9', 80, 'DNAT'],
  ['pod to a UDP Service without endpoints', 'pod', '10.0.0.2', 'udp', '172.30.0.15', 53, 'REJECT'],
  ['pod to no Service', 'pod', '10.0.0.2', 'tcp', '10.180.0.9', 80, 'ACCEPT'],
  ['outside to a NodePort', 'out', '203.0.113.2', 'tcp', '192.168.0.2', 30080, 'DNAT'],
  ['outside to a UDP NodePort', 'out', '203.0.113.2', 'udp', '192.168.0.2', 30053, 'DNAT'],
  ['outside to an external IP', 'out', '203.0.113.2', 'tcp', '192.168.99.20', 80, 'DNAT'],
  [
    'outside to a LoadBalancer IP from inside its source ranges',
    'out',
    '203.0.113.2',
    'tcp',
    '5.6.7.8',
    80,
    'DNAT',
  ],
  [
    'outside to a LoadBalancer IP from outside its source ranges',
    'out',
    '203.0.113.130',
    'tcp',
    '5.6.7.8',
    80,
    'DROP',
  ],
  [
    'outside to the external IP of a Service without endpoints',
    'out',
    '203.0.113.2',
    'tcp',
    '192.168.99.50',
    80,
    'REJECT',
  ],
  [
    'outside to a UDP NodePort without endpoints',
    'out',
    '203.0.113.2',
    'udp',
    '192.168.0.2',
    30051,
    'REJECT',
  ],
  [
    'outside to a Local NodePort without local endpoints',
    'out',
    '203.0.113.2',
    'tcp',
    '192.168.0.2',
    30070,
    'DROP',
  ],
  [
    'outside to a Local LoadBalancer IP without local endpoints',
    'out',
    '203.0.113.2',
    'tcp',
    '5.6.7.9',
    80,
    'DROP',
  ],
  ['outside to the health check NodePort', 'out', '203.0.113.2', 'tcp', '192.168.0.2', 32000, 'ACCEPT'],
];

/** Runs a shell script inside a namespace; throws with its stderr when it fails. */
function inNs(ns: string, script: string): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', script], { timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${ns}: ${script}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

function setUp(rules: string): void {
  const { node: n, out: x, pod: p } = names;
  const ip = (...args: string[]) => {
    const r = spawnSync('ip', args);
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.toString()}`);
  };
  for (const ns of [n, x, p]) {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
  ip('-n', n, 'link', 'add', 'vx', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', x);
  ip('-n', n, 'link', 'add', 'vp', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', p);
  // The node: its InternalIP on the outside link, the pod gateway on the pod link.
  ip('-n', n, 'addr', 'add', '192.168.0.2/32', 'dev', 'vx');
  ip('-n', n, 'addr', 'add', '10.0.0.1/24', 'dev', 'vp');
  ip('-n', n, 'link', 'set', 'vx', 'up');
  ip('-n', n, 'link', 'set', 'vp', 'up');
  ip('-n', x, 'addr', 'add', '203.0.113.2/24', 'dev', 'eth0');
  ip('-n', x, 'addr', 'add', '203.0.113.130/24', 'dev', 'eth0');
  ip('-n', x, 'link', 'set', 'eth0', 'up');
  ip('-n', p, 'addr', 'add', '10.0.0.2/24', 'dev', 'eth0');
  ip('-n', p, 'link', 'set', 'eth0', 'up');
  // Endpoints go to the pod namespace, everything else out to the client; both drop what is not
  // theirs without a word (no forwarding), so no reply and no ICMP error comes back.
  ip('-n', n, 'route', 'add', '10.180.0.0/16', 'via', '10.0.0.2');
  ip('-n', n, 'route', 'add', 'default', 'via', '203.0.113.2', 'dev', 'vx', 'onlink', 'src', '192.168.0.2');
  ip('-n', x, 'route', 'add', '192.168.0.2/32', 'dev', 'eth0');
  ip('-n', x, 'route', 'add', 'default', 'via', '192.168.0.2', 'dev', 'eth0', 'onlink');
  ip('-n', p, 'route', 'add', 'default', 'via', '10.0.0.1');
  // As kube-proxy and a CNI leave a node: forwarding on, localhost NodePorts routable.
  inNs(
    n,
    'sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.vx.rp_filter=0 net.ipv4.conf.vp.rp_filter=0',
  );
  const r = spawnSync('ip', ['netns', 'exec', n, 'iptables-restore'], { input: rules });
  if (r.status !== 0) throw new Error(`iptables-restore refused the rules: ${r.stderr.toString()}`);
  // Each client sends its SYN once: a retransmitted SYN is no new connection (nat does not see it, so
  // it carries no KUBE-MARK-MASQ mark) and netlab traces a connection's first packet. The rule sits
  // in the clients' own tables (mangle on the node, which kube-proxy leaves alone and is not read).
  const once =
    '-p tcp --syn -m connbytes --connbytes 2: --connbytes-dir original --connbytes-mode packets -j DROP';
  for (const ns of [x, p]) inNs(ns, `iptables -A OUTPUT ${once}`);
  inNs(n, `iptables -t mangle -A OUTPUT ${once}`);
}

function tearDown(): void {
  for (const ns of Object.values(names)) spawnSync('ip', ['netns', 'del', ns]);
}

interface KernelState {
  /** Packets per rule: `table chain index` (index within the chain, from 0). */
  counters: Map<string, number>;
  /** `conntrack -L` lines. */
  conntrack: string[];
}

/** One shell inside the node's namespace for the many small reads: no process start per read. */
class NodeShell {
  readonly #sh: ChildProcess;
  #out = '';
  #n = 0;

  constructor() {
    this.#sh = spawn('ip', ['netns', 'exec', names.node, 'sh'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#sh.stdout?.on('data', (d: Buffer) => {
      this.#out += d.toString();
    });
  }

  /** Runs `script` and resolves with what it printed. */
  run(script: string): Promise<string> {
    const marker = `@@netlab-${++this.#n}@@\n`;
    this.#out = '';
    this.#sh.stdin?.write(`${script}\necho '${marker.slice(0, -1)}'\n`);
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.#out.indexOf(marker);
        if (i < 0) return;
        this.#sh.stdout?.off('data', check);
        this.#sh.off('exit', gone);
        resolve(this.#out.slice(0, i));
      };
      const gone = () => reject(new Error('the node shell exited'));
      this.#sh.stdout?.on('data', check);
      this.#sh.once('exit', gone);
      check();
    });
  }

  close(): void {
    this.#sh.stdin?.end();
    this.#sh.kill();
  }
}

async function readKernel(sh: NodeShell): Promise<KernelState> {
  // conntrack first: an entry is confirmed after the rules counted its packet, so the counters read
  // next include every packet whose entry was seen.
  const out = await sh.run('conntrack -L 2>/dev/null; echo ===; iptables-save -c');
  const [ct = '', save = ''] = out.split('===\n');
  const counters = new Map<string, number>();
  let table = '';
  const seen = new Map<string, number>();
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    if (table !== 'nat' && table !== 'filter') continue;
    const m = /^\[(\d+):\d+\] -A (\S+)/.exec(line);
    if (m === null) continue;
    const chain = `${table} ${m[2]}`;
    const i = seen.get(chain) ?? 0;
    seen.set(chain, i + 1);
    counters.set(`${chain} ${i}`, Number(m[1]));
  }
  return { counters, conntrack: ct.split('\n').filter((l) => l.length > 0) };
}

/** The connection's entry: original destination, and where the reply comes from and goes to. */
function entryOf(k: KernelState, proto: string, src: string, dst: string, dport: number) {
  for (const l of k.conntrack) {
    const m =
      /^(\w+)\s.*?src=(\S+) dst=(\S+) sport=\d+ dport=(\d+) (?:packets=\d+ bytes=\d+ )?(?:\[UNREPLIED\] )?src=(\S+) dst=(\S+) sport=(\d+)/.exec(
        l,
      );
    if (m === null || m[1] !== proto || m[2] !== src || m[3] !== dst || Number(m[4]) !== dport) continue;
    return { replySrc: m[5]!, replyDst: m[6]!, replySport: Number(m[7]) };
  }
  return undefined;
}

const nodeLocal = (ip: string) => ip === '192.168.0.2' || ip === '10.0.0.1' || ip.startsWith('127.');

interopTest(t, 'netlab trace against the kernel, connection by connection', skip, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-trace-kernel-'));
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, manifests);
  const flags = { hostnameOverride: 'node-a', clusterCidr: '10.0.0.0/8' };
  const tables = withKubeJumpRules(RuleTable.parse(iptablesSaveManifests([file], flags).payload, 'payload'));
  // netlab trace in process, on the objects of the same file.
  const { store } = storeFromManifests([file]);
  // A fresh namespace has no nfacct objects (and there is no nfacct tool to make them); the match
  // only counts, so the kernel gets the rules without it, in the same chains at the same places.
  const rules = tables.render().replace(/ -m nfacct --nfacct-name \S+/g, '');
  // Where each rule sits in its chain, to read its counter.
  const place = (table: string, text: string): string => {
    const chain = text.split(' ')[1]!;
    const i = tables.getChain(table, chain)?.rules.findIndex((r) => r.text === text) ?? -1;
    if (i < 0) throw new Error(`netlab listed a rule its table does not hold: ${table} ${text}`);
    return `${table} ${chain} ${i}`;
  };
  const textOf = new Map<string, string>();
  for (const tb of tables.tables) {
    for (const c of tb.chains.values())
      c.rules.forEach((r, i) => {
        textOf.set(`${tb.name} ${c.name} ${i}`, r.text);
      });
  }
  // Jumps every packet takes, replies and the node's own ICMP errors included: the kernel may count
  // them for packets that are not the connection's first.
  const stateless = new Set(
    [
      ['filter', '-A INPUT -j KUBE-FIREWALL'],
      ['filter', '-A OUTPUT -j KUBE-FIREWALL'],
      ['filter', '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS'],
    ].map(([tb, text]) => place(tb!, text!)),
  );
  const clients = new Set<ChildProcess>();
  let sh: NodeShell | undefined;
  t.teardown(() => {
    sh?.close();
    for (const c of clients) c.kill();
    tearDown();
    rmSync(dir, { recursive: true, force: true });
  });
  setUp(rules);
  // kube-proxy listens on a health check NodePort; so does the node here (else its stack resets the
  // connection and conntrack forgets it at once).
  const health = spawn(
    'ip',
    [
      'netns',
      'exec',
      names.node,
      process.execPath,
      '-e',
      "require('net').createServer((s) => s.end()).listen(32000, '192.168.0.2', () => console.log('listening'))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  clients.add(health);
  await new Promise<void>((resolve, reject) => {
    health.stdout?.once('data', () => resolve());
    health.once('exit', (code) => reject(new Error(`the health check listener exited (${code})`)));
  });
  sh = new NodeShell();
  const started = process.hrtime.bigint();
  // Where kube-proxy's test tracer (--semantics kube-proxy-test) and the kernel part.
  const parted: string[] = [];

  for (const [name, origin, src, proto, dst, dport, want] of probes) {
    // On the node, counters and conntrack start from zero; then the client: curl bound to the source
    // (a 3 s connect limit; the answer is read long before), or one datagram from bash. Each says
    // on stderr when it sends (curl's "Trying" comes just before its connect()).
    const reset = await sh.run(
      'conntrack -F >/dev/null 2>&1; iptables -Z && iptables -t nat -Z && echo zeroed',
    );
    if (reset !== 'zeroed\n') throw new Error(`could not zero the counters: ${reset}`);
    const client = spawn(
      'ip',
      [
        'netns',
        'exec',
        names[origin],
        'timeout',
        '5',
        ...(proto === 'tcp'
          ? [
              'curl',
              '-sv',
              '-o',
              '/dev/null',
              '--interface',
              src,
              '--connect-timeout',
              '3',
              `http://${dst}:${dport}/`,
            ]
          : ['bash', '-c', `exec 3>/dev/udp/${dst}/${dport} && echo probe >&3 && echo '* Trying: sent' >&2`]),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    clients.add(client);
    const exited = new Promise<number | null>((resolve) => client.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      let err = '';
      client.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('Trying')) resolve();
      });
      client.on('exit', () => resolve());
    });
    // The kernel has decided when a DROP or REJECT rule counted the packet, or when conntrack holds
    // its entry (the node's own packet to a local address: once it has come back in through INPUT).
    let k = await readKernel(sh);
    let verdict: string | undefined;
    let entry: ReturnType<typeof entryOf>;
    for (let tries = 0; tries < 250; tries++) {
      const counted = [...k.counters].filter(([, n]) => n > 0).map(([key]) => textOf.get(key) ?? '');
      if (counted.some((r) => r.endsWith(' -j DROP'))) verdict = 'DROP';
      else if (counted.some((r) => / -j REJECT\b/.test(r))) verdict = 'REJECT';
      else {
        entry = entryOf(k, proto, src, dst, dport);
        const back = entry !== undefined && origin === 'node' && nodeLocal(entry.replySrc);
        if (
          entry !== undefined &&
          (!back || (k.counters.get(place('filter', '-A INPUT -j KUBE-FIREWALL')) ?? 0) > 0)
        ) {
          verdict = entry.replySrc !== dst || entry.replySport !== dport ? 'DNAT' : 'ACCEPT';
        }
      }
      if (verdict !== undefined) break;
      await new Promise((r) => setTimeout(r, 20));
      k = await readKernel(sh);
    }
    client.kill();
    await exited;
    clients.delete(client);

    const text = traceOnNode(
      store,
      traceRequest({ ...flags, src, dst, dport: String(dport), proto, seed: '1' }),
    ).output;
    const lines = text.split('\n');
    const value = (key: string) => lines.find((l) => l.startsWith(`${key}: `))?.slice(key.length + 2);
    const listed = lines
      .map((l) => /^ {2}(\w+) +(-A .*)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => place(m[1]!, m[2]!));
    const endpoints = value('endpoints') === '<none>' ? [] : (value('endpoints') ?? '').split(', ');
    const kernelEndpoint = verdict === 'DNAT' ? `${entry!.replySrc}:${entry!.replySport}` : undefined;
    t.same(
      {
        verdict: value('verdict'),
        endpoint: kernelEndpoint === undefined ? undefined : endpoints.includes(kernelEndpoint),
        masquerade: value('masquerade'),
      },
      {
        verdict,
        endpoint: kernelEndpoint === undefined ? undefined : true,
        masquerade: String(
          entry !== undefined && verdict !== 'REJECT' && verdict !== 'DROP' && entry.replyDst !== src,
        ),
      },
      `${name}: netlab and the kernel (${verdict} ${kernelEndpoint ?? ''})`,
    );
    t.equal(verdict, want, `${name}: ${want}`);
    const test = traceOnNode(
      store,
      traceRequest({
        ...flags,
        src,
        dst,
        dport: String(dport),
        proto,
        seed: '1',
        semantics: 'kube-proxy-test',
      }),
    ).output;
    if (!test.includes(`\nverdict: ${verdict}\n`)) parted.push(name);
    // Rules: what the kernel counted, netlab lists; what netlab lists for a one-path packet, the
    // kernel counted (with two endpoints netlab also lists the other endpoint's rules).
    const counted = [...k.counters].filter(([key, n]) => n > 0 && !stateless.has(key)).map(([key]) => key);
    const missing = counted.filter((key) => !listed.includes(key)).map((key) => textOf.get(key));
    t.same(missing, [], `${name}: every rule the kernel counted is listed`);
    if (endpoints.length <= 1) {
      const extra = listed.filter((key) => !(k.counters.get(key)! > 0)).map((key) => textOf.get(key));
      t.same(extra, [], `${name}: every rule listed, the kernel counted`);
    }
  }
  t.same(
    parted,
    ['node to the external IP of a Service without endpoints'],
    "kube-proxy's test tracer parts from the kernel where the issue says",
  );
  t.comment(`${probes.length} connections in ${Number(process.hrtime.bigint() - started) / 1e9} s`);
});
