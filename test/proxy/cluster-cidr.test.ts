// --cluster-cidr as kube-proxy reads it: its config validation (one CIDR, or a dual-stack pair),
// then the CIDR of the node's family; none of that family is said, not silently ignored.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { clusterCIDRWarning, ProxierConfigError } from '../../proxy/index.js';
import { netlabInProcess } from '../index.js';

const noFamily = (value: string, family: string) =>
  `--cluster-cidr ${value} has no ${family} CIDR: kube-proxy on this ${family} node says "Detect-local-mode set to ClusterCIDR, but no cluster CIDR for family" and writes no rules that tell pod traffic by source`;
const dualStack = '(e.g. 10.100.0.0/16,fde4:8dba:82e1::/48)';

t.test('clusterCIDRWarning: kube-proxy validation, then the family', async (t) => {
  const cases: [value: string | undefined, family: 'IPv4' | 'IPv6', want: string | undefined][] = [
    [undefined, 'IPv4', undefined],
    ['', 'IPv4', undefined],
    ['10.0.0.0/8', 'IPv4', undefined],
    ['10.0.0.0/8,fd00::/48', 'IPv4', undefined],
    ['10.0.0.0/8,fd00::/48', 'IPv6', undefined],
    ['fd00::/48', 'IPv4', noFamily('fd00::/48', 'IPv4')],
    ['10.0.0.0/8', 'IPv6', noFamily('10.0.0.0/8', 'IPv6')],
    [
      '10.0.0.0/8,10.1.0.0/16',
      'IPv4',
      `error: --cluster-cidr: Invalid value: "10.0.0.0/8,10.1.0.0/16": must be a valid DualStack CIDR ${dualStack}`,
    ],
    [
      '10.0.0.0/8,fd00::/48,10.1.0.0/16',
      'IPv4',
      `error: --cluster-cidr: Invalid value: "10.0.0.0/8,fd00::/48,10.1.0.0/16": only one CIDR allowed or a valid DualStack CIDR ${dualStack}`,
    ],
    [
      '10.0.0.0/33',
      'IPv4',
      'error: --cluster-cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR block (e.g. 10.100.0.0/16 or fde4:8dba:82e1::/48)',
    ],
  ];
  for (const [value, family, want] of cases) {
    let got: string | undefined;
    try {
      got = clusterCIDRWarning(value, family);
    } catch (e) {
      t.ok(e instanceof ProxierConfigError, `${value}: a ProxierConfigError`);
      got = `error: ${(e as Error).message}`;
    }
    t.equal(got, want, `${value} on an ${family} node`);
  }
});

t.test('netlab iptables-save: a wrong-family --cluster-cidr is a warning, the payload stays', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-cidr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'svc.yaml');
  writeFileSync(
    file,
    'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {clusterIP: 10.96.0.5, ports: [{port: 80}]}\n',
  );
  const withV6 = await netlabInProcess(['iptables-save', '-f', file, '--cluster-cidr', 'fd00::/48']);
  const without = await netlabInProcess(['iptables-save', '-f', file]);
  t.equal(withV6.code, 0, 'exit 0');
  t.equal(withV6.stderr, `warning: ${noFamily('fd00::/48', 'IPv4')}\n`, 'one warning line');
  t.equal(withV6.stdout, without.stdout, 'the same payload as without the flag');
});
