// The edges of reading an address, one table for every reader in netlab. Two Go readers are
// mirrored, each by the programs that use it:
// - net.ParseIP / net.ParseCIDR as host-local v1.1.1 is built (Go 1.19): an IPv4 field with a
//   leading zero is refused; CIDRs print as types.IPNet does (host bits kept).
// - netutils.ParseIPSloppy / ParseCIDRSloppy (k8s.io/utils/net, Go 1.16's parser): kube-apiserver's
//   IP and CIDR fields and kube-proxy read objects with it, leading zeros read as decimal.
// Both: an IPv4-mapped IPv6 address is IPv4 (`To4() != nil`, netutils.IPFamilyOf); an IPv4-compatible
// one (`::1.2.3.4`) is IPv6 and prints in hex; zones, brackets, spaces and trailing dots are refused;
// a CIDR's length is a run of decimal digits (`/08` is 8), and its network is the address masked.
// - net.ParseIP since Go 1.22, which is netip.ParseAddr without a zone: CoreDNS v1.14 reads with it
//   (cluster DNS's index keys, IP-valued names). It differs from Go 1.19's where a row says so.
import t from 'tap';
import type { Pod, Service } from '../../api/index.js';
import { validateCIDR, validateIP, validateNonSpecialIP } from '../../api/validation-meta.js';
import { ipFromKey, ipKey } from '../../dns/zone/names.js';
import { ServiceIPAllocator } from '../../ipam/index.js';
import { endpointSlicesForService } from '../../lab/controllers/endpointslice.js';
import { formatAddr, parseAddr, parseCIDRSloppy, parseIPSloppy } from '../../proxy/ruletable/address.js';
import {
  formatGoIP,
  formatGoIPNet,
  formatGoNetwork,
  goNetwork,
  type IP,
  ipFamilyOfCIDRString,
  ipFamilyOfString,
  isIPv6String,
  parseGoCIDR,
  parseGoCIDRSloppy,
  parseGoIP,
  parseGoIPNetip,
  parseGoIPSloppy,
} from '../../std/index.js';

const shown = (ip: IP | null) => (ip === null ? null : `${ip.v4 ? 'IPv4' : 'IPv6'} ${formatGoIP(ip)}`);

// [input, net.ParseIP (Go 1.19), netutils.ParseIPSloppy, net.ParseIP since Go 1.22 where it differs
// from Go 1.19's]: family and Go's String(), null for nil.
const ips: [input: string, parseIP: string | null, sloppy: string | null, netip?: string | null][] = [
  ['10.1.2.3', 'IPv4 10.1.2.3', 'IPv4 10.1.2.3'],
  ['0.0.0.0', 'IPv4 0.0.0.0', 'IPv4 0.0.0.0'],
  ['010.1.2.3', null, 'IPv4 10.1.2.3'], // leading zero: decimal to Go 1.16, refused since Go 1.17
  ['10.1.2.03', null, 'IPv4 10.1.2.3'],
  ['0010.1.2.3', null, 'IPv4 10.1.2.3'], // four digits: any run of digits is one field
  ['00000000010.1.2.3', null, 'IPv4 10.1.2.3'],
  ['10.1.2.256', null, null],
  ['10.1.2', null, null],
  ['10.1.2.3.4', null, null],
  ['10.1.2.3.', null, null], // trailing dot
  ['.10.1.2.3', null, null],
  ['10..2.3', null, null],
  ['0x0a.1.2.3', null, null],
  ['', null, null],
  [' 10.1.2.3', null, null], // no trimming: callers that trim (kube-proxy's CIDR lists) do it first
  ['10.1.2.3 ', null, null],
  ['10.1.2.3\n', null, null],
  ['::ffff:10.1.2.3', 'IPv4 10.1.2.3', 'IPv4 10.1.2.3'], // IPv4-mapped is IPv4 (netip: an IPv6 Addr, Is4In6)
  ['::ffff:a01:203', 'IPv4 10.1.2.3', 'IPv4 10.1.2.3'], // the same, in hex
  ['::ffff:010.1.2.3', null, 'IPv4 10.1.2.3'], // the embedded IPv4 is read by the same rule
  ['::ffff:10.1.2.256', null, null],
  ['::10.1.2.3', 'IPv6 ::a01:203', 'IPv6 ::a01:203'], // IPv4-compatible stays IPv6
  ['64:ff9b::10.1.2.3', 'IPv6 64:ff9b::a01:203', 'IPv6 64:ff9b::a01:203'],
  ['1:2:3:4:5:6:10.1.2.3', 'IPv6 1:2:3:4:5:6:a01:203', 'IPv6 1:2:3:4:5:6:a01:203'],
  ['1:2:3:4:5:10.1.2.3', null, null], // embedded IPv4 only as the last 32 bits
  ['1:2:3:4:5:6:7:10.1.2.3', null, null],
  ['10.1.2.3::', null, null],
  ['fd00::1', 'IPv6 fd00::1', 'IPv6 fd00::1'],
  ['FD00::A', 'IPv6 fd00::a', 'IPv6 fd00::a'],
  ['fd00:0:0:0:0:0:0:1', 'IPv6 fd00::1', 'IPv6 fd00::1'],
  ['::', 'IPv6 ::', 'IPv6 ::'],
  ['1:2:3:4:5:6:7::', 'IPv6 1:2:3:4:5:6:7:0', 'IPv6 1:2:3:4:5:6:7:0'],
  ['::1:2:3:4:5:6:7:8', null, null],
  ['1::2::3', null, null],
  ['1:2:3:4:5:6:7:8:9', null, null],
  ['00001::1', 'IPv6 1::1', 'IPv6 1::1', null], // five hex digits, value <= ffff: netip refuses them
  ['0001::1', 'IPv6 1::1', 'IPv6 1::1'],
  ['10000::1', null, null],
  ['fe80::1%eth0', null, null], // a zone (netip.ParseAddr keeps it; net.ParseIP never)
  ['[fd00::1]', null, null],
  [':1', null, null],
];

t.test('net.ParseIP and netutils.ParseIPSloppy at the edges', async (t) => {
  for (const [input, strict, sloppy] of ips) {
    t.equal(shown(parseGoIP(input)), strict, `ParseIP(${JSON.stringify(input)})`);
    t.equal(shown(parseGoIPSloppy(input)), sloppy, `ParseIPSloppy(${JSON.stringify(input)})`);
  }
});

t.test('net.ParseIP since Go 1.22, and cluster DNS reading with it', async (t) => {
  for (const [input, strict, , differs] of ips) {
    const q = JSON.stringify(input);
    const want = differs === undefined ? strict : differs;
    t.equal(shown(parseGoIPNetip(input)), want, `ParseIP, Go 1.22 (${q})`);
    const key = ipKey(input);
    t.equal(key === '' ? null : ipFromKey(key), want && want.split(' ')[1]!, `dns ipKey(${q})`);
  }
});

t.test('every sloppy reader answers as ParseIPSloppy', async (t) => {
  for (const [input, , sloppy] of ips) {
    const q = JSON.stringify(input);
    const family = sloppy?.split(' ')[0];
    // kube-apiserver: IsValidIP and the family rules of Services, Nodes and EndpointSlices.
    t.equal(validateIP('spec.clusterIP', input).length === 0, sloppy !== null, `api validateIP(${q})`);
    t.equal(ipFamilyOfString(input), family, `IPFamilyOfString(${q})`);
    t.equal(isIPv6String(input), family === 'IPv6', `IsIPv6String(${q})`);
    // kube-proxy: addresses of Services and EndpointSlices, and the packets it matches.
    const p = parseIPSloppy(input);
    t.equal(p && `${p.family} ${p.text}`, sloppy, `proxy parseIPSloppy(${q})`);
    const a = parseAddr(input);
    t.equal(
      a === undefined ? null : `${a.v6 ? 'IPv6' : 'IPv4'} ${formatAddr(a)}`,
      sloppy,
      `proxy parseAddr(${q})`,
    );
  }
});

t.test("ValidateNonSpecialIP: net.IP's IsUnspecified, IsLoopback, IsLinkLocal*", async (t) => {
  // Go's predicates look at To4() first, so an IPv4-mapped address is classed as its IPv4 address;
  // IPv6 link-local multicast is ff02 under the flags nibble mask (ff12::1 too).
  const cases: [input: string, special: string | null][] = [
    ['10.1.2.3', null],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['127.1.2.3', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['::2', null],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', null],
    ['224.0.0.251', 'link-local multicast'],
    ['224.0.1.1', null],
    ['ff02::fb', 'link-local multicast'],
    ['ff12::1', 'link-local multicast'],
    ['ff05::1', null],
  ];
  const kind = (detail: string) =>
    ['unspecified', 'loopback', 'link-local multicast', 'link-local'].find((k) => detail.includes(`${k} `)) ??
    detail;
  for (const [input, special] of cases)
    t.same(
      validateNonSpecialIP('endpoints[0]', input).map((e) => kind(e.detail)),
      special === null ? [] : [special],
      input,
    );
});

t.test('an IPv4-mapped address is the IPv4 address to the Service allocator', async (t) => {
  const a = new ServiceIPAllocator('10.96.0.0/12');
  a.allocate('::ffff:10.96.0.5');
  t.equal(a.has('10.96.0.5'), true, 'an IPv4 range holds the mapped form of its addresses');
  t.equal(new ServiceIPAllocator('fd00::/108').contains('::ffff:10.96.0.5'), false, 'an IPv6 range does not');
});

// [input, net.ParseCIDR as host-local keeps it (types.IPNet), netutils.ParseCIDRSloppy's network].
const cidrs: [input: string, parseCIDR: string | null, sloppy: string | null][] = [
  ['10.0.0.0/8', '10.0.0.0/8', 'IPv4 10.0.0.0/8'],
  ['10.1.2.3/8', '10.1.2.3/8', 'IPv4 10.0.0.0/8'], // host bits: kept by types.ParseCIDR, masked in the *IPNet
  ['10.1.2.3/32', '10.1.2.3/32', 'IPv4 10.1.2.3/32'],
  ['0.0.0.0/0', '0.0.0.0/0', 'IPv4 0.0.0.0/0'],
  ['10.0.0.0/33', null, null],
  ['10.0.0.0/08', '10.0.0.0/8', 'IPv4 10.0.0.0/8'], // the length is decimal digits (netip.ParsePrefix: refused)
  ['10.0.0.0/0008', '10.0.0.0/8', 'IPv4 10.0.0.0/8'],
  ['010.0.0.0/8', null, 'IPv4 10.0.0.0/8'],
  ['10.0.0.0', null, null],
  ['10.0.0.0/', null, null],
  ['/8', null, null],
  ['10.0.0.0/-1', null, null],
  ['10.0.0.0/+8', null, null],
  ['10.0.0.0/8/8', null, null],
  ['10.0.0.0/255.0.0.0', null, null], // a dotted mask is iptables' form, not Go's
  [' 10.0.0.0/8', null, null],
  ['10.0.0.0/8 ', null, null],
  ['fd00::1/64', 'fd00::1/64', 'IPv6 fd00::/64'],
  ['fd00::/128', 'fd00::/128', 'IPv6 fd00::/128'],
  ['fd00::/129', null, null],
  ['fe80::%eth0/64', null, null],
  ['::ffff:10.0.0.0/104', '10.0.0.0/8', 'IPv4 10.0.0.0/8'], // IPv4-mapped: /96 and more is IPv4
  ['::ffff:10.1.2.3/128', '10.1.2.3/32', 'IPv4 10.1.2.3/32'],
  ['::ffff:10.0.0.0/64', '10.0.0.0/0', 'IPv6 ::/64'], // the mask clears the mapping's ffff
  ['::ffff:10.0.0.0/88', '10.0.0.0/0', 'IPv6 ::ff00:0:0/88'],
  ['::10.0.0.0/104', '::a00:0/104', 'IPv6 ::a00:0/104'],
];

t.test('net.ParseCIDR and netutils.ParseCIDRSloppy at the edges', async (t) => {
  for (const [input, strict, sloppy] of cidrs) {
    const q = JSON.stringify(input);
    const s = parseGoCIDR(input);
    t.equal(s && formatGoIPNet(s), strict, `ParseCIDR(${q})`);
    const l = parseGoCIDRSloppy(input);
    const net = l && goNetwork(l);
    t.equal(net && `${net.ip.v4 ? 'IPv4' : 'IPv6'} ${formatGoNetwork(net)}`, sloppy, `ParseCIDRSloppy(${q})`);
  }
});

t.test('every sloppy CIDR reader answers as ParseCIDRSloppy', async (t) => {
  for (const [input, , sloppy] of cidrs) {
    const q = JSON.stringify(input);
    t.equal(validateCIDR('spec.podCIDR', input).length === 0, sloppy !== null, `api validateCIDR(${q})`);
    t.equal(ipFamilyOfCIDRString(input), sloppy?.split(' ')[0], `IPFamilyOfCIDRString(${q})`);
    const p = parseCIDRSloppy(input);
    t.equal(p && `${p.family} ${p.text}`, sloppy, `proxy parseCIDRSloppy(${q})`);
  }
});

// The EndpointSlice controller sorts a Pod's IPs into slices by netutils.IsIPv6String.
t.test('EndpointSlice address types follow IsIPv6String', async (t) => {
  const cases: [podIPs: string[], v4: string[], v6: string[]][] = [
    [['10.1.2.3', 'fd00::3'], ['10.1.2.3'], ['fd00::3']],
    [['::ffff:10.1.2.3'], ['::ffff:10.1.2.3'], []],
  ];
  for (const [ips, v4, v6] of cases) {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default', labels: { app: 'a' } },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
      status: {
        phase: 'Running',
        podIP: ips[0],
        podIPs: ips.map((ip) => ({ ip })),
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    } as Pod;
    const svc = (family: 'IPv4' | 'IPv6') =>
      ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 's', namespace: 'default' },
        spec: { selector: { app: 'a' }, ipFamilies: [family], ports: [{ port: 80, protocol: 'TCP' }] },
      }) as Service;
    const addrs = (family: 'IPv4' | 'IPv6') =>
      endpointSlicesForService(
        svc(family),
        [pod],
        [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }],
      ).flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses));
    t.same({ v4: addrs('IPv4'), v6: addrs('IPv6') }, { v4, v6 }, ips.join(' '));
  }
});
