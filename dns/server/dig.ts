// `netlab dig`: one question to a DNS server, printed the way dig (bind9-dnsutils 9.18) prints it.
// Asking is in `dig`; printing is pure (`formatDig`, `formatRR`) so tests can hold the exact text.
import type { Answer, DecodedPacket } from 'dns-packet';
import dnsPacket from 'dns-packet';
import { DigNameError } from '../errors.js';
import { typeName } from './server.js';
import { formatHostPort, type HostPort, Upstream } from './upstream.js';
import { buildQuery, OUR_UDP_SIZE } from './wire.js';

export interface DigOptions {
  server: HostPort;
  tcp?: boolean;
  short?: boolean;
  /** Send an OPT (dig's default, with +bufsize); false is dig's +noedns. */
  edns?: boolean;
  bufsize?: number;
  timeoutMs?: number;
  /** The transaction ID; default derived from the question so runs are reproducible. */
  id?: number;
  /** Clock for the WHEN line and query time (tests fix it). */
  now?: () => Date;
}

export interface DigResult {
  /** What dig prints. */
  text: string;
  /** dig's exit status: 0 a reply arrived (any rcode), 9 no reply. */
  exitCode: number;
  response: DecodedPacket | null;
}

const typeNumbers: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  DS: 43,
  DNSKEY: 48,
  SVCB: 64,
  HTTPS: 65,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
};

/** `A`, `srv`, `TYPE65` -> the type number, or null. */
export function parseQType(s: string): number | null {
  const u = s.toUpperCase();
  if (u in typeNumbers) return typeNumbers[u]!;
  const m = /^TYPE(\d{1,5})$/.exec(u);
  return m && Number(m[1]) <= 65535 ? Number(m[1]) : null;
}

function questionId(name: string, qtype: number): number {
  let h = qtype;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 31) + name.charCodeAt(i)) & 0xffff;
  return h;
}

function fq(name: string): string {
  return name.endsWith('.') ? name : name + '.';
}

/** The rdata of one record in presentation format. */
export function formatRdata(a: Answer): string {
  switch (a.type) {
    case 'A':
    case 'AAAA':
      return a.data;
    case 'CNAME':
    case 'PTR':
    case 'NS':
    case 'DNAME':
      return fq(a.data);
    case 'SRV':
      return `${a.data.priority ?? 0} ${a.data.weight ?? 0} ${a.data.port} ${fq(a.data.target)}`;
    case 'SOA': {
      const d = a.data;
      return `${fq(d.mname)} ${fq(d.rname)} ${d.serial ?? 0} ${d.refresh ?? 0} ${d.retry ?? 0} ${d.expire ?? 0} ${d.minimum ?? 0}`;
    }
    case 'MX':
      return `${a.data.preference ?? 0} ${fq(a.data.exchange)}`;
    case 'TXT': {
      const parts = Array.isArray(a.data) ? a.data : [a.data];
      return parts.map((p) => JSON.stringify(p.toString())).join(' ');
    }
    default: {
      const d = 'data' in a ? a.data : undefined;
      if (Buffer.isBuffer(d))
        return `\\# ${d.length}${d.length ? ' ' + d.toString('hex').toUpperCase() : ''}`;
      return JSON.stringify(d);
    }
  }
}

/** `owner.\tTTL\tIN\tTYPE\trdata`: one record as zone-file text, fields tab-separated. */
export function formatRR(a: Answer): string {
  const ttl = 'ttl' in a ? (a.ttl ?? 0) : 0;
  return `${fq(a.name)}\t${ttl}\tIN\t${a.type}\t${formatRdata(a)}`;
}

// dig's layout (bind's masterdump.c `indent`): TTL at column 24, class at 32, type at 40, rdata at
// 48, tab width 8; a field already past its column is moved to one past where it stands. The
// question's leading ';' is not counted.
function columns(first: string, fields: [string, number][], start = 0): string {
  let out = first;
  let current = first.length - start;
  for (const [text, col] of fields) {
    const to = Math.max(col, current + 1);
    const ntabs = Math.max(Math.floor(to / 8) - Math.floor(current / 8), 0);
    const nspaces = ntabs > 0 ? to % 8 : to - current;
    out += '\t'.repeat(ntabs) + ' '.repeat(nspaces) + text;
    current = to + text.length;
  }
  return out;
}

/** One record as dig lays it out. */
export function formatRRDig(a: Answer): string {
  const ttl = 'ttl' in a ? (a.ttl ?? 0) : 0;
  return columns(fq(a.name), [
    [String(ttl), 24],
    ['IN', 32],
    [a.type, 40],
    [formatRdata(a), 48],
  ]);
}

const flagOrder: [keyof DecodedPacket, string][] = [
  ['flag_qr', 'qr'],
  ['flag_aa', 'aa'],
  ['flag_tc', 'tc'],
  ['flag_rd', 'rd'],
  ['flag_ra', 'ra'],
  ['flag_ad', 'ad'],
  ['flag_cd', 'cd'],
];

export interface DigMeta {
  name: string;
  qtype: number;
  server: HostPort;
  via: 'udp' | 'tcp';
  elapsedMs: number;
  when: Date;
  size: number;
  retriedTcp: boolean;
}

/** The full dig output for a response (pure). */
export function formatDig(res: DecodedPacket, meta: DigMeta): string {
  const hdr = res as DecodedPacket & { opcode?: string; rcode?: string };
  const out: string[] = [];
  out.push(`; <<>> netlab dig <<>> @${formatHostPort(meta.server)} ${meta.name} ${typeName(meta.qtype)}`);
  if (meta.retriedTcp) out.push(';; Truncated, retrying in TCP mode.');
  out.push(';; global options: +cmd', ';; Got answer:');
  out.push(
    `;; ->>HEADER<<- opcode: ${hdr.opcode ?? 'QUERY'}, status: ${hdr.rcode ?? 'NOERROR'}, id: ${res.id ?? 0}`,
  );
  const flags = flagOrder.filter(([k]) => res[k] === true).map(([, n]) => n);
  const additionals = res.additionals ?? [];
  const opt = additionals.find((a) => a.type === 'OPT') as
    | { udpPayloadSize?: number; ednsVersion?: number; flag_do?: boolean }
    | undefined;
  const extra = additionals.filter((a) => a.type !== 'OPT');
  out.push(
    `;; flags: ${flags.join(' ')}; QUERY: ${res.questions?.length ?? 0}, ANSWER: ${res.answers?.length ?? 0}, ` +
      `AUTHORITY: ${res.authorities?.length ?? 0}, ADDITIONAL: ${additionals.length}`,
  );
  if (res.flag_rd && !res.flag_ra) out.push(';; WARNING: recursion requested but not available');
  out.push('');
  if (opt) {
    out.push(';; OPT PSEUDOSECTION:');
    out.push(
      `; EDNS: version: ${opt.ednsVersion ?? 0}, flags:${opt.flag_do ? ' do' : ''}; udp: ${opt.udpPayloadSize ?? 0}`,
    );
  }
  out.push(';; QUESTION SECTION:');
  for (const q of res.questions ?? []) {
    out.push(
      columns(
        `;${fq(q.name)}`,
        [
          ['IN', 32],
          [q.type, 40],
        ],
        1,
      ),
    );
  }
  const section = (title: string, rrs: Answer[]) => {
    if (rrs.length === 0) return;
    out.push('', `;; ${title} SECTION:`, ...rrs.map(formatRRDig));
  };
  section('ANSWER', res.answers ?? []);
  section('AUTHORITY', res.authorities ?? []);
  section('ADDITIONAL', extra);
  out.push('');
  out.push(`;; Query time: ${Math.round(meta.elapsedMs)} msec`);
  const host = meta.server.host;
  out.push(`;; SERVER: ${host}#${meta.server.port}(${host}) (${meta.via.toUpperCase()})`);
  out.push(`;; WHEN: ${digWhen(meta.when)}`);
  out.push(`;; MSG SIZE  rcvd: ${meta.size}`);
  return out.join('\n') + '\n\n';
}

/** +short: the rdata of each answer, one a line. */
export function formatShort(res: DecodedPacket): string {
  return (res.answers ?? []).map((a) => formatRdata(a) + '\n').join('');
}

/**
 * Why dig refuses a name, in bind's words, or undefined when it is legal. bind's dns_name_fromtext
 * reads the text left to right into at most 255 wire bytes (a length byte per label, the root's zero
 * byte included): a 64th byte in one label is `label too long`, a byte past 255 `ran out of space`,
 * a label with nothing in it before a dot `empty label`, no name at all `unexpected end of input`.
 * `\.`, `\\` and `\DDD` are one byte each; a lone `.` is the root.
 */
export function digNameProblem(name: string): string | undefined {
  if (name === '') return 'unexpected end of input';
  if (name === '.') return undefined;
  let room = 255;
  let label = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === '.') {
      if (label === 0) return 'empty label';
      label = 0;
      continue;
    }
    if (c === '\\') {
      const ddd = /^\d{3}/.exec(name.slice(i + 1));
      i += ddd !== null ? 3 : 1;
    }
    if (label === 0) {
      // The label's length byte.
      if (room === 0) return 'ran out of space';
      room--;
    }
    if (label === 63) return 'label too long';
    if (room === 0) return 'ran out of space';
    room--;
    label++;
  }
  // The root label's zero byte.
  if (room === 0) return 'ran out of space';
  return undefined;
}

/**
 * Asks one question; over UDP first, again over TCP when the reply is truncated (unless +tcp). One
 * try, as `dig +tries=1`. Throws DigNameError (dig's exit status 10) for a name dig refuses.
 */
export async function dig(name: string, qtype: number, opts: DigOptions): Promise<DigResult> {
  const problem = digNameProblem(name);
  if (problem !== undefined) throw new DigNameError(name, problem);
  const now = opts.now ?? (() => new Date());
  const edns = opts.edns ?? true;
  const query = buildQuery(name, qtype, {
    id: opts.id ?? questionId(name, qtype),
    udpSize: edns ? (opts.bufsize ?? OUR_UDP_SIZE) : null,
  });
  const upstream = new Upstream(opts.server, opts.timeoutMs ?? 5000);
  const started = performance.now();
  let via: 'udp' | 'tcp' = opts.tcp ? 'tcp' : 'udp';
  let got = await upstream.attempt(query, via);
  let retriedTcp = false;
  if ('reply' in got && via === 'udp' && got.reply.length >= 4 && (got.reply[2]! & 0x02) !== 0) {
    retriedTcp = true;
    via = 'tcp';
    got = await upstream.attempt(query, via);
  }
  const elapsedMs = performance.now() - started;
  if ('error' in got)
    return { text: noReply(name, qtype, opts.server, via, got.error), exitCode: 9, response: null };
  const raw = got.reply;
  let res: DecodedPacket;
  try {
    res = dnsPacket.decode(raw);
  } catch (e) {
    return { text: `;; Got bad packet: ${(e as Error).message}\n`, exitCode: 9, response: null };
  }
  const text = opts.short
    ? formatShort(res)
    : formatDig(res, {
        name,
        qtype,
        server: opts.server,
        via,
        elapsedMs,
        when: now(),
        size: raw.length,
        retriedTcp,
      });
  return { text, exitCode: 0, response: res };
}

/**
 * What dig prints when no reply came (as `dig +tries=1`): over UDP the failure, then the banner and
 * `no servers could be reached`; over TCP the failed connection and `no servers could be reached`.
 * The server is written as dig writes it, `IP#PORT`.
 */
export function noReply(
  name: string,
  qtype: number,
  server: HostPort,
  via: 'udp' | 'tcp',
  error: string,
): string {
  const at = `${server.host}#${server.port}`;
  if (via === 'tcp')
    return `;; Connection to ${at}(${server.host}) for ${name} failed: ${error}.\n;; no servers could be reached\n`;
  return (
    `;; communications error to ${at}: ${error}\n\n` +
    `; <<>> netlab dig <<>> @${formatHostPort(server)} ${name} ${typeName(qtype)}\n` +
    '; (1 server found)\n;; global options: +cmd\n;; no servers could be reached\n'
  );
}

/** dig's WHEN: `Sun Nov 22 02:46:34 UTC 2026` (strftime "%a %b %d %H:%M:%S %Z %Y", in UTC). */
export function digWhen(d: Date): string {
  const [wd, , , , time] = d.toUTCString().split(' ');
  const mon = d.toUTCString().split(' ')[2];
  const dd = String(d.getUTCDate()).padStart(2, '0');
  return `${wd?.replace(',', '')} ${mon} ${dd} ${time} UTC ${d.getUTCFullYear()}`;
}
