// Go's net.ParseIP / ParseCIDR next to netutils' sloppy forms: they differ only on IPv4 fields with
// leading zeros, which kube-proxy (Go 1.16's rule) reads as decimal and Go 1.17+ rejects.
import t from 'tap';
import {
  formatGoIP,
  formatGoIPNet,
  parseGoCIDR,
  parseGoCIDRSloppy,
  parseGoIP,
  parseGoIPSloppy,
} from '../../std/index.js';

t.test('ParseIP and ParseIPSloppy', async (t) => {
  const cases: [input: string, strict: string | null, sloppy: string | null][] = [
    ['10.180.0.1', '10.180.0.1', '10.180.0.1'],
    ['10.180.00.001', null, '10.180.0.1'],
    ['010.1.1.1', null, '10.1.1.1'],
    ['::ffff:010.1.1.1', null, '10.1.1.1'],
    ['fd00::1', 'fd00::1', 'fd00::1'],
    ['10.1.1.256', null, null],
    ['10.1.1', null, null],
    ['nope', null, null],
  ];
  for (const [input, strict, sloppy] of cases) {
    const s = parseGoIP(input);
    const l = parseGoIPSloppy(input);
    t.equal(s && formatGoIP(s), strict, `ParseIP(${input})`);
    t.equal(l && formatGoIP(l), sloppy, `ParseIPSloppy(${input})`);
  }
});

t.test('ParseCIDR and ParseCIDRSloppy', async (t) => {
  const cases: [input: string, strict: string | null, sloppy: string | null][] = [
    ['10.0.0.0/8', '10.0.0.0/8', '10.0.0.0/8'],
    ['010.0.0.0/8', null, '10.0.0.0/8'],
    ['10.0.0.0/33', null, null],
    ['fd00::/64', 'fd00::/64', 'fd00::/64'],
  ];
  for (const [input, strict, sloppy] of cases) {
    const s = parseGoCIDR(input);
    const l = parseGoCIDRSloppy(input);
    t.equal(s && formatGoIPNet(s), strict, `ParseCIDR(${input})`);
    t.equal(l && formatGoIPNet(l), sloppy, `ParseCIDRSloppy(${input})`);
  }
});
