// The README's tour, run exactly as written: every `$ ` line of its sh blocks, in order, in one shell,
// as a reader would type them (`npm start` first, the rest while it serves). It runs in a network
// and mount namespace of its own (unshare -n -m, a private /tmp and HOME), so the tour's fixed
// addresses (127.0.0.1:10053, 127.0.10.1:30080, ...) never meet another test's. Each command's
// output, and the output the README shows for it, must match the pattern in the table below.
import { spawn } from 'node:child_process';
import { accessSync, readFileSync } from 'node:fs';
import t from 'tap';
import { interopTest, missingCommand, missingExecutable, unshareDenied } from './index.js';

// The tour boots a whole lab (npm start) and waits for every pod: allow for a loaded machine.
t.setTimeout(600_000);

const root = new URL('../', import.meta.url).pathname;
const readme = readFileSync(`${root}README.md`, 'utf8');

interface TourCommand {
  command: string;
  /** The output the README shows under it. */
  shown: string;
}

/** The `$ ` lines of the sh blocks between `## Tour` and the next `## ` heading, with what follows each. */
export function tourCommands(text: string): TourCommand[] {
  const start = text.indexOf('\n## Tour\n');
  const end = text.indexOf('\n## ', start + 1);
  const tour = text.slice(start, end < 0 ? undefined : end);
  const out: TourCommand[] = [];
  for (const block of tour.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    for (const line of block[1]!.split('\n')) {
      if (line.startsWith('$ ')) out.push({ command: line.slice(2), shown: '' });
      else if (out.length > 0 && line !== '') {
        const last = out[out.length - 1]!;
        last.shown += `${line}\n`;
      }
    }
  }
  return out;
}

const podName = 'web-[a-z0-9]{8,10}-[a-z0-9]{5}';
const ip = String.raw`\d+\.\d+\.\d+\.\d+`;

// Each tour command and what its output (and the README's copy of it) must match.
const expected: [string, RegExp][] = [
  [
    'npm start',
    new RegExp(
      [
        '^netlab ready',
        'dns: 127\\.0\\.0\\.1:10053',
        'nodeports: node-1 127\\.0\\.10\\.1, node-2 127\\.0\\.10\\.2, node-3 127\\.0\\.10\\.3; ports 30080/TCP',
        'loadbalancers: <none>',
        'proxy: http://127\\.0\\.0\\.1:8080',
        'api: http://127\\.0\\.0\\.1:6443',
        'kubeconfig: \\S*/\\.netlab/kubeconfig',
        'try:',
        '  curl -s http://127\\.0\\.10\\.1:30080/hostname',
        '  dig @127\\.0\\.0\\.1 -p 10053 web\\.default\\.svc\\.cluster\\.local \\+short',
        '  npx netlab trace --live --proxy 127\\.0\\.0\\.1:8080$',
      ].join('\n'),
      'm',
    ),
  ],
  ['curl -s http://127.0.10.1:30080/hostname; echo', new RegExp(`^${podName}\n$`)],
  // Masqueraded: the pod sees node-2's InternalIP (kind's second host, 172.18.0.3).
  ['curl -s http://127.0.10.2:30080/clientip; echo', /^172\.18\.0\.3:\d+\n$/],
  // The forward proxy is the client pod default/netlab-client: the pod sees its pod IP.
  ['curl -s -x http://127.0.0.1:8080 http://web.default/clientip; echo', /^10\.244\.\d+\.\d+:\d+\n$/],
  ['dig @127.0.0.1 -p 10053 web.default.svc.cluster.local +short', /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+\n$/],
  ['dig @127.0.0.1 -p 10053 db-0.db.default.svc.cluster.local +short', /^10\.244\.\d+\.\d+\n$/],
  [
    'dig @127.0.0.1 -p 10053 _http._tcp.web.default.svc.cluster.local SRV +short',
    /^0 100 80 web\.default\.svc\.cluster\.local\.\n$/,
  ],
  [
    'npx netlab resolve api.example.com --namespace default --server 127.0.0.1:10053 | tail -1',
    /^;; api\.example\.com: \S+ \(glibc: 10 queries, 4 names tried\)/,
  ],
  [
    'npx netlab get endpointslices',
    new RegExp(
      [
        '^NAME +ADDRESSTYPE +PORTS +ENDPOINTS +AGE',
        'db-[a-z0-9]{5} +IPv4 +8080 +10\\.244\\.\\S+ +\\S+',
        'web-[a-z0-9]{5} +IPv4 +8080,8081 +10\\.244\\.\\S+ +\\S+',
        'web-nodeport-[a-z0-9]{5} +IPv4 +8080 +10\\.244\\.\\S+ +\\S+\n$',
      ].join('\n'),
    ),
  ],
  ['export KUBECONFIG=~/.netlab/kubeconfig', /^$/],
  [
    'kubectl get pods -o wide',
    new RegExp(
      [
        '^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES',
        `db-0 +1/1 +Running +0 +\\S+ +${ip} +node-\\d .*`,
        `db-1 +1/1 +Running .*`,
        `db-2 +1/1 +Running .*`,
        `netlab-client +1/1 +Running +0 +\\S+ +10\\.244\\.0\\.\\d+ +node-1 .*`,
        `${podName} +1/1 +Running .*`,
        `${podName} +1/1 +Running .*`,
        `${podName} +1/1 +Running .*\n$`,
      ].join('\n'),
    ),
  ],
  ['kubectl get nodes,services,endpointslices -A -o yaml > /tmp/lab.yaml', /^$/],
  [
    'npx netlab trace -f /tmp/lab.yaml --hostname-override node-2 --src 203.0.113.10 --dst 172.18.0.3 --dport 30080',
    new RegExp(
      [
        '^rules matched:',
        '  nat    -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '[\\s\\S]*',
        `endpoints: 10\\.244\\.\\d+\\.\\d+:8080, 10\\.244\\.\\d+\\.\\d+:8080, 10\\.244\\.\\d+\\.\\d+:8080`,
        'verdict: DNAT',
        'masquerade: true\n$',
      ].join('\n'),
    ),
  ],
  [
    'npx netlab cni add --conflist examples/pods.conflist --container-id web-1 --cache-dir /tmp/netlab-tour/cache',
    /"name": "eth0",\s+"mac": "ea:7e:c3:71:a9:50",\s+"sandbox": "\/run\/netns\/web-1"[\s\S]*"interface": 2,\s+"address": "10\.244\.0\.2\/24",\s+"gateway": "10\.244\.0\.1"/,
  ],
  [
    'npx netlab cni ip route --node node-a --data-dir /tmp/netlab-tour/flat',
    /^10\.244\.0\.0\/24 dev cni0 proto kernel scope link src 10\.244\.0\.1 ?\n192\.168\.49\.0\/24 dev eth0 proto kernel scope link src 192\.168\.49\.2 ?\n$/,
  ],
  [
    "ls /tmp/netlab-tour/ipam/pods          # host-local's own store layout, byte for byte",
    /^10\.244\.0\.2\s+last_reserved_ip\.0\s+lock\n$/,
  ],
];

const tour = tourCommands(readme);

t.test("the README tour's commands are this table's, in order", async (t) => {
  t.same(
    tour.map((c) => c.command),
    expected.map(([c]) => c),
  );
});

t.test('what the README shows under each command matches its pattern', async (t) => {
  for (const [i, [command, re]] of expected.entries()) {
    t.match(tour[i]?.shown ?? '', re, command);
  }
});

function missingBuild(): string | false {
  try {
    accessSync(`${root}dist/lab/cli.js`);
    return false;
  } catch {
    return 'no dist/lab/cli.js: run npm run build (npm test does)';
  }
}

const missing =
  unshareDenied('-n', '-m') ||
  missingBuild() ||
  missingExecutable('/usr/bin/curl', 'curl') ||
  missingCommand('dig', 'bind9-dnsutils') ||
  (missingCommand('kubectl', 'kubectl') &&
    'no kubectl on PATH (v1.32 from the Kubernetes release: dl.k8s.io)') ||
  missingCommand('ip', 'iproute2');

const marker = (i: number) => `@@tour ${i}@@`;

/**
 * The shell script: `npm start` in the background, its stdout read up to the end of the ready block,
 * then every other command as written, each after a marker line; then SIGINT to the lab and its exit.
 */
function script(commands: readonly string[]): string {
  const [first, ...rest] = commands;
  return [
    // A reader's shell, not the test runner's: tap's process tracking puts NODE_OPTIONS (an --import
    // hook) and its TAP variables into every child, npm its npm_config_* (the cache among them) and
    // node_modules/.bin on PATH. The first `npx netlab` of a fresh HOME installs this checkout into
    // npx's cache and runs its prepare script, which must not run under tap's hook.
    'for v in $(compgen -e); do case $v in NODE_OPTIONS|TAP*|_TAPJS*|npm_*|INIT_CWD) unset "$v";; esac; done',
    'PATH=$(printf %s "$PATH" | tr : "\\n" | grep -v node_modules/.bin | paste -sd:)',
    // A private /tmp; a checkout that itself lives under /tmp is bound back in at its own path.
    `root='${root.replace(/\/$/, '')}'`,
    'hold=; case "$root" in /tmp/*) hold=$(mktemp -d /run/netlab-tour-XXXXXX); mount --bind "$root" "$hold";; esac',
    'mount -t tmpfs tmpfs /tmp',
    'if [ -n "$hold" ]; then mkdir -p "$root"; mount --bind "$hold" "$root"; umount "$hold"; rmdir "$hold"; fi',
    'ip link set lo up',
    'export HOME="$(mktemp -d)"',
    `cd '${root}'`,
    // Job control: the lab runs in a process group of its own, which SIGINT reaches as Ctrl-C would.
    'set -m',
    'mkfifo /tmp/netlab-up.out',
    `${first} >/tmp/netlab-up.out 2>/tmp/netlab-up.err &`,
    'up=$!',
    'echo "@@up $up@@"',
    'exec 3</tmp/netlab-up.out',
    `echo '${marker(0)}'`,
    // The ready block ends with three try: lines.
    'n=-1; while IFS= read -r line <&3; do printf "%s\\n" "$line"; if [ "$line" = "try:" ]; then n=4; fi; if [ $n -ge 0 ]; then n=$((n-1)); [ $n -eq 0 ] && break; fi; done',
    ...rest.flatMap((c, i) => [`echo '${marker(i + 1)}'`, `${c} 2>&1`]),
    `echo '${marker(commands.length)}'`,
    // Ctrl-C: SIGINT to the lab's process group; netlab stops every pod and says so.
    'kill -INT -- -$up',
    'cat <&3',
    'cat /tmp/netlab-up.err',
  ].join('\n');
}

interopTest(
  t,
  'the README tour, run as written in a namespace of its own',
  missing,
  async (t) => {
    const commands = tour.map((c) => c.command);
    const child = spawn('unshare', ['-n', '-m', '--kill-child', 'bash', '-s'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    t.teardown(() => {
      // Whatever happened, nothing of the lab outlives the test.
      const group = /@@up (\d+)@@/.exec(out)?.[1];
      if (group !== undefined) {
        try {
          process.kill(-Number(group), 'SIGKILL');
        } catch {}
      }
      child.kill('SIGKILL');
    });
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    child.stdin.end(`${script(commands)}\n`);
    t.equal(await code, 0, `the shell exits 0${err ? `: ${err}` : ''}`);
    const outputs: string[] = [];
    for (let i = 0; i < commands.length; i++) {
      const from = out.indexOf(`${marker(i)}\n`);
      const to = out.indexOf(`${marker(i + 1)}\n`);
      outputs.push(from < 0 || to < 0 ? '' : out.slice(from + marker(i).length + 1, to));
    }
    for (const [i, [command, re]] of expected.entries()) t.match(outputs[i], re, command);
    const tail = out.slice(out.indexOf(`${marker(commands.length)}\n`));
    t.match(tail, /\nnetlab stopped\n/, 'SIGINT stops the lab cleanly');
  },
  { timeout: 540_000 },
);
