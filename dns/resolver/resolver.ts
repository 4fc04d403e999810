// The stub resolver: getaddrinfo(name, AF_UNSPEC) as glibc or musl performs it against the
// nameservers of a resolv.conf, returning the addresses and the trace of every query it sent.
//
// Each name of the search plan (search.ts) costs one "pair": A and AAAA sent together. What a pair
// is worth, and whether the walk goes on, follows the C code:
//   glibc __res_context_query / __res_context_search: a pair is a hit if either reply is NOERROR
//     with answers; else NXDOMAIN and NODATA walk on, SERVFAIL (of the A reply) walks on, anything
//     else (REFUSED, timeouts) ends the search list — but the as-is name is still tried at the end
//     if it was not tried first (a refused connection, ECONNREFUSED, ends everything). Per pair: UDP to each nameserver in turn, `attempts` rounds,
//     SERVFAIL/REFUSED/NOTIMP from every reply moves on to the next server; TC=1 -> both queries
//     again over one TCP connection to the same server.
//   musl name_from_dns / __res_msend_rc: only NOERROR and NXDOMAIN replies are accepted; SERVFAIL
//     is re-sent at once (2 x questions times per retry interval), anything else is ignored and
//     the query times out; unanswered questions are re-sent every timeout/attempts. The pair is
//     NXDOMAIN (walk on) only if the A reply (then the AAAA reply) says so; a missing reply ends
//     the walk with EAI_AGAIN, NOERROR without addresses with EAI_NONAME. TC=1 -> that query
//     again over TCP (musl >= 1.2.4; `muslTcp: false` for older, which take the truncated reply).
// Both models were checked query by query against Debian's glibc 2.36 and musl 1.2.3
// (test/dns/resolver-interop.test.ts).
// The trace lists queries in the order they were sent; queries sent together are listed in
// question order (A, then AAAA), so a trace depends on the answers and never on timing.
import { isIP } from 'node:net';
import type dnsPacket from 'dns-packet';
import { InvalidQueryNameError, NoNameserverError } from '../errors.js';
import type { ResolvConf } from './resolvconf.js';
import { type Libc, maxNdots, type SearchStep, searchPlan } from './search.js';
import {
  formatNameserver,
  type Nameserver,
  type Outcome,
  type OutgoingQuery,
  parseNameserver,
  type QuestionType,
  type ResolverSockets,
  tcpExchange,
  udpExchange,
} from './transport.js';

export type { Libc } from './search.js';

/** rcode names (RFC 1035 / 6895) and the two outcomes that have no rcode. */
const rcodeNames = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];
export function rcodeName(rcode: number): string {
  return rcodeNames[rcode] ?? `RCODE${rcode}`;
}

export interface QueryTrace {
  /** The question name, absolute (trailing dot), as sent. */
  name: string;
  type: QuestionType;
  server: string;
  transport: 'udp' | 'tcp';
  /** The reply's rcode name, or TIMEOUT / ECONNREFUSED. */
  rcode: string;
  /** Records in the answer section. */
  answers: number;
  /** TC=1 in the reply. */
  truncated: boolean;
  /** What the resolver did with the reply, when it was not simply used. */
  note?: 'retried' | 'ignored';
  /** Milliseconds until the reply (or the give-up). */
  ms: number;
}

/** getaddrinfo's error for a failed lookup, with each libc's gai_strerror text. */
export interface GaiError {
  code: 'EAI_NONAME' | 'EAI_NODATA' | 'EAI_AGAIN' | 'EAI_FAIL' | 'EAI_ADDRFAMILY';
  message: string;
}

export type ResolveStatus = 'NOERROR' | 'NXDOMAIN' | 'NODATA' | 'SERVFAIL' | 'TIMEOUT' | 'FAIL';

export interface ResolveResult {
  /** The name asked for, as given. */
  query: string;
  libc: Libc;
  status: ResolveStatus;
  /** The name that answered (absolute), when one did. */
  answeredBy?: string;
  /** The answer records of the winning A and AAAA replies, in that order (CNAMEs included). */
  answers: dnsPacket.Answer[];
  /** The A and AAAA addresses among them. */
  addresses: string[];
  /** Search-plan names that cost at least one query. */
  namesTried: number;
  trace: QueryTrace[];
  error?: GaiError;
}

export interface ResolveOptions {
  libc?: Libc;
  /** AF_UNSPEC (A and AAAA, the default), AF_INET (A) or AF_INET6 (AAAA). */
  family?: 0 | 4 | 6;
  /** Port for nameservers given without one. Default 53. */
  defaultPort?: number;
  /** Seed for query IDs (deterministic, as everything random in netlab). */
  seed?: number;
  /** musl: retry a truncated reply over TCP (musl >= 1.2.4, the default); false for 1.2.3 and older. */
  muslTcp?: boolean;
  /** Where the configuration came from, for error messages. Default "resolv.conf". */
  source?: string;
  /** How queries reach the nameservers (a pod's: through the data plane). Default: real sockets. */
  sockets?: ResolverSockets;
}

const gaiMessages: Record<Libc, Record<GaiError['code'], string>> = {
  glibc: {
    EAI_NONAME: 'Name or service not known',
    EAI_NODATA: 'No address associated with hostname',
    EAI_AGAIN: 'Temporary failure in name resolution',
    EAI_FAIL: 'Non-recoverable failure in name resolution',
    EAI_ADDRFAMILY: 'Address family for hostname not supported',
  },
  musl: {
    EAI_NONAME: 'Name does not resolve',
    EAI_NODATA: 'Name has no usable address',
    EAI_AGAIN: 'Try again',
    EAI_FAIL: 'Non-recoverable error',
    EAI_ADDRFAMILY: 'Address family for hostname not supported',
  },
};

const statusGai: Record<Exclude<ResolveStatus, 'NOERROR'>, GaiError['code']> = {
  NXDOMAIN: 'EAI_NONAME',
  NODATA: 'EAI_NODATA',
  SERVFAIL: 'EAI_AGAIN',
  TIMEOUT: 'EAI_AGAIN',
  FAIL: 'EAI_FAIL',
};

function validateName(name: string): void {
  if (name === '' || name === '.') throw new InvalidQueryNameError(name, 'empty');
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length > 253) throw new InvalidQueryNameError(name, 'longer than 253 characters');
  for (const label of bare.split('.')) {
    if (label === '') throw new InvalidQueryNameError(name, 'empty label');
    if (label.length > 63)
      throw new InvalidQueryNameError(name, `label "${label}" is longer than 63 characters`);
  }
}

/** One reply slot of a pair: the outcome of the query that counted. */
type Slot = Outcome | undefined;

interface PairResult {
  slots: Slot[];
}

class Session {
  readonly trace: QueryTrace[] = [];
  private nextId: number;
  constructor(
    readonly libc: Libc,
    readonly conf: ResolvConf,
    readonly servers: Nameserver[],
    readonly types: QuestionType[],
    seed: number,
    readonly muslTcp: boolean,
    readonly sockets?: ResolverSockets,
  ) {
    this.nextId = seed & 0xffff;
  }

  id(): number {
    // A full-period LCG over 16 bits: distinct IDs, reproducible from the seed.
    this.nextId = (this.nextId * 25173 + 13849) & 0xffff;
    return this.nextId;
  }

  record(q: OutgoingQuery, server: Nameserver, transport: 'udp' | 'tcp', o: Outcome): QueryTrace {
    const entry: QueryTrace = {
      name: q.name,
      type: q.type,
      server: formatNameserver(server),
      transport,
      rcode:
        o.kind === 'reply' ? rcodeName(o.reply.rcode) : o.kind === 'timeout' ? 'TIMEOUT' : 'ECONNREFUSED',
      answers: o.kind === 'reply' ? (o.reply.packet.answers?.length ?? 0) : 0,
      truncated: o.kind === 'reply' && o.reply.truncated,
      ms: Math.round((o.kind === 'reply' ? o.reply.ms : o.ms) * 10) / 10,
    };
    this.trace.push(entry);
    return entry;
  }

  async exchange(server: Nameserver, queries: OutgoingQuery[], transport: 'udp' | 'tcp', timeoutMs: number) {
    // musl never sends EDNS; glibc only with `options edns0` (over TCP too: the query is the same).
    const wire = this.libc === 'glibc' && this.conf.options.edns0 ? { ednsUdpSize: 1200 } : {};
    const outcomes =
      transport === 'udp'
        ? await udpExchange(server, queries, timeoutMs, wire, this.sockets)
        : await tcpExchange(server, queries, timeoutMs, wire, this.sockets);
    return outcomes.map((o, i) => ({ outcome: o, entry: this.record(queries[i]!, server, transport, o) }));
  }

  private queries(name: string): OutgoingQuery[] {
    return this.types.map((type) => ({ id: this.id(), name, type }));
  }

  /** glibc __res_context_send for a pair. */
  async glibcPair(name: string): Promise<PairResult> {
    const opts = this.conf.options;
    const attempts = Math.min(Math.max(opts.attempts, 1), 5);
    const servers = this.servers.slice(0, 3);
    let last: Slot[] = this.types.map(() => undefined);
    for (let attempt = 0; attempt < attempts; attempt++) {
      for (const [ns, server] of servers.entries()) {
        // send_dg: `retrans << ns`, divided by the server count for every server but the first, at
        // least 1 s: the wait grows with the server's index, not with the try (measured: 1 server,
        // timeout:1 attempts:2 -> 1 s + 1 s). netlab allows under 1 s when the config says so (tests).
        let seconds = Math.min(opts.timeout, 30) * 2 ** ns;
        if (ns > 0)
          seconds = Number.isInteger(seconds)
            ? Math.floor(seconds / servers.length)
            : seconds / servers.length;
        const timeoutMs = Math.max(seconds, Math.min(1, opts.timeout)) * 1000;
        let transport: 'udp' | 'tcp' = opts.useVc ? 'tcp' : 'udp';
        let got = await this.exchange(server, this.queries(name), transport, timeoutMs);
        if (transport === 'udp' && got.some((g) => g.outcome.kind === 'reply' && g.outcome.reply.truncated)) {
          transport = 'tcp';
          got = await this.exchange(server, this.queries(name), transport, timeoutMs);
        }
        last = got.map((g) => g.outcome);
        const usable = got.some(
          (g) =>
            g.outcome.kind === 'reply' &&
            ![2, 4, 5].includes(g.outcome.reply.rcode) &&
            !g.outcome.reply.truncated,
        );
        if (usable) return { slots: last };
        // Every reply failed or none came: glibc moves on to the next server / round.
        for (const g of got) if (g.outcome.kind === 'reply') g.entry.note = 'retried';
      }
    }
    // The last round's replies stand (their notes say they were retried to no avail).
    for (const e of this.trace.slice(-this.types.length)) delete e.note;
    return { slots: last };
  }

  /** musl __res_msend_rc for a pair (A and AAAA to every nameserver at once). */
  async muslPair(name: string): Promise<PairResult> {
    const opts = this.conf.options;
    const attempts = Math.min(Math.max(opts.attempts, 1), 10);
    const timeoutMs = Math.min(opts.timeout, 60) * 1000;
    const retryIntervalMs = timeoutMs / attempts;
    const servers = this.servers.slice(0, 3);
    let servfailRetry = 0;
    const accepted: Slot[] = this.types.map(() => undefined);
    const acceptedFrom: (Nameserver | undefined)[] = this.types.map(() => undefined);
    const start = performance.now();
    for (let round = 0; round < attempts; round++) {
      const roundEnd = start + (round + 1) * retryIntervalMs;
      // Unanswered questions go to every nameserver.
      let toSend = this.types.map((_, i) => i).filter((i) => accepted[i] === undefined);
      let targets = servers;
      // Reset with every resend of the unanswered questions.
      servfailRetry = 2 * this.types.length;
      while (toSend.length > 0 && performance.now() < roundEnd) {
        const remaining = Math.max(1, roundEnd - performance.now());
        const resend: number[] = [];
        const resendTargets: Nameserver[] = [];
        const results = await Promise.all(
          targets.map((server) =>
            this.exchange(
              server,
              toSend.map((i) => ({ id: this.id(), name, type: this.types[i]! })),
              'udp',
              remaining,
            ).then((got) => ({ server, got })),
          ),
        );
        for (const { server, got } of results) {
          got.forEach((g, k) => {
            const i = toSend[k]!;
            const o = g.outcome;
            if (o.kind !== 'reply') return;
            if (accepted[i] !== undefined) {
              g.entry.note = 'ignored';
              return;
            }
            if (o.reply.rcode === 0 || o.reply.rcode === 3) {
              accepted[i] = o;
              acceptedFrom[i] = server;
              return;
            }
            if (o.reply.rcode === 2 && servfailRetry > 0) {
              servfailRetry--;
              g.entry.note = 'retried';
              resend.push(i);
              if (!resendTargets.includes(server)) resendTargets.push(server);
              return;
            }
            g.entry.note = 'ignored';
          });
        }
        toSend = resend.filter((i, k) => resend.indexOf(i) === k && accepted[i] === undefined);
        targets = resendTargets;
      }
      if (accepted.every((a) => a !== undefined)) break;
      const wait = roundEnd - performance.now();
      if (round < attempts - 1 && wait > 0) await sleep(wait);
    }
    // musl >= 1.2.4: a truncated reply is asked again over TCP, of the server that sent it.
    for (let i = 0; i < accepted.length && this.muslTcp; i++) {
      const a = accepted[i];
      if (a?.kind !== 'reply' || !a.reply.truncated) continue;
      const server = acceptedFrom[i]!;
      const [got] = await this.exchange(
        server,
        [{ id: this.id(), name, type: this.types[i]! }],
        'tcp',
        timeoutMs,
      );
      accepted[i] = got!.outcome.kind === 'reply' ? got!.outcome : undefined;
    }
    return { slots: accepted };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function reply(slot: Slot) {
  return slot?.kind === 'reply' ? slot.reply : undefined;
}

function hasAnswers(slot: Slot): boolean {
  const r = reply(slot);
  return r !== undefined && r.rcode === 0 && (r.packet.answers?.length ?? 0) > 0;
}

function addressesOf(slots: Slot[], types: QuestionType[]): string[] {
  const out: string[] = [];
  slots.forEach((s, i) => {
    for (const a of reply(s)?.packet.answers ?? []) {
      if (a.type === types[i] && (a.type === 'A' || a.type === 'AAAA')) out.push(a.data);
    }
  });
  return out;
}

/** glibc: what the pair means as h_errno (HOST_NOT_FOUND, NO_DATA, TRY_AGAIN, NO_RECOVERY). */
type GlibcVerdict = 'hit' | Failure;
type Failure = Exclude<ResolveStatus, 'NOERROR'>;

function glibcVerdict(slots: Slot[]): GlibcVerdict {
  if (slots.some(hasAnswers)) return 'hit';
  const first = reply(slots[0]);
  const second = reply(slots[1]) ?? first;
  // No reply at all (timeouts, refused connections): TRY_AGAIN, and the search list ends.
  if (!first && !second) return 'TIMEOUT';
  // No usable reply at all (every server failed): res_send failed -> TRY_AGAIN; the search walks
  // on only if the A reply in the buffer says SERVFAIL.
  if (slots.every((s) => s?.kind !== 'reply' || [2, 4, 5].includes(s.reply.rcode))) {
    return first?.rcode === 2 ? 'SERVFAIL' : 'TIMEOUT';
  }
  const a = first ?? second!;
  const b = second ?? first!;
  const rcode = a.rcode === 0 ? b.rcode : a.rcode;
  switch (rcode) {
    case 3:
      return 'NXDOMAIN';
    case 2:
      return 'SERVFAIL';
    case 0:
      return 'NODATA';
    default:
      return 'FAIL';
  }
}

/** musl: name_from_dns's return for the pair: 0 (walk on), a count, or an EAI code. */
function muslVerdict(
  slots: Slot[],
  types: QuestionType[],
): 'hit' | 'NXDOMAIN' | 'NODATA' | 'TIMEOUT' | 'FAIL' {
  for (const s of slots) {
    const r = reply(s);
    if (!r || r.rcode === 2) return 'TIMEOUT';
    if (r.rcode === 3) return 'NXDOMAIN';
    if (r.rcode !== 0) return 'FAIL';
  }
  return addressesOf(slots, types).length > 0 ? 'hit' : 'NODATA';
}

/**
 * Resolves `name` the way getaddrinfo does in a pod with resolv.conf `conf`.
 *
 * @example
 * const conf = parseResolvConf('search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1\noptions ndots:5\n');
 * const r = await resolve('web', conf, { libc: 'musl', defaultPort: 10053 });
 * r.trace.map((q) => `${q.name} ${q.type} ${q.rcode}`);
 */
export async function resolve(
  name: string,
  conf: ResolvConf,
  options: ResolveOptions = {},
): Promise<ResolveResult> {
  const libc = options.libc ?? 'glibc';
  const source = options.source ?? 'resolv.conf';
  // An address literal never reaches DNS: getaddrinfo parses it first (inet_aton / inet_pton).
  const literal = isIP(name);
  if (literal !== 0) {
    const family = options.family ?? 0;
    const fits = family === 0 || family === literal;
    const out: ResolveResult = {
      query: name,
      libc,
      status: fits ? 'NOERROR' : 'NODATA',
      answers: [],
      addresses: fits ? [name] : [],
      namesTried: 0,
      trace: [],
    };
    // Checked against glibc 2.36 and musl 1.2.3: an IPv4 literal asked for AF_INET6.
    const code = libc === 'glibc' ? 'EAI_ADDRFAMILY' : 'EAI_NONAME';
    if (!fits) out.error = { code, message: gaiMessages[libc][code] };
    return out;
  }
  validateName(name);
  const servers = conf.nameservers.map((ns) => parseNameserver(ns, source, options.defaultPort ?? 53));
  if (servers.length === 0) throw new NoNameserverError(source);
  const family = options.family ?? 0;
  let types: QuestionType[] = family === 4 ? ['A'] : family === 6 ? ['AAAA'] : ['A', 'AAAA'];
  if (libc === 'glibc' && conf.options.noAaaa) types = types.filter((t) => t === 'A');
  const session = new Session(
    libc,
    conf,
    servers,
    types,
    options.seed ?? 1,
    options.muslTcp ?? true,
    options.sockets,
  );
  const plan = searchPlan(name, conf.search, Math.min(conf.options.ndots, maxNdots), libc, {
    noTldQuery: conf.options.noTldQuery,
  });
  const result = libc === 'glibc' ? await walkGlibc(session, plan) : await walkMusl(session, plan);
  const out: ResolveResult = {
    query: name,
    libc,
    status: result.status,
    answers: [],
    addresses: [],
    namesTried: result.namesTried,
    trace: session.trace,
  };
  if (result.hit) {
    out.answeredBy = result.hit.name;
    // A CNAME answers both questions: list each record once.
    const seen = new Set<string>();
    out.answers = result.hit.slots
      .flatMap((s) => reply(s)?.packet.answers ?? [])
      .filter((a) => {
        const k = `${a.name.toLowerCase()} ${a.type} ${JSON.stringify((a as { data?: unknown }).data)}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    out.addresses = addressesOf(result.hit.slots, types);
    // glibc stops at any answer (a CNAME to nowhere included) but then finds no address in it.
    if (out.addresses.length === 0) out.status = 'NODATA';
  }
  if (out.status !== 'NOERROR') {
    // A name with records but no address is EAI_NONAME in musl always, and in glibc when the
    // records were there (a CNAME); glibc's NO_DATA (empty answers everywhere) is EAI_NODATA.
    const code =
      out.status === 'NODATA' && (libc === 'musl' || result.hit)
        ? 'EAI_NONAME'
        : statusGai[out.status as Failure];
    out.error = { code, message: gaiMessages[libc][code] };
  }
  return out;
}

interface WalkResult {
  status: ResolveStatus;
  hit?: { name: string; slots: Slot[] };
  namesTried: number;
}

async function walkGlibc(session: Session, plan: SearchStep[]): Promise<WalkResult> {
  let saved: Failure | undefined;
  let gotNodata = false;
  let gotServfail = false;
  let lastVerdict: Failure = 'NXDOMAIN';
  let namesTried = 0;
  let searchDone = false;
  for (const step of plan) {
    if (step.kind === 'search' && searchDone) continue;
    let verdict: GlibcVerdict;
    let slots: Slot[] = [];
    if (step.tooLong) {
      verdict = 'FAIL';
    } else {
      namesTried++;
      slots = (await session.glibcPair(step.name)).slots;
      verdict = glibcVerdict(slots);
    }
    if (verdict === 'hit') return { status: 'NOERROR', hit: { name: step.name, slots }, namesTried };
    lastVerdict = verdict;
    if (step.kind === 'as-is-first') {
      saved = verdict;
      continue;
    }
    if (step.kind === 'search') {
      // __res_context_search returns at once on ECONNREFUSED: no more names, not even the as-is one.
      if (slots.length > 0 && slots.every((s) => s?.kind === 'refused'))
        return { status: 'TIMEOUT', namesTried };
      if (verdict === 'NODATA') gotNodata = true;
      else if (verdict === 'SERVFAIL') gotServfail = true;
      else if (verdict !== 'NXDOMAIN') searchDone = true;
    }
  }
  return { status: saved ?? (gotNodata ? 'NODATA' : gotServfail ? 'SERVFAIL' : lastVerdict), namesTried };
}

async function walkMusl(session: Session, plan: SearchStep[]): Promise<WalkResult> {
  let namesTried = 0;
  let status: ResolveStatus = 'NXDOMAIN';
  for (const step of plan) {
    namesTried++;
    const { slots } = await session.muslPair(step.name);
    const verdict = muslVerdict(slots, session.types);
    if (verdict === 'hit') return { status: 'NOERROR', hit: { name: step.name, slots }, namesTried };
    status = verdict;
    if (verdict !== 'NXDOMAIN') break;
  }
  return { status, namesTried };
}
