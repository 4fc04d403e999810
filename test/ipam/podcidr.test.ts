// Node podCIDRs as kube-controller-manager's range allocator gives them (cidrset_test.go cases).
import t from 'tap';
import { PodCIDRAllocator } from '../../ipam/index.js';
import { CIDRSet } from '../../ipam/podcidr/cidrset.js';
import {
  PodCIDRConfigError,
  PodCIDRExhaustedError,
  PodCIDROutOfRangeError,
} from '../../ipam/podcidr/errors.js';

t.test('default: 10.244.0.0/16 in /24s, round-robin, dual stack', async (t) => {
  const cases: Array<{
    name: string;
    opts: ConstructorParameters<typeof PodCIDRAllocator>[0];
    nodes: string[];
    want: string[][];
  }> = [
    {
      name: 'default cluster CIDR',
      opts: {},
      nodes: ['n0', 'n1', 'n2'],
      want: [['10.244.0.0/24'], ['10.244.1.0/24'], ['10.244.2.0/24']],
    },
    {
      name: 'dual stack: one block per family, IPv6 /64 by default',
      opts: { clusterCIDRs: ['10.244.0.0/16', 'fd00:10:244::/56'] },
      nodes: ['n0', 'n1'],
      want: [
        ['10.244.0.0/24', 'fd00:10:244::/64'],
        ['10.244.1.0/24', 'fd00:10:244:1::/64'],
      ],
    },
    {
      name: 'IPv6 only with a /120 node size',
      opts: { clusterCIDRs: ['fd00::/112'], nodeCIDRMaskSizeIPv6: 120 },
      nodes: ['a', 'b'],
      want: [['fd00::/120'], ['fd00::100/120']],
    },
    {
      name: 'node mask /26 in a /24',
      opts: { clusterCIDRs: ['192.168.0.0/24'], nodeCIDRMaskSizeIPv4: 26 },
      nodes: ['a', 'b', 'c', 'd'],
      want: [['192.168.0.0/26'], ['192.168.0.64/26'], ['192.168.0.128/26'], ['192.168.0.192/26']],
    },
  ];
  for (const c of cases) {
    const a = new PodCIDRAllocator(c.opts);
    t.same(
      c.nodes.map((n) => a.allocateOrOccupy(n)),
      c.want,
      c.name,
    );
  }
});

t.test('occupy, release, round-robin after release, exhaustion', async (t) => {
  const a = new PodCIDRAllocator({ clusterCIDRs: ['10.0.0.0/22'] });
  t.same(a.allocateOrOccupy('old', ['10.0.0.0/24']), ['10.0.0.0/24'], 'a node with a podCIDR keeps it');
  t.same(a.allocateOrOccupy('n1'), ['10.0.1.0/24'], 'the occupied block is skipped');
  t.same(a.allocateOrOccupy('n1'), ['10.0.1.0/24'], 'asking again for the same node gives its podCIDR');
  t.same(a.allocateOrOccupy('n2'), ['10.0.2.0/24']);
  a.release('n1');
  t.same(a.allocateOrOccupy('n3'), ['10.0.3.0/24'], 'round-robin: the freed block is not reused at once');
  t.same(a.allocateOrOccupy('n4'), ['10.0.1.0/24'], 'then the freed block');
  t.throws(() => a.allocateOrOccupy('n5'), new PodCIDRExhaustedError(), 'exhausted');
  t.equal(a.sets[0]!.usedCount, 4);
});

t.test('CIDRSet errors with kube-controller-manager texts', async (t) => {
  const rows: Array<{ name: string; fn: () => unknown; error: Error }> = [
    {
      name: 'bad cluster CIDR',
      fn: () => new CIDRSet('10.0.0.0', 24),
      error: new PodCIDRConfigError('invalid CIDR address: 10.0.0.0'),
    },
    {
      name: 'more than 2^16 blocks',
      fn: () => new CIDRSet('10.0.0.0/8', 25),
      error: new PodCIDRConfigError('New CIDR set failed; the node CIDR size is too big'),
    },
    {
      name: 'node mask larger than the cluster CIDR',
      fn: () => new CIDRSet('10.0.0.0/16', 8),
      error: new PodCIDRConfigError("node CIDR mask size 8 must be between the cluster CIDR's 16 and 32"),
    },
    {
      name: 'occupy outside the cluster CIDR',
      fn: () => new CIDRSet('10.0.0.0/16', 24).occupy('10.1.0.0/24'),
      error: new PodCIDROutOfRangeError('cidr 10.1.0.0/24 is out the range of cluster cidr 10.0.0.0/16'),
    },
    {
      name: 'two cluster CIDRs of one family',
      fn: () => new PodCIDRAllocator({ clusterCIDRs: ['10.0.0.0/16', '10.1.0.0/16'] }),
      error: new PodCIDRConfigError('the two cluster CIDRs must be of different families (dual stack)'),
    },
  ];
  for (const r of rows) t.throws(r.fn, { name: r.error.name, message: r.error.message }, r.name);
});

t.test('a /16 gives 256 distinct /24s, the 257th fails', async (t) => {
  const set = new CIDRSet('10.244.0.0/16', 24);
  const seen = new Set<string>();
  for (let i = 0; i < 256; i++) seen.add(set.allocateNext());
  t.equal(seen.size, 256);
  t.ok(seen.has('10.244.255.0/24'));
  t.throws(() => set.allocateNext(), { code: 'NETLAB_IPAM_PODCIDR_EXHAUSTED' });
});
