import t from 'tap';
import {
  InvalidNameserverError,
  InvalidQueryNameError,
  NoNameserverError,
  ResolverError,
} from '../../dns/errors.js';
import { defaultResolvOptions, type Libc, parseNameserver, resolve } from '../../dns/index.js';
import { searchPlan } from '../../dns/resolver/search.js';

const k8s = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];
const long = `${'l'.repeat(60)}.${'m'.repeat(60)}.${'n'.repeat(60)}.example`; // 192 chars

interface Case {
  name: string;
  search?: string[];
  ndots: number;
  libc: Libc;
  noTldQuery?: boolean;
  plan: string;
}

const cases: Case[] = [
  {
    name: 'web',
    ndots: 5,
    libc: 'glibc',
    plan: `search web.default.svc.cluster.local.
search web.svc.cluster.local.
search web.cluster.local.
as-is-last web.`,
  },
  {
    name: 'web',
    ndots: 5,
    libc: 'musl',
    plan: `search web.default.svc.cluster.local.
search web.svc.cluster.local.
search web.cluster.local.
as-is-last web.`,
  },
  {
    // 4 dots < 5: even a full service name walks the search list first.
    name: 'kubernetes.default.svc.cluster.local',
    ndots: 5,
    libc: 'glibc',
    plan: `search kubernetes.default.svc.cluster.local.default.svc.cluster.local.
search kubernetes.default.svc.cluster.local.svc.cluster.local.
search kubernetes.default.svc.cluster.local.cluster.local.
as-is-last kubernetes.default.svc.cluster.local.`,
  },
  {
    name: 'kubernetes.default.svc.cluster.local',
    ndots: 4,
    libc: 'glibc',
    plan: `as-is-first kubernetes.default.svc.cluster.local.
search kubernetes.default.svc.cluster.local.default.svc.cluster.local.
search kubernetes.default.svc.cluster.local.svc.cluster.local.
search kubernetes.default.svc.cluster.local.cluster.local.`,
  },
  {
    name: 'kubernetes.default.svc.cluster.local',
    ndots: 4,
    libc: 'musl',
    plan: 'as-is-first kubernetes.default.svc.cluster.local.',
  },
  { name: 'api.stripe.com.', ndots: 5, libc: 'glibc', plan: 'as-is-first api.stripe.com.' },
  { name: 'api.stripe.com.', ndots: 5, libc: 'musl', plan: 'as-is-first api.stripe.com.' },
  {
    // ndots above 15 is 15 in both libcs.
    name: 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p',
    search: ['x'],
    ndots: 20,
    libc: 'glibc',
    plan: `as-is-first a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.
search a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.x.`,
  },
  {
    // A "." search domain is the root: glibc queries the bare name there and not again at the end.
    name: 'web',
    search: ['default.svc.cluster.local', '.'],
    ndots: 5,
    libc: 'glibc',
    plan: `search web.default.svc.cluster.local.
search web.`,
  },
  {
    // musl builds "web.." for it, which is not a name: skipped.
    name: 'web',
    search: ['default.svc.cluster.local', '.'],
    ndots: 5,
    libc: 'musl',
    plan: `search web.default.svc.cluster.local.
as-is-last web.`,
  },
  { name: 'web', search: [], ndots: 1, libc: 'glibc', plan: 'as-is-last web.' },
  {
    name: 'web',
    ndots: 5,
    libc: 'glibc',
    noTldQuery: true,
    plan: `search web.default.svc.cluster.local.
search web.svc.cluster.local.
search web.cluster.local.`,
  },
  {
    name: long,
    search: ['default.svc.cluster.local', `${'z'.repeat(60)}.example`],
    ndots: 5,
    libc: 'glibc',
    plan: `search ${long}.default.svc.cluster.local.
search ${long}.${'z'.repeat(60)}.example. (too long)
as-is-last ${long}.`,
  },
  {
    name: long,
    search: ['default.svc.cluster.local', `${'z'.repeat(60)}.example`],
    ndots: 5,
    libc: 'musl',
    plan: `search ${long}.default.svc.cluster.local.
as-is-last ${long}.`,
  },
  {
    // 8 domains of 30 characters: a 254-character search line still reaches musl...
    name: 'web',
    search: Array.from({ length: 8 }, (_, i) => `d${i}.${'a'.repeat(27)}`),
    ndots: 5,
    libc: 'musl',
    plan: `${Array.from({ length: 8 }, (_, i) => `search web.d${i}.${'a'.repeat(27)}.`).join('\n')}
as-is-last web.`,
  },
  {
    // ...one more character and musl drops the whole line; glibc reads any length.
    name: 'web',
    search: [...Array.from({ length: 7 }, (_, i) => `d${i}.${'a'.repeat(27)}`), `d7.${'a'.repeat(28)}`],
    ndots: 5,
    libc: 'musl',
    plan: 'as-is-last web.',
  },
];

t.test('search plans', async (t) => {
  for (const c of cases) {
    const steps = searchPlan(
      c.name,
      c.search ?? k8s,
      c.ndots,
      c.libc,
      c.noTldQuery ? { noTldQuery: true } : {},
    );
    t.equal(
      steps.map((s) => `${s.kind} ${s.name}${s.tooLong ? ' (too long)' : ''}`).join('\n'),
      c.plan,
      `${c.libc} ndots:${c.ndots} ${c.name.length > 40 ? `${c.name.slice(0, 20)}…` : c.name}`,
    );
  }
});

t.test('errors: stable codes, messages that name the source and the field', async (t) => {
  const cases: { err: ResolverError; code: string; message: string }[] = [
    {
      err: new InvalidNameserverError('--server', 'x'),
      code: 'NETLAB_DNS_RESOLVER_NAMESERVER',
      message: '--server: invalid nameserver "x": want IP, IP:PORT or [IPv6]:PORT',
    },
    {
      err: new InvalidQueryNameError('a..b', 'empty label'),
      code: 'NETLAB_DNS_RESOLVER_NAME',
      message: 'invalid name "a..b": empty label',
    },
    {
      err: new NoNameserverError('pod.conf'),
      code: 'NETLAB_DNS_RESOLVER_NO_NAMESERVER',
      message: 'pod.conf: no nameserver configured',
    },
  ];
  for (const c of cases) {
    t.ok(c.err instanceof ResolverError, c.code);
    t.equal(c.err.code, c.code);
    t.equal(c.err.message, c.message);
    t.equal(c.err.name, c.err.constructor.name);
  }
  // Where they come from.
  t.throws(() => parseNameserver('10.0.0.1:99999', 'resolv.conf'), {
    code: 'NETLAB_DNS_RESOLVER_NAMESERVER',
  });
  t.same(parseNameserver('[fd00::10]:5353', 'x'), { address: 'fd00::10', port: 5353 });
  t.same(parseNameserver('fd00::10', 'x'), { address: 'fd00::10', port: 53 });
  await t.rejects(
    resolve(
      'web',
      {
        nameservers: [],
        search: [],
        options: { ...defaultResolvOptions },
      },
      { source: 'pod.conf' },
    ),
    {
      code: 'NETLAB_DNS_RESOLVER_NO_NAMESERVER',
    },
  );
  await t.rejects(
    resolve(`${'a'.repeat(64)}.example`, {
      nameservers: ['127.0.0.1'],
      search: [],
      options: { ...defaultResolvOptions },
    }),
    {
      code: 'NETLAB_DNS_RESOLVER_NAME',
    },
  );
});
