// host-local's own unit tests (containernetworking/plugins plugins/ipam/host-local: range_test,
// range_set_test, allocator_test, config_test, host_local_test), ported as tables, plus both stores behaving alike, GC, and Go's
// IP/JSON texts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { IPAllocator, RangeIter } from '../../ipam/hostlocal/allocator.js';
import { DiskStore, releaseDiskLocks } from '../../ipam/hostlocal/disk.js';
import {
  canonicalizeRange,
  canonicalizeRangeSet,
  type RangeInput,
  rangeContains,
  rangeFor,
  rangeSetString,
} from '../../ipam/hostlocal/range.js';
import {
  type HostLocalStore,
  hostLocalAdd,
  hostLocalCheck,
  hostLocalDel,
  hostLocalGC,
  loadIPAMConfig,
  MemoryStore,
} from '../../ipam/index.js';
import { formatGoIP, marshalIndentGo, parseGoCIDR, parseGoIP, parseGoJSON } from '../../std/index.js';
import { interopTest, missingCommand } from '../index.js';

const ip = (s: string) => {
  const x = parseGoIP(s);
  if (!x) throw new Error(`bad test IP ${s}`);
  return x;
};
const input = (
  subnet: string,
  extra: { rangeStart?: string; rangeEnd?: string; gateway?: string } = {},
): RangeInput => ({
  subnet: parseGoCIDR(subnet),
  rangeStart: extra.rangeStart ? ip(extra.rangeStart) : null,
  rangeEnd: extra.rangeEnd ? ip(extra.rangeEnd) : null,
  gateway: extra.gateway ? ip(extra.gateway) : null,
});
const errorOf = (fn: () => unknown): string => {
  try {
    fn();
    return '';
  } catch (err) {
    return (err as Error).message;
  }
};

t.test('Go IP parsing and printing', async (t) => {
  const rows: Array<[string, string | null]> = [
    ['10.244.1.2', '10.244.1.2'],
    ['10.96.0.010', null],
    ['::ffff:10.96.0.100', '10.96.0.100'],
    ['2001:0db8:0000:0001:0000:0000:0000:0010', '2001:db8:0:1::10'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['FD00:50::2', 'fd00:50::2'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['256.1.1.1', null],
    ['1.2.3', null],
    ['fe80::1%eth0', null],
    ['', null],
  ];
  for (const [s, want] of rows) {
    const got = parseGoIP(s);
    t.equal(got === null ? null : formatGoIP(got), want, s);
  }
});

t.test('range canonicalisation (range_test.go)', async (t) => {
  const rows: Array<{ r: RangeInput; want: string }> = [
    { r: input('192.0.2.0/24'), want: 'start 192.0.2.1 end 192.0.2.254 gw 192.0.2.1' },
    { r: input('192.0.2.0/25'), want: 'start 192.0.2.1 end 192.0.2.126 gw 192.0.2.1' },
    {
      r: input('2001:DB8:1::/64'),
      want: 'start 2001:db8:1::1 end 2001:db8:1:0:ffff:ffff:ffff:ffff gw 2001:db8:1::1',
    },
    {
      r: input('192.0.2.12/24'),
      want: 'Network has host bits set. For a subnet mask of length 24 the network address is 192.0.2.0',
    },
    {
      r: input('2001:DB8:1::24:19ff:fee1:c44a/64'),
      want: 'Network has host bits set. For a subnet mask of length 64 the network address is 2001:db8:1::',
    },
    {
      r: input('2001:DB8:24:19ff::/63'),
      want: 'Network has host bits set. For a subnet mask of length 63 the network address is 2001:db8:24:19fe::',
    },
    {
      r: input('192.168.127.0/23'),
      want: 'Network has host bits set. For a subnet mask of length 23 the network address is 192.168.126.0',
    },
    { r: input('192.0.2.0/31'), want: 'Network 192.0.2.0/31 too small to allocate from' },
    {
      r: input('192.0.2.0/24', { rangeStart: '192.0.3.0' }),
      want: 'RangeStart 192.0.3.0 not in network 192.0.2.0/24',
    },
    {
      r: input('192.0.2.0/24', { rangeEnd: '192.0.4.0' }),
      want: 'RangeEnd 192.0.4.0 not in network 192.0.2.0/24',
    },
    {
      r: input('192.0.2.0/24', { rangeStart: '192.0.2.50', rangeEnd: '192.0.2.40' }),
      want: 'RangeStart 192.0.2.50 not in network 192.0.2.0/24',
    },
    { r: { subnet: null, rangeStart: null, rangeEnd: null, gateway: null }, want: 'IP <nil> not v4 nor v6' },
  ];
  for (const { r, want } of rows) {
    let got: string;
    try {
      const c = canonicalizeRange(r);
      got = `start ${formatGoIP(c.rangeStart)} end ${formatGoIP(c.rangeEnd)} gw ${formatGoIP(c.gateway)}`;
    } catch (err) {
      got = (err as Error).message;
    }
    t.equal(got, want, want);
  }
});

t.test('Contains with start .40 / end .50, and overlap in a set', async (t) => {
  const r4 = canonicalizeRange(input('192.0.2.0/24', { rangeStart: '192.0.2.40', rangeEnd: '192.0.2.50' }));
  const r6 = canonicalizeRange(
    input('2001:db8:1::/64', { rangeStart: '2001:db8:1::40', rangeEnd: '2001:db8:1::50' }),
  );
  const rows: Array<[typeof r4, string, boolean]> = [
    [r4, '192.0.2.39', false],
    [r4, '192.0.2.40', true],
    [r4, '192.0.2.50', true],
    [r4, '192.0.2.51', false],
    [r4, '192.0.3.0', false],
    [r6, '2001:db8:1::39', false],
    [r6, '2001:db8:1::40', true],
    [r6, '2001:db8:1::50', true],
    [r6, '2001:db8:1::51', false],
  ];
  for (const [r, a, want] of rows) t.equal(rangeContains(r, ip(a)), want, a);

  const set = canonicalizeRangeSet([input('192.168.0.0/24'), input('172.16.1.0/24')]);
  t.equal(formatGoIP(rangeFor(set, ip('192.168.0.55'))!.network), '192.168.0.0');
  t.equal(rangeSetString(set), '192.168.0.1-192.168.0.254,172.16.1.1-172.16.1.254');
  t.equal(
    errorOf(() => canonicalizeRangeSet([input('192.168.0.0/20'), input('192.168.2.0/24')])),
    'subnets 192.168.0.1-192.168.15.254 and 192.168.2.1-192.168.2.254 overlap',
  );
  t.equal(
    errorOf(() => canonicalizeRangeSet([input('10.0.0.0/24'), input('fd00::/64')])),
    'mixed address families',
  );
  t.equal(
    errorOf(() => canonicalizeRangeSet([])),
    'empty range set',
  );
});

t.test('iteration (allocator_test.go, /29)', async (t) => {
  const set = canonicalizeRangeSet([input('192.168.1.0/29')]);
  const walk = (last: string | null) => {
    const it = new RangeIter(set, last ? ip(last) : null);
    const out: string[] = [];
    for (let c = it.next(); c !== null; c = it.next()) out.push(formatGoIP(c.ip));
    return out.join(' ');
  };
  t.equal(walk(null), '192.168.1.2 192.168.1.3 192.168.1.4 192.168.1.5 192.168.1.6');
  t.equal(walk('192.168.1.6'), '192.168.1.2 192.168.1.3 192.168.1.4 192.168.1.5 192.168.1.6');
  t.equal(walk('192.168.1.3'), '192.168.1.4 192.168.1.5 192.168.1.6 192.168.1.2 192.168.1.3');
});

t.test('Get table (allocator_test.go)', async (t) => {
  const rows: Array<{ subnets: string[]; taken?: string[]; last?: string; want: string }> = [
    { subnets: ['10.0.0.0/29'], want: '10.0.0.2/29' },
    { subnets: ['2001:db8:1::0/64'], want: '2001:db8:1::2/64' },
    { subnets: ['10.0.0.0/30'], want: '10.0.0.2/30' },
    { subnets: ['10.0.0.0/29'], taken: ['10.0.0.2'], want: '10.0.0.3/29' },
    { subnets: ['10.0.0.0/29'], last: '10.0.0.5', want: '10.0.0.6/29' },
    { subnets: ['10.0.0.0/29'], taken: ['10.0.0.4', '10.0.0.5'], last: '10.0.0.3', want: '10.0.0.6/29' },
    { subnets: ['10.0.0.0/29'], taken: ['10.0.0.6'], last: '10.0.0.5', want: '10.0.0.2/29' },
    { subnets: ['10.0.0.0/29'], taken: ['10.0.0.2'], last: '10.0.0.128', want: '10.0.0.3/29' },
    {
      subnets: ['10.0.0.0/29'],
      taken: ['10.0.0.2', '10.0.0.4', '10.0.0.5', '10.0.0.6'],
      last: '10.0.0.3',
      want: '10.0.0.3/29',
    },
    { subnets: ['10.0.0.0/30', '10.0.1.0/30'], want: '10.0.0.2/30' },
    { subnets: ['10.0.0.0/30', '10.0.1.0/30'], last: '10.0.0.2', want: '10.0.1.2/30' },
    { subnets: ['10.0.0.0/30', '10.0.1.0/30', '10.0.2.0/30'], last: '10.0.2.2', want: '10.0.0.2/30' },
    {
      subnets: ['10.0.0.0/30'],
      taken: ['10.0.0.2'],
      want: 'no IP addresses available in range set: 10.0.0.1-10.0.0.2',
    },
    {
      subnets: ['10.0.0.0/30', '10.0.1.0/30'],
      taken: ['10.0.0.2', '10.0.1.2'],
      want: 'no IP addresses available in range set: 10.0.0.1-10.0.0.2,10.0.1.1-10.0.1.2',
    },
  ];
  for (const r of rows) {
    const store = new MemoryStore();
    for (const x of r.taken ?? []) store.reserve('other', 'eth0', ip(x), '9');
    if (r.last) {
      store.reserve('seed', 'eth0', ip(r.last), '0');
      store.release(ip(r.last));
    }
    const alloc = new IPAllocator(canonicalizeRangeSet(r.subnets.map((s) => input(s))), store, 0);
    let got: string;
    try {
      const a = alloc.get('ID', 'eth0', null);
      got = `${formatGoIP(a.ip)}/${a.ones}`;
    } catch (err) {
      got = (err as Error).message;
    }
    t.equal(got, r.want, `${r.subnets.join(',')} taken=${(r.taken ?? []).join(',')} last=${r.last ?? '-'}`);
  }
});

t.test('allocator: round robin after release, requested addresses', async (t) => {
  const set = canonicalizeRangeSet([input('192.168.1.0/29')]);
  const store = new MemoryStore();
  const alloc = new IPAllocator(set, store, 0);
  const get = (id: string, req?: string) => {
    try {
      return formatGoIP(alloc.get(id, 'eth0', req ? ip(req) : null).ip);
    } catch (err) {
      return (err as Error).message;
    }
  };
  t.equal(get('ID'), '192.168.1.2');
  alloc.release('ID', 'eth0');
  t.equal(get('ID'), '192.168.1.3', 'round robin, not reuse');
  t.equal(get('ID'), '192.168.1.3 has been allocated to ID, duplicate allocation is not allowed');
  t.equal(get('R', '192.168.1.5'), '192.168.1.5');
  t.equal(
    get('R2', '192.168.1.5'),
    'requested IP address 192.168.1.5 is not available in range set 192.168.1.1-192.168.1.6',
  );
  t.equal(get('G', '192.168.1.1'), "requested ip 192.168.1.1 is subnet's gateway");
  t.equal(get('X', '192.168.1.7'), '192.168.1.7 not in range set 192.168.1.1-192.168.1.6');
});

t.test('config (config_test.go)', async (t) => {
  const conf = (o: object) => JSON.stringify({ cniVersion: '0.3.1', name: 'mynet', ...o });
  const rows: Array<{ name: string; stdin: string; args?: string; want: string }> = [
    {
      name: 'old style becomes one set',
      stdin: conf({
        ipam: { subnet: '10.1.2.0/24', rangeStart: '10.1.2.9', rangeEnd: '10.1.2.20', gateway: '10.1.2.30' },
      }),
      want: 'sets [10.1.2.9-10.1.2.20 gw 10.1.2.30] ips []',
    },
    {
      name: 'new style keeps per-range defaults',
      stdin: conf({
        ipam: {
          ranges: [[{ subnet: '10.1.2.0/24' }, { subnet: '10.1.4.0/24' }], [{ subnet: '11.1.2.0/24' }]],
        },
      }),
      want: 'sets [10.1.2.1-10.1.2.254 gw 10.1.2.1,10.1.4.1-10.1.4.254 gw 10.1.4.1][11.1.2.1-11.1.2.254 gw 11.1.2.1] ips []',
    },
    {
      name: 'runtimeConfig ipRanges, then old style, then ranges',
      stdin: conf({
        ipam: { subnet: '10.0.0.0/24', ranges: [[{ subnet: '10.1.0.0/24' }]] },
        runtimeConfig: { ipRanges: [[{ subnet: '10.2.0.0/24' }]] },
      }),
      want: 'sets [10.2.0.1-10.2.0.254 gw 10.2.0.1][10.0.0.1-10.0.0.254 gw 10.0.0.1][10.1.0.1-10.1.0.254 gw 10.1.0.1] ips []',
    },
    {
      name: 'env IP with a prefix, then args.cni.ips, then runtimeConfig.ips',
      stdin: conf({
        ipam: { ranges: [[{ subnet: '10.1.2.0/24' }]] },
        args: { cni: { ips: ['10.1.2.11', '11.11.11.11', '2001:db8:1::11'] } },
        runtimeConfig: { ips: ['192.168.0.5/24', '2001:db8::1/64'] },
      }),
      args: 'IP=10.1.2.10/24',
      want: 'sets [10.1.2.1-10.1.2.254 gw 10.1.2.1] ips [10.1.2.10 10.1.2.11 11.11.11.11 2001:db8:1::11 192.168.0.5 2001:db8::1]',
    },
    {
      name: 'overlap across sets',
      stdin: conf({ ipam: { ranges: [[{ subnet: '10.1.0.0/22' }], [{ subnet: '10.1.2.0/24' }]] } }),
      want: 'range set 0 overlaps with 1',
    },
    {
      name: 'overlap inside a set',
      stdin: conf({ ipam: { ranges: [[{ subnet: '10.1.0.0/22' }, { subnet: '10.1.2.0/24' }]] } }),
      want: 'invalid range set 0: subnets 10.1.0.1-10.1.3.254 and 10.1.2.1-10.1.2.254 overlap',
    },
    {
      name: '0.2.0 with two IPv4 sets',
      stdin: JSON.stringify({
        cniVersion: '0.2.0',
        name: 'n',
        ipam: { ranges: [[{ subnet: '10.1.0.0/24' }], [{ subnet: '10.2.0.0/24' }]] },
      }),
      want: 'CNI version 0.2.0 does not support more than 1 address per family',
    },
    {
      name: '0.2.0 with one set per family is fine',
      stdin: JSON.stringify({
        cniVersion: '0.2.0',
        name: 'n',
        ipam: { ranges: [[{ subnet: '10.1.0.0/24' }], [{ subnet: 'fd00::/64' }]] },
      }),
      want: 'sets [10.1.0.1-10.1.0.254 gw 10.1.0.1][fd00::1-fd00::ffff:ffff:ffff:ffff gw fd00::1] ips []',
    },
    {
      name: 'CNI_ARGS IgnoreUnknown value',
      stdin: conf({ ipam: {} }),
      args: 'IgnoreUnknown=yes',
      want: 'ARGS: error parsing value of pair "IgnoreUnknown=yes": boolean unmarshal error: invalid input yes',
    },
  ];
  for (const r of rows) {
    let got: string;
    try {
      const c = loadIPAMConfig(r.stdin, r.args ?? '');
      got =
        'sets ' +
        c.ranges
          .map(
            (s) =>
              '[' +
              s
                .map(
                  (x) => `${formatGoIP(x.rangeStart)}-${formatGoIP(x.rangeEnd)} gw ${formatGoIP(x.gateway)}`,
                )
                .join(',') +
              ']',
          )
          .join('') +
        ' ips [' +
        c.ipArgs.map(formatGoIP).join(' ') +
        ']';
    } catch (err) {
      got = (err as Error).message;
    }
    t.equal(got, r.want, r.name);
  }
});

/** The same command sequence on both stores gives the same answers. */
t.test('memory and disk stores behave alike', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'netlab-hostlocal-unit-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const stdin = JSON.stringify({
    cniVersion: '1.0.0',
    name: 'mynet',
    ipam: {
      dataDir: root,
      ranges: [[{ subnet: '10.1.2.0/24' }, { subnet: '10.2.2.0/24' }], [{ subnet: '2001:db8:1::0/64' }]],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
    },
  });
  const memory = new Map<string, MemoryStore>();
  const openMemory = (name: string) => {
    let s = memory.get(name);
    if (!s) {
      s = new MemoryStore();
      memory.set(name, s);
    }
    return s as HostLocalStore;
  };
  const script = (open: ((n: string, d: string) => HostLocalStore) | undefined) => {
    const out: string[] = [];
    const run = (what: string, fn: () => unknown) => {
      try {
        const r = fn();
        out.push(`${what}: ${r === undefined ? 'ok' : JSON.stringify(r)}`);
      } catch (err) {
        out.push(`${what}: ${(err as Error).message}`);
      }
    };
    const att = (containerID: string, ifName = 'eth0', args = '') => ({ containerID, ifName, args });
    run('add dummy', () => hostLocalAdd(stdin, att('dummy'), open));
    run('add dummy again', () => hostLocalAdd(stdin, att('dummy'), open));
    run('add dummy1', () => hostLocalAdd(stdin, att('dummy1'), open));
    run('check dummy', () => hostLocalCheck(stdin, att('dummy'), open));
    run('check nobody', () => hostLocalCheck(stdin, att('nobody'), open));
    run('del dummy', () => hostLocalDel(stdin, att('dummy'), open));
    run('del unknown', () => hostLocalDel(stdin, att('unknown'), open));
    run('add requested', () => hostLocalAdd(stdin, att('r1', 'eth0', 'IP=10.2.2.9'), open));
    run('gc keeps r1', () =>
      hostLocalGC(loadIPAMConfig(stdin, ''), [{ containerID: 'r1', ifname: 'eth0' }], open),
    );
    run('check dummy1 after gc', () => hostLocalCheck(stdin, att('dummy1'), open));
    return out;
  };
  const disk = script(undefined);
  const mem = script(openMemory);
  t.same(mem, disk, 'same answers');
  t.same(disk, [
    'add dummy: {"cniVersion":"1.0.0","ips":[{"address":"10.1.2.2/24","gateway":"10.1.2.1"},{"address":"2001:db8:1::2/64","gateway":"2001:db8:1::1"}],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}],"dns":{}}',
    'add dummy again: failed to allocate for range 0: 10.1.2.2 has been allocated to dummy, duplicate allocation is not allowed',
    'add dummy1: {"cniVersion":"1.0.0","ips":[{"address":"10.1.2.3/24","gateway":"10.1.2.1"},{"address":"2001:db8:1::3/64","gateway":"2001:db8:1::1"}],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}],"dns":{}}',
    'check dummy: ok',
    'check nobody: host-local: Failed to find address added by container nobody',
    'del dummy: ok',
    'del unknown: ok',
    'add requested: {"cniVersion":"1.0.0","ips":[{"address":"10.2.2.9/24","gateway":"10.2.2.1"},{"address":"2001:db8:1::4/64","gateway":"2001:db8:1::1"}],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}],"dns":{}}',
    'gc keeps r1: ["10.1.2.3","2001:db8:1::3"]',
    'check dummy1 after gc: host-local: Failed to find address added by container dummy1',
  ]);
  const dir = join(root, 'mynet');
  t.same(readdirSync(dir).sort(), [
    '10.2.2.9',
    '2001:db8:1::4',
    'last_reserved_ip.0',
    'last_reserved_ip.1',
    'lock',
  ]);
  t.equal(readFileSync(join(dir, '10.2.2.9'), 'latin1'), 'r1\r\neth0');
  t.equal(statSync(join(dir, 'lock')).mode & 0o777, 0o750);
});

t.test('legacy ID-only files: GC keeps them for a valid container, DEL removes them', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'netlab-hostlocal-legacy-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const stdin = JSON.stringify({
    cniVersion: '1.1.0',
    name: 'n',
    ipam: { dataDir: root, ranges: [[{ subnet: '10.9.0.0/24' }]] },
  });
  const store = new DiskStore('n', root);
  writeFileSync(join(store.dir, '10.9.0.7'), 'old');
  writeFileSync(join(store.dir, '10.9.0.8'), 'gone');
  const conf = loadIPAMConfig(stdin, '');
  t.same(hostLocalGC(conf, [{ containerID: 'old', ifname: 'eth0' }]), ['10.9.0.8']);
  hostLocalDel(stdin, { containerID: 'old', ifName: 'eth0', args: '' });
  t.same(readdirSync(store.dir).sort(), ['lock']);
});

t.test('Go JSON: syntax errors and printing', async (t) => {
  const rows: Array<[string, string]> = [
    ['', 'unexpected end of JSON input'],
    ['{"a":', 'unexpected end of JSON input'],
    ['1.', "invalid character ' ' after decimal point in numeric literal"],
    ['-', "invalid character ' ' in numeric literal"],
    ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b"}', "invalid character '\"' after object key:value pair"],
    ['[1 2]', "invalid character '2' after array element"],
    ['{1}', "invalid character '1' looking for beginning of object key string"],
    ['{"a":"\\q"}', "invalid character 'q' in string escape code"],
    ['"\\u12x4"', "invalid character 'x' in \\u hexadecimal character escape"],
    ['{} x', "invalid character 'x' after top-level value"],
    ["'", "invalid character '\\'' looking for beginning of value"],
    ['"a\tb"', "invalid character '\\t' in string literal"],
  ];
  for (const [src, want] of rows)
    t.equal(
      errorOf(() => parseGoJSON(src)),
      want,
      JSON.stringify(src),
    );
  const str = (src: string) => {
    const v = parseGoJSON(src);
    return v.kind === 'string' ? v.value : v.kind;
  };
  t.equal(str('"\\ud800x"'), '\ufffdx', 'a lone surrogate escape becomes U+FFFD');
  t.equal(str('"\\ud83d\\ude00"'), '\u{1f600}', 'a surrogate pair is one character');
  t.equal(str('"a\\u00e9\\n"'), 'a\u00e9\n');
  t.equal(
    marshalIndentGo({ a: 'x<y>&z\b\f\u2028', b: [], c: {}, d: [1, { e: null }] }),
    '{\n    "a": "x\\u003cy\\u003e\\u0026z\\u0008\\u000c\\u2028",\n    "b": [],\n    "c": {},\n    "d": [\n        1,\n        {\n            "e": null\n        }\n    ]\n}',
  );
});

t.test('every kind of failure carries its netlab code and host-local’s text', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'netlab-hostlocal-codes-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const cfg = (ipam: object) =>
    JSON.stringify({ cniVersion: '1.0.0', name: 'n', ipam: { dataDir: root, ...ipam } });
  const att = (containerID: string, args = '') => ({ containerID, ifName: 'eth0', args });
  const store = new MemoryStore();
  const open = () => store;
  hostLocalAdd(cfg({ ranges: [[{ subnet: '10.3.0.0/30' }]] }), att('a'), open);
  const rows: Array<{ fn: () => unknown; code: string; message: string }> = [
    {
      fn: () => loadIPAMConfig('{"name":"n"}', ''),
      code: 'NETLAB_IPAM_HOSTLOCAL_CONFIG',
      message: "IPAM config missing 'ipam' key",
    },
    {
      fn: () => loadIPAMConfig(cfg({}), 'x'),
      code: 'NETLAB_IPAM_HOSTLOCAL_ARGS',
      message: 'ARGS: invalid pair "x"',
    },
    {
      fn: () => loadIPAMConfig(cfg({ ranges: [[{ subnet: '10.0.0.0/31' }]] }), ''),
      code: 'NETLAB_IPAM_HOSTLOCAL_RANGE',
      message: 'invalid range set 0: Network 10.0.0.0/31 too small to allocate from',
    },
    {
      fn: () => hostLocalAdd(cfg({ ranges: [[{ subnet: '10.3.0.0/30' }]] }), att('b'), open),
      code: 'NETLAB_IPAM_HOSTLOCAL_EXHAUSTED',
      message: 'failed to allocate for range 0: no IP addresses available in range set: 10.3.0.1-10.3.0.2',
    },
    {
      fn: () => hostLocalAdd(cfg({ ranges: [[{ subnet: '10.3.0.0/30' }]] }), att('a'), open),
      code: 'NETLAB_IPAM_HOSTLOCAL_DUPLICATE',
      message:
        'failed to allocate for range 0: 10.3.0.2 has been allocated to a, duplicate allocation is not allowed',
    },
    {
      fn: () => hostLocalAdd(cfg({ ranges: [[{ subnet: '10.3.0.0/30' }]] }), att('c', 'IP=10.3.0.1'), open),
      code: 'NETLAB_IPAM_HOSTLOCAL_UNAVAILABLE',
      message: "failed to allocate for range 0: requested ip 10.3.0.1 is subnet's gateway",
    },
    {
      fn: () => hostLocalCheck(cfg({ ranges: [[{ subnet: '10.3.0.0/30' }]] }), att('zz'), open),
      code: 'NETLAB_IPAM_HOSTLOCAL_NOT_FOUND',
      message: 'host-local: Failed to find address added by container zz',
    },
    {
      fn: () =>
        hostLocalAdd(
          cfg({ ranges: [[{ subnet: '10.3.0.0/30' }]], resolvConf: join(root, 'none') }),
          att('d'),
          open,
        ),
      code: 'NETLAB_IPAM_HOSTLOCAL_STORE',
      message: `open ${join(root, 'none')}: no such file or directory`,
    },
  ];
  for (const r of rows) t.throws(r.fn, { name: 'HostLocalError', code: r.code, message: r.message }, r.code);
});

// The disk store's flock (taken by flock(1), kept until the event loop turns): another process's
// `flock -n` on the same lock file fails while ours is held and succeeds once it is released.
interopTest(
  t,
  'disk store flock: held through the synchronous burst, released when the loop turns',
  missingCommand('flock', 'util-linux'),
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-flock-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const stdin = JSON.stringify({
      cniVersion: '1.0.0',
      name: 'net1',
      ipam: { type: 'host-local', dataDir: dir, ranges: [[{ subnet: '10.244.1.0/24' }]] },
    });
    const other = () =>
      spawnSync('flock', ['-n', join(dir, 'net1', 'lock'), 'true']).status === 0 ? 'free' : 'held';
    const seen: string[] = [];
    const a = new DiskStore('net1', dir);
    a.lock();
    seen.push(`locked: ${other()}`);
    // A second store on the same directory in the same turn shares the lock (no wait for ourselves).
    const b = new DiskStore('net1', `${dir}/`);
    b.lock();
    b.unlock();
    a.unlock();
    seen.push(`unlocked, same turn: ${other()}`);
    hostLocalAdd(stdin, { containerID: 'c1', ifName: 'eth0', args: '' });
    hostLocalAdd(stdin, { containerID: 'c2', ifName: 'eth0', args: '' });
    seen.push(`two ADDs, same turn: ${other()}`);
    await new Promise((resolve) => setImmediate(resolve));
    seen.push(`next turn: ${other()}`);
    hostLocalAdd(stdin, { containerID: 'c3', ifName: 'eth0', args: '' });
    releaseDiskLocks();
    seen.push(`releaseDiskLocks: ${other()}`);
    t.same(seen, [
      'locked: held',
      'unlocked, same turn: held',
      'two ADDs, same turn: held',
      'next turn: free',
      'releaseDiskLocks: free',
    ]);
    t.same(
      readdirSync(join(dir, 'net1')).sort(),
      ['10.244.1.2', '10.244.1.3', '10.244.1.4', 'last_reserved_ip.0', 'lock'],
      'three addresses, nothing else',
    );
  },
);
