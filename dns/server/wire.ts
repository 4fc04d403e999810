// The few wire-format operations the hot path does by hand: find the question and the EDNS OPT of a
// plain query, and patch a cached response (ID, RD bit, OPT, truncation). Everything else (decoding
// unusual queries, encoding answers) goes through dns-packet. Offsets follow RFC 1035 §4.1.
import type { Answer } from 'dns-packet';
import dnsPacket from 'dns-packet';
import { ipKey } from '../zone/index.js';

export const HEADER_LEN = 12;
const QR = 0x8000;
const TC = 0x0200;
const RD = 0x0100;
// Copied from the query as RD is (miekg/dns SetReply); a bit of the flags' second octet.
const CD = 0x0010;
export const OPT_TYPE = 41;
/** The UDP payload size we advertise (RFC 9715 / DNS flag day 2020 value). */
export const OUR_UDP_SIZE = 1232;
const MAX_NAME = 255;

export interface Edns {
  udpSize: number;
  version: number;
}

/** A query's question, located in the message. */
export interface QuestionInfo {
  qtype: number;
  qclass: number;
  /** End of the question section. */
  end: number;
}

/**
 * Locates the single question that starts right after the header. Returns null when the name is
 * malformed (a compression pointer, a label over 63 octets, a name over 255, or the message ends).
 * The name itself is read only on a cache miss (questionName).
 */
export function readQuestion(buf: Buffer): QuestionInfo | null {
  let off = HEADER_LEN;
  for (;;) {
    if (off >= buf.length) return null;
    const len = buf[off]!;
    if (len === 0) {
      off++;
      break;
    }
    if (len > 63) return null; // compression pointers and reserved label types have no place here
    off += 1 + len;
    if (off > buf.length || off - HEADER_LEN > MAX_NAME) return null;
  }
  if (off + 4 > buf.length) return null;
  return { qtype: buf.readUInt16BE(off), qclass: buf.readUInt16BE(off + 2), end: off + 4 };
}

/**
 * The question's name as received (case kept): labels joined with '.', a '.' inside a label escaped
 * as '\.'. Only valid after readQuestion accepted the message.
 */
export function questionName(buf: Buffer): string {
  let off = HEADER_LEN;
  let qname = '';
  for (let len = buf[off]!; len !== 0; len = buf[off]!) {
    let label = buf.toString('latin1', off + 1, off + 1 + len);
    if (label.includes('.')) label = label.replaceAll('.', '\\.');
    qname = qname === '' ? label : qname + '.' + label;
    off += 1 + len;
  }
  return qname;
}

/**
 * The fast path's view of a query: exactly one question, nothing in answer/authority, and at most an
 * OPT record in additional, ending where the message ends. Anything else returns null and is decoded
 * in full by dns-packet.
 */
export function scanPlainQuery(buf: Buffer): { q: QuestionInfo; edns: Edns | null } | null {
  if (buf.length < HEADER_LEN) return null;
  const flags = buf.readUInt16BE(2);
  if ((flags & QR) !== 0 || ((flags >> 11) & 0xf) !== 0) return null;
  if (buf.readUInt16BE(4) !== 1 || buf.readUInt16BE(6) !== 0 || buf.readUInt16BE(8) !== 0) return null;
  const ar = buf.readUInt16BE(10);
  if (ar > 1) return null;
  const q = readQuestion(buf);
  if (q === null) return null;
  if (ar === 0) return q.end === buf.length ? { q, edns: null } : null;
  const o = q.end;
  // Root owner (1) + type (2) + class (2) + ttl (4) + rdlength (2).
  if (o + 11 > buf.length || buf[o] !== 0 || buf.readUInt16BE(o + 1) !== OPT_TYPE) return null;
  const rdlen = buf.readUInt16BE(o + 9);
  if (o + 11 + rdlen !== buf.length) return null;
  return { q, edns: { udpSize: buf.readUInt16BE(o + 3), version: buf[o + 6]! } };
}

/** The cache key of a question: its exact bytes (case kept, type, class). */
export function questionKey(buf: Buffer, q: QuestionInfo): string {
  return buf.toString('latin1', HEADER_LEN, q.end);
}

/** Our OPT record: root owner, our UDP size, extended rcode and version 0 unless given. */
export function optRecord(extendedRcode = 0): Buffer {
  const b = Buffer.alloc(11);
  b.writeUInt16BE(OPT_TYPE, 1);
  b.writeUInt16BE(OUR_UDP_SIZE, 3);
  b[5] = extendedRcode;
  return b;
}
const OPT = optRecord();

/**
 * A response body with ID 0, RD clear and no OPT, for the question bytes `question`: header from
 * `flags`, then the question as received, then the sections, names compressed.
 *
 * Why not dns-packet's encoder here: it never compresses names, so a headless SRV answer (5 SRV + 6
 * addresses) outgrows 512 octets and every plain UDP client has to retry over TCP where CoreDNS's
 * answer fits. Compression matches suffixes case-sensitively so that each owner keeps the case it
 * was asked in. Record types the zone does not produce (an upstream's, in a chased ExternalName)
 * are written by dns-packet.
 */
export function encodeResponse(
  question: Buffer,
  flags: number,
  answers: Answer[],
  authorities: Answer[],
  additionals: Answer[],
): Buffer {
  return encodeResponseRecords(question, flags, answers, authorities, additionals).body;
}

/** A response body and where each of its records ends (answer, authority, additional order). */
export interface EncodedResponse {
  readonly body: Buffer;
  readonly ends: readonly number[];
}

/**
 * encodeResponse, also saying where each record ends: a cut there is a whole message, because
 * compression pointers only ever point back (what UDP truncation needs).
 */
export function encodeResponseRecords(
  question: Buffer,
  flags: number,
  answers: Answer[],
  authorities: Answer[],
  additionals: Answer[],
): EncodedResponse {
  const ends: number[] = [];
  const w = new Writer(
    HEADER_LEN + question.length + 64 * (answers.length + authorities.length + additionals.length),
  );
  w.u16(0);
  w.u16(flags | 0x8000);
  w.u16(question.length > 0 ? 1 : 0);
  w.u16(answers.length);
  w.u16(authorities.length);
  w.u16(additionals.length);
  if (question.length > 0) {
    w.bytes(question);
    w.registerQuestion(question);
  }
  for (const list of [answers, authorities, additionals]) {
    for (const rr of list) {
      w.rr(rr);
      ends.push(w.offset);
    }
  }
  return { body: w.done(), ends };
}

function splitLabels(name: string): string[] {
  const n = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  if (n === '') return [];
  return n.split(/(?<!\\)\./).map((l) => l.replaceAll('\\.', '.'));
}

class Writer {
  #buf: Buffer;
  #off = 0;
  readonly #names = new Map<string, number>();

  constructor(size: number) {
    this.#buf = Buffer.allocUnsafe(Math.max(size, 512));
  }

  #room(n: number): void {
    if (this.#off + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#off + n));
    this.#buf.copy(next, 0, 0, this.#off);
    this.#buf = next;
  }

  u16(v: number): void {
    this.#room(2);
    this.#buf.writeUInt16BE(v & 0xffff, this.#off);
    this.#off += 2;
  }

  u32(v: number): void {
    this.#room(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#off);
    this.#off += 4;
  }

  bytes(b: Buffer): void {
    this.#room(b.length);
    b.copy(this.#buf, this.#off);
    this.#off += b.length;
  }

  /** Makes the question's name (right after the header) a compression target. */
  registerQuestion(question: Buffer): void {
    const labels: string[] = [];
    const offsets: number[] = [];
    let o = 0;
    while (o < question.length && question[o]! > 0 && question[o]! < 64) {
      offsets.push(HEADER_LEN + o);
      labels.push(question.toString('latin1', o + 1, o + 1 + question[o]!));
      o += 1 + question[o]!;
    }
    for (let i = 0; i < labels.length; i++) this.#names.set(labels.slice(i).join('\0'), offsets[i]!);
  }

  name(name: string, compress: boolean): void {
    const labels = splitLabels(name);
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).join('\0');
      const ptr = this.#names.get(key);
      if (compress && ptr !== undefined) {
        this.u16(0xc000 | ptr);
        return;
      }
      if (this.#off < 0x3fff && ptr === undefined) this.#names.set(key, this.#off);
      const label = Buffer.from(labels[i]!, 'latin1').subarray(0, 63);
      this.#room(1 + label.length);
      this.#buf[this.#off++] = label.length;
      this.bytes(label);
    }
    this.#room(1);
    this.#buf[this.#off++] = 0;
  }

  rr(rr: Answer): void {
    const type = rr.type;
    const known = recordTypes[type as keyof typeof recordTypes];
    if (known === undefined || rr.type === 'OPT') {
      // Not a type the zone writes: dns-packet encodes it (no compression).
      const b = (dnsPacket as unknown as { answer: { encode(a: Answer): Buffer } }).answer.encode(rr);
      this.bytes(b);
      return;
    }
    this.name(rr.name, true);
    this.u16(known);
    this.u16(1); // IN
    this.u32(rr.ttl ?? 0);
    const lenAt = this.#off;
    this.u16(0);
    switch (rr.type) {
      case 'A':
        this.#a(rr.data);
        break;
      case 'AAAA':
        this.#aaaa(rr.data);
        break;
      case 'CNAME':
      case 'PTR':
      case 'NS':
        this.name(rr.data, true);
        break;
      case 'SRV':
        this.u16(rr.data.priority ?? 0);
        this.u16(rr.data.weight ?? 0);
        this.u16(rr.data.port);
        this.name(rr.data.target, false); // RFC 2782: the target is not compressed
        break;
      case 'SOA':
        this.name(rr.data.mname, true);
        this.name(rr.data.rname, true);
        this.u32(rr.data.serial ?? 0);
        this.u32(rr.data.refresh ?? 0);
        this.u32(rr.data.retry ?? 0);
        this.u32(rr.data.expire ?? 0);
        this.u32(rr.data.minimum ?? 0);
        break;
      case 'TXT': {
        const parts = Array.isArray(rr.data) ? rr.data : [rr.data];
        for (const p of parts) {
          const b = Buffer.isBuffer(p) ? p : Buffer.from(p, 'utf8');
          for (let i = 0; i === 0 || i < b.length; i += 255) {
            const chunk = b.subarray(i, i + 255);
            this.#room(1);
            this.#buf[this.#off++] = chunk.length;
            this.bytes(chunk);
          }
        }
        break;
      }
    }
    this.#buf.writeUInt16BE(this.#off - lenAt - 2, lenAt);
  }

  #a(ip: string): void {
    this.#room(4);
    for (const p of ip.split('.')) this.#buf[this.#off++] = Number(p) & 0xff;
  }

  #aaaa(ip: string): void {
    const key = ipKey(ip);
    this.#room(16);
    if (key.includes('.')) {
      // An IPv4-mapped address: ::ffff:a.b.c.d.
      this.#buf.fill(0, this.#off, this.#off + 10);
      this.#buf[this.#off + 10] = 0xff;
      this.#buf[this.#off + 11] = 0xff;
      this.#off += 12;
      this.#a(key);
      return;
    }
    this.#buf.write(key.padEnd(32, '0'), this.#off, 16, 'hex');
    this.#off += 16;
  }

  get offset(): number {
    return this.#off;
  }

  done(): Buffer {
    return this.#buf.subarray(0, this.#off);
  }
}

const recordTypes = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33 } as const;

/**
 * The response for one query from a cached body: the query's ID and RD bit, our OPT when the query had
 * one, and, when it does not fit `limit` octets, truncated as CoreDNS does (request.Scrub ->
 * miekg/dns Msg.Truncate): the records that fit, in order (answer, authority, additional) and no
 * record after the first that does not, in `limit` less our OPT; TC=1 when any record was left out.
 * `ends` are the records' end offsets in `body` (encodeResponseRecords).
 */
export function finishResponse(
  body: Buffer,
  query: Buffer,
  questionEnd: number,
  edns: boolean,
  limit: number,
  ends: readonly number[] = [],
): Buffer {
  const size = body.length + (edns ? OPT.length : 0);
  if (size > limit) return truncated(body, questionEnd, edns, query, limit, ends);
  const out = Buffer.allocUnsafe(size);
  body.copy(out);
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = (out[2]! & ~(RD >> 8)) | (query[2]! & (RD >> 8));
  out[3] = (out[3]! & ~CD) | (query[3]! & CD);
  if (edns) {
    OPT.copy(out, body.length);
    out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  }
  return out;
}

function truncated(
  body: Buffer,
  questionEnd: number,
  edns: boolean,
  query: Buffer,
  limit: number,
  ends: readonly number[],
): Buffer {
  const budget = limit - (edns ? OPT.length : 0);
  let kept = 0;
  while (kept < ends.length && ends[kept]! <= budget) kept++;
  const end = kept === 0 ? questionEnd : ends[kept - 1]!;
  const an = body.readUInt16BE(6);
  const ns = body.readUInt16BE(8);
  const out = Buffer.allocUnsafe(end + (edns ? OPT.length : 0));
  body.copy(out, 0, 0, end);
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = (out[2]! & ~(RD >> 8)) | (query[2]! & (RD >> 8)) | (TC >> 8);
  out[3] = (out[3]! & ~CD) | (query[3]! & CD);
  out.writeUInt16BE(Math.min(kept, an), 6);
  out.writeUInt16BE(Math.min(Math.max(kept - an, 0), ns), 8);
  out.writeUInt16BE(Math.max(kept - an - ns, 0) + (edns ? 1 : 0), 10);
  if (edns) OPT.copy(out, end);
  return out;
}

/**
 * An error response built from whatever of the query is readable: its ID, opcode and RD, the question
 * when it parses, the rcode (with its extended bits in an OPT when over 15).
 */
export function errorResponse(query: Buffer, rcode: number, edns: boolean): Buffer {
  const q = query.length >= HEADER_LEN ? readQuestion(query) : null;
  const question = q && query.readUInt16BE(4) >= 1 ? query.subarray(HEADER_LEN, q.end) : Buffer.alloc(0);
  const withOpt = edns || rcode > 15;
  const out = Buffer.alloc(HEADER_LEN + question.length + (withOpt ? OPT.length : 0));
  out[0] = query[0] ?? 0;
  out[1] = query[1] ?? 0;
  const qflags = query.length >= 4 ? query.readUInt16BE(2) : 0;
  out.writeUInt16BE(QR | (qflags & 0x7800) | (qflags & RD) | (qflags & CD) | (rcode & 0xf), 2);
  out.writeUInt16BE(question.length > 0 ? 1 : 0, 4);
  question.copy(out, HEADER_LEN);
  if (withOpt) {
    optRecord(rcode >> 4).copy(out, HEADER_LEN + question.length);
    out.writeUInt16BE(1, 10);
  }
  return out;
}

export function setId(buf: Buffer, id: number): Buffer {
  buf.writeUInt16BE(id, 0);
  return buf;
}

/**
 * A query message: one question (labels from `name`, '\.' for a dot inside a label), RD as asked, and
 * an OPT with `udpSize` unless it is null.
 */
export function buildQuery(
  name: string,
  qtype: number,
  opts: { id: number; rd?: boolean; udpSize?: number | null; qclass?: number },
): Buffer {
  const labels = splitLabels(name).map((l) => Buffer.from(l, 'latin1'));
  const nameLen = labels.reduce((n, l) => n + 1 + l.length, 1);
  const udpSize = opts.udpSize === undefined ? OUR_UDP_SIZE : opts.udpSize;
  const out = Buffer.alloc(HEADER_LEN + nameLen + 4 + (udpSize === null ? 0 : 11));
  out.writeUInt16BE(opts.id & 0xffff, 0);
  out.writeUInt16BE(opts.rd === false ? 0 : RD, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(udpSize === null ? 0 : 1, 10);
  let o = HEADER_LEN;
  for (const l of labels) {
    out[o++] = Math.min(l.length, 63);
    l.copy(out, o, 0, 63);
    o += Math.min(l.length, 63);
  }
  out[o++] = 0;
  out.writeUInt16BE(qtype, o);
  out.writeUInt16BE(opts.qclass ?? 1, o + 2);
  o += 4;
  if (udpSize !== null) {
    out.writeUInt16BE(OPT_TYPE, o + 1);
    out.writeUInt16BE(udpSize, o + 3);
  }
  return out.subarray(0, o + (udpSize === null ? 0 : 11));
}
