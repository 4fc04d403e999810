// Result conversion to every spec version, as libcni's types/{100,040,020} converters and their
// MarshalJSON key orders do it. 1.1.0 keeps the interface/route fields that spec added; 1.0.0 and
// older print what libcni 1.1.2 knows (Debian's plugins), so the extra fields are dropped there.
import { type GoEncodable, parseGoCIDR } from '../../ipam/index.js';
import { CniError, CniErrorCode } from './errors.js';
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
