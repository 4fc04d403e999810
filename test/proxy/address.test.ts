// proxy's one address module (proxy/ruletable/address.ts): kube-proxy's sloppy reading of objects,
// iptables' reading of `-s`/`-d` arguments, and the host:port forms, each printed as Go prints it.
import t from 'tap';
import { parseAddr } from '../../proxy/index.js';
import {
  addrInCidr,
  cidrNetwork,
  formatAddr,
  isLoopback,
  parseCIDRSloppy,
  parseCidr,
  splitHostPort,
} from '../../proxy/ruletable/address.js';
import { joinHostPort } from '../../std/index.js';

t.test('parseAddr / formatAddr: sloppy IPv4, Go IPv6 (v4-mapped is IPv4)', async (t) => {
  const cases: [string, string | null][] = [
    ['0000010.1.1.1', '10.1.1.1'],
    ['1.2.3.4.5', null],
    ['1.2.3.', null],
    ['1.2.3.256', null],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::ffff:010.000.0.01', '10.0.0.1'],
    ['::1.2.3.4', '::102:304'],
    ['fd00::1.2.3.4', 'fd00::102:304'],
    ['::ffff:1.2.3.400', null],
    ['1:2:3:4:5:6:7:1.2.3.4', null],
    ['::1', '::1'],
    ['1::2::3', null],
    ['example.com', null],
  ];
  for (const [input, want] of cases) {
    const a = parseAddr(input);
    t.equal(a === undefined ? null : formatAddr(a), want, input);
  }
});

t.test('parseCidr: iptables arguments (bare address, prefix, dotted mask)', async (t) => {
  const cases: [string, string | null][] = [
    ['10.180.0.1', '10.180.0.1/32'],
    ['10.0.0.5/8', '10.0.0.0/8'],
    ['192.168.1.7/255.255.255.0', '192.168.1.0/24'],
    ['192.168.1.7/255.0.255.0', null],
    ['2001:db8::1/48', '2001:db8::/48'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['10.0.0.0/33', null],
  ];
  for (const [input, want] of cases) {
    const c = parseCidr(input);
    t.equal(c === undefined ? null : `${formatAddr(cidrNetwork(c))}/${c.prefix}`, want, input);
  }
  const pods = parseCidr('10.0.0.0/8')!;
  t.equal(addrInCidr(pods, parseAddr('10.255.1.1')!), true, 'inside');
  t.equal(addrInCidr(pods, parseAddr('11.0.0.1')!), false, 'outside');
  t.equal(addrInCidr(pods, parseAddr('::a00:1')!), false, 'another family');
});

t.test(
  'parseCIDRSloppy: a v4-mapped prefix of /96 or more is an IPv4 CIDR, a shorter one IPv6',
  async (t) => {
    const cases: [string, string | null][] = [
      ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
      ['::ffff:10.0.0.0/96', '0.0.0.0/0'],
      ['::ffff:10.0.0.0/95', '::fffe:0:0/95'],
      ['::ffff:10.0.0.0/64', '::/64'],
    ];
    for (const [input, want] of cases) t.equal(parseCIDRSloppy(input)?.text ?? null, want, input);
  },
);

t.test('loopback, host:port', async (t) => {
  const loop: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['128.0.0.1', false],
    ['::1', true],
    ['::2', false],
  ];
  for (const [ip, want] of loop) t.equal(isLoopback(parseAddr(ip)!), want, ip);
  t.equal(joinHostPort('10.180.0.1', 80), '10.180.0.1:80');
  t.equal(joinHostPort('fd00::1', 80), '[fd00::1]:80');
  t.same(splitHostPort('[fd00::1]:80'), { ip: 'fd00::1', port: 80 });
  t.same(splitHostPort('10.180.0.1:80'), { ip: '10.180.0.1', port: 80 });
  t.same(splitHostPort('10.180.0.1'), { ip: '10.180.0.1', port: undefined });
});
