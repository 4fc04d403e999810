// Result conversion, both ways, in one place. Writing: to every spec version, as libcni's
// types/{100,040,020} converters and their MarshalJSON key orders do it; 1.1.0 keeps the
// interface/route fields that spec added, 1.0.0 and older print what libcni 1.1.2 knows (Debian's
// plugins), so the extra fields are dropped there. Reading (libcni's ExecPluginWithResult /
// create.CreateFromBytes / GetAsVersion): a result of any spec version becomes the current Result
// shape; the runtime and a delegating plugin read their plugins' output this way.
import { type GoEncodable, parseGoCIDR } from '../../std/index.js';
import { CniError, CniErrorCode } from './errors.js';
import { goTypeName, unmarshal } from './gojson.js';
import type { DNS, Interface, IPConfig, Result, Route } from './types.js';

function dnsJSON(dns: DNS | undefined): GoEncodable {
  // types.DNS is a struct, so `"dns": {}` is always printed.
  const d = dns ?? {};
  return {
    nameservers: d.nameservers && d.nameservers.length > 0 ? d.nameservers : undefined,
    domain: d.domain === '' ? undefined : d.domain,
    search: d.search && d.search.length > 0 ? d.search : undefined,
    options: d.options && d.options.length > 0 ? d.options : undefined,
  };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === '' ? undefined : s;
}

function nonZero(n: number | undefined): number | undefined {
  return n === 0 ? undefined : n;
}

function routeJSON(r: Route, v11: boolean): GoEncodable {
  if (!v11) return { dst: r.dst, gw: nonEmpty(r.gw) };
  return {
    dst: r.dst,
    gw: nonEmpty(r.gw),
    mtu: nonZero(r.mtu),
    advmss: nonZero(r.advmss),
    priority: nonZero(r.priority),
    table: r.table,
    scope: r.scope,
  };
}

function interfaceJSON(i: Interface, v11: boolean): GoEncodable {
  if (!v11) return { name: i.name, mac: nonEmpty(i.mac), sandbox: nonEmpty(i.sandbox) };
  return {
    name: i.name,
    mac: nonEmpty(i.mac),
    mtu: nonZero(i.mtu),
    sandbox: nonEmpty(i.sandbox),
    socketPath: nonEmpty(i.socketPath),
    pciID: nonEmpty(i.pciID),
  };
}

function isV4Address(address: string): boolean {
  return parseGoCIDR(address)?.ip.v4 ?? false;
}

function nonEmptyList<T>(list: T[] | undefined): T[] | undefined {
  return list && list.length > 0 ? list : undefined;
}

function ipJSON(ip: IPConfig, withVersion: boolean): GoEncodable {
  return {
    version: withVersion ? (isV4Address(ip.address) ? '4' : '6') : undefined,
    interface: ip.interface,
    address: ip.address,
    gateway: nonEmpty(ip.gateway),
  };
}

/**
 * The result as the JSON object Go prints for `version`: 1.1.0/1.0.0 (`ips` without `version`),
 * 0.3.0/0.3.1/0.4.0 (`ips[].version` first), 0.1.0/0.2.0 (`ip4`/`ip6` with routes split by family).
 * "" is printed as 0.1.0, as libcni does for a config without cniVersion.
 */
export function convertResult(result: Result, version: string): GoEncodable {
  const v = version === '' ? '0.1.0' : version;
  switch (v) {
    case '1.1.0':
    case '1.0.0':
    case '0.4.0':
    case '0.3.1':
    case '0.3.0': {
      const v11 = v === '1.1.0';
      const pre1 = v.startsWith('0.');
      return {
        cniVersion: v,
        interfaces: nonEmptyList(result.interfaces)?.map((i) => interfaceJSON(i, v11)),
        ips: nonEmptyList(result.ips)?.map((ip) => ipJSON(ip, pre1)),
        routes: nonEmptyList(result.routes)?.map((r) => routeJSON(r, v11)),
        dns: dnsJSON(result.dns),
      };
    }
    case '0.2.0':
    case '0.1.0':
      return convertTo02x(result, v);
    default:
      throw new CniError(CniErrorCode.Internal, `no converter for CNI result version 1.0.0 to ${v}`);
  }
}

function convertTo02x(result: Result, v: string): GoEncodable {
  type Old = { ip: string; gateway?: string | undefined; routes: Route[] };
  let ip4: Old | undefined;
  let ip6: Old | undefined;
  // Only the first address of each family survives: 0.2.0 cannot carry more.
  for (const ip of result.ips ?? []) {
    if (isV4Address(ip.address)) ip4 ??= { ip: ip.address, gateway: nonEmpty(ip.gateway), routes: [] };
    else ip6 ??= { ip: ip.address, gateway: nonEmpty(ip.gateway), routes: [] };
    if (ip4 && ip6) break;
  }
  for (const r of result.routes ?? []) {
    const is4 = isV4Address(r.dst);
    if (is4 && ip4) ip4.routes.push(r);
    else if (!is4 && ip6) ip6.routes.push(r);
  }
  if (!ip4 && !ip6) throw new CniError(CniErrorCode.Internal, 'cannot convert: no valid IP addresses');
  const old = (o: Old | undefined): GoEncodable | undefined =>
    o && {
      ip: o.ip,
      gateway: o.gateway,
      routes: o.routes.length > 0 ? o.routes.map((r) => routeJSON(r, false)) : undefined,
    };
  return { cniVersion: v, ip4: old(ip4), ip6: old(ip6), dns: dnsJSON(result.dns) };
}

const families: readonly (readonly string[])[] = [
  ['', '0.1.0', '0.2.0'],
  ['0.3.0', '0.3.1', '0.4.0'],
  ['1.0.0', '1.1.0'],
];

const bad = (msg: string) => new CniError(CniErrorCode.DecodingFailure, msg);

/**
 * The plugin's stdout as a result (invoke.ExecPluginWithResult): the version is the result's own
 * cniVersion, or the config's when the result leaves it out or empty (libcni's fixupResultVersion).
 */
export function decodeResult(confVersion: string, stdout: Uint8Array | string): Result {
  let raw: unknown;
  try {
    raw = unmarshal(stdout);
  } catch (e) {
    throw bad(`failed to unmarshal raw result: ${(e as Error).message}`);
  }
  return decodeResultValue(confVersion, raw);
}

/** decodeResult of stdout already read as json.Unmarshal into interface{} reads it (an in-process plugin's output). */
export function decodeResultValue(confVersion: string, value: unknown): Result {
  let raw = value;
  if (raw === null) raw = {};
  const r = asObject(raw, 'map[string]interface {}', 'failed to unmarshal raw result: ');
  const own = typeof r.cniVersion === 'string' ? r.cniVersion : '';
  const v = own !== '' ? own : confVersion === '' ? '0.1.0' : confVersion;
  if (!families.some((f) => f.includes(v))) throw bad(`unsupported CNI result version "${v}"`);
  return fromRaw(r, v);
}

/** A result of whatever version it says it is, converted to `version` (create.Create + GetAsVersion). */
export function resultAsVersion(raw: unknown, version: string): Result {
  const r = asObject(raw, 'Result');
  const v = typeof r.cniVersion === 'string' ? r.cniVersion : '';
  if (!families.some((f) => f.includes(v))) throw bad(`unsupported CNI result version "${v}"`);
  if (!families.some((f) => f.includes(version))) throw bad(`unsupported CNI result version "${version}"`);
  const result = { ...fromRaw(r, v), cniVersion: version };
  convertResult(result, version); // throws where libcni's converter cannot go (e.g. nothing for 0.2.0)
  return result;
}

// json.Unmarshal of a non-object into a struct or map: Go names the JSON kind it found.
function asObject(v: unknown, goType: string, prefix = ''): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    const kind = Array.isArray(v) ? 'array' : goTypeName(v) === 'float64' ? 'number' : goTypeName(v);
    throw bad(`${prefix}json: cannot unmarshal ${kind} into Go value of type ${goType}`);
  }
  return v as Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const strs = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];

type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/**
 * Drops undefined members, so optional fields are absent rather than undefined. A copy of the
 * defined ones, in order: deleting members would turn every result object into a slow dictionary.
 */
function defined<T extends object>(o: T): Defined<T> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as Defined<T>;
}

function routeFrom(r: Record<string, unknown>): NonNullable<Result['routes']>[number] {
  return defined({
    dst: String(r.dst ?? ''),
    gw: str(r.gw),
    mtu: num(r.mtu),
    advmss: num(r.advmss),
    priority: num(r.priority),
    table: num(r.table),
    scope: num(r.scope),
  });
}

function fromRaw(r: Record<string, unknown>, version: string): Result {
  const dnsRaw = typeof r.dns === 'object' && r.dns !== null ? (r.dns as Record<string, unknown>) : {};
  const dns = defined({
    nameservers: strs(dnsRaw.nameservers),
    domain: str(dnsRaw.domain),
    search: strs(dnsRaw.search),
    options: strs(dnsRaw.options),
  });
  if (version === '' || version === '0.1.0' || version === '0.2.0') {
    // ip4 / ip6 objects, each with its own routes.
    const ips: NonNullable<Result['ips']> = [];
    const routes: NonNullable<Result['routes']> = [];
    for (const key of ['ip4', 'ip6']) {
      const o = r[key];
      if (typeof o !== 'object' || o === null) continue;
      const x = o as Record<string, unknown>;
      ips.push(defined({ address: String(x.ip ?? ''), gateway: str(x.gateway) }));
      for (const rt of list(x.routes)) routes.push(routeFrom(rt));
    }
    return defined({
      cniVersion: version,
      ips: ips.length > 0 ? ips : undefined,
      routes: routes.length > 0 ? routes : undefined,
      dns,
    });
  }
  const interfaces = list(r.interfaces).map((i) =>
    defined({
      name: String(i.name ?? ''),
      mac: str(i.mac),
      mtu: num(i.mtu),
      sandbox: str(i.sandbox),
      socketPath: str(i.socketPath),
      pciID: str(i.pciID),
    }),
  );
  const ips = list(r.ips).map((i) =>
    defined({ interface: num(i.interface), address: String(i.address ?? ''), gateway: str(i.gateway) }),
  );
  const routes = list(r.routes).map(routeFrom);
  return defined({
    cniVersion: version,
    interfaces: interfaces.length > 0 ? interfaces : undefined,
    ips: ips.length > 0 ? ips : undefined,
    routes: routes.length > 0 ? routes : undefined,
    dns,
  });
}
