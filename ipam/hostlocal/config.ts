// host-local's config as allocator.LoadIPAMConfig reads it: the whole plugin config (host-local
// is a delegate), CNI_ARGS, requested addresses, range sets in their final order (runtimeConfig
// ipRanges, then the legacy top-level range, then `ranges`), canonicalised and checked with
// host-local's own error texts, in its order.
import {
  type DecodeContext,
  formatGoIP,
  formatGoIPNet,
  GoDecoder,
  type GoJSONValue,
  goQuote as goQ,
  type IP,
  type IPNet,
  parseGoCIDR,
  parseGoIP,
  parseGoJSON,
  topContext,
} from '../../std/index.js';
import { HostLocalError, wrapHostLocalError } from './errors.js';
import { canonicalizeRangeSet, type RangeInput, type RangeSet, rangeSetsOverlap } from './range.js';

/** A route from `ipam.routes`, already in Go's printed form (also the CNI result's route). */
export interface IPAMRoute {
  /** CIDR as Go prints it (host bits kept) */
  dst: string;
  gw?: string;
  /** 1.1.0 */
  mtu?: number;
  /** 1.1.0 */
  advmss?: number;
  /** 1.1.0 */
  priority?: number;
  /** 1.1.0 */
  table?: number;
  /** 1.1.0: 0 global, 253 link, 254 host */
  scope?: number;
}

/** The IPAM config after LoadIPAMConfig. */
export interface IPAMConfig {
  /** the network name (the top-level `name`) */
  readonly name: string;
  /** the top-level cniVersion as written ("" when absent) */
  readonly cniVersion: string;
  readonly type: string;
  readonly routes: readonly IPAMRoute[];
  /** "" means the default, /var/lib/cni/networks */
  readonly dataDir: string;
  readonly resolvConf: string;
  /** canonical range sets; the index is the `<n>` of `last_reserved_ip.<n>` */
  readonly ranges: readonly RangeSet[];
  /** requested addresses: CNI_ARGS IP, then args.cni.ips, then runtimeConfig.ips */
  readonly ipArgs: readonly IP[];
}

export const defaultDataDir = '/var/lib/cni/networks';

const RANGESET = 'allocator.RangeSet';
const RUNTIME_CONFIG_TYPE =
  'struct { IPRanges []allocator.RangeSet "json:\\"ipRanges,omitempty\\""; IPs []*ip.IP "json:\\"ips,omitempty\\"" }';
const ARGS_TYPE = 'struct { A *allocator.IPAMArgs "json:\\"cni\\"" }';

/** net.IP's UnmarshalText: "" is no address. */
function netIP(s: string): IP | null {
  if (s === '') return null;
  const ip = parseGoIP(s);
  if (ip === null) throw new HostLocalError('NETLAB_IPAM_HOSTLOCAL_CONFIG', `invalid IP address: ${s}`);
  return ip;
}

/** CNI's ip.ParseIP: an address or a CIDR (the address part kept); null if neither. */
export function parseCniIP(s: string): IP | null {
  if (s.includes('/')) return parseGoCIDR(s)?.ip ?? null;
  return parseGoIP(s);
}

/** ip.IP's UnmarshalText. */
function cniIP(s: string): IP {
  const ip = parseCniIP(s);
  if (ip === null) throw new HostLocalError('NETLAB_IPAM_HOSTLOCAL_CONFIG', `invalid IP address ${s}`);
  return ip;
}

/** types.IPNet's UnmarshalJSON: json.Unmarshal into a string, then ParseCIDR. */
function ipNet(d: GoDecoder, v: GoJSONValue, ctx: DecodeContext): IPNet {
  return d.unmarshaler(ctx, () => {
    const inner = new GoDecoder();
    const s = inner.string(v, '', topContext);
    inner.finish();
    const n = parseGoCIDR(s);
    if (n === null) throw new HostLocalError('NETLAB_IPAM_HOSTLOCAL_CONFIG', `invalid CIDR address: ${s}`);
    return n;
  });
}

function decodeRange(
  d: GoDecoder,
  v: GoJSONValue,
  ctx: DecodeContext,
  target: RangeInput,
  struct: string,
): boolean {
  return d.struct(v, 'allocator.Range', struct, ctx, {
    rangeStart: (x, c) => {
      target.rangeStart = d.text(x, 'net.IP', c, target.rangeStart, netIP);
    },
    rangeEnd: (x, c) => {
      target.rangeEnd = d.text(x, 'net.IP', c, target.rangeEnd, netIP);
    },
    subnet: (x, c) => {
      target.subnet = ipNet(d, x, c);
    },
    gateway: (x, c) => {
      target.gateway = d.text(x, 'net.IP', c, target.gateway, netIP);
    },
  });
}

function emptyRange(): RangeInput {
  return { subnet: null, rangeStart: null, rangeEnd: null, gateway: null };
}

function decodeRangeSets(d: GoDecoder, v: GoJSONValue, ctx: DecodeContext): RangeInput[][] | undefined {
  return d.slice(v, `[]${RANGESET}`, ctx, (set) => {
    return (
      d.slice(set, RANGESET, ctx, (r) => {
        const target = emptyRange();
        decodeRange(d, r, ctx, target, 'Range');
        return target;
      }) ?? []
    );
  });
}

function decodeInt(v: GoJSONValue): number | undefined {
  return v.kind === 'number' && /^-?\d+$/.test(v.raw) ? Number(v.raw) : undefined;
}

/** types.Route's UnmarshalJSON (its own decoder; errors re-labelled at the caller). */
function decodeRoute(d: GoDecoder, v: GoJSONValue, ctx: DecodeContext): IPAMRoute | null {
  if (v.kind === 'null') return null;
  return d.unmarshaler(ctx, () => {
    const inner = new GoDecoder();
    let dst: IPNet | null = null;
    let gw: IP | null = null;
    const extra: Partial<IPAMRoute> = {};
    const ints = ['mtu', 'advmss', 'priority', 'table', 'scope'] as const;
    inner.struct(v, 'types.route', 'route', topContext, {
      dst: (x, c) => {
        dst = ipNet(inner, x, c);
      },
      gw: (x, c) => {
        gw = inner.text(x, 'net.IP', c, gw, netIP);
      },
      ...Object.fromEntries(
        ints.map((k) => [
          k,
          (x: GoJSONValue) => {
            const n = decodeInt(x);
            if (n !== undefined) extra[k] = n;
          },
        ]),
      ),
    });
    inner.finish();
    const route: IPAMRoute = { dst: dst === null ? '<nil>' : formatGoIPNet(dst), ...extra };
    if (gw !== null) route.gw = formatGoIP(gw);
    return route;
  });
}

function decodeCniIPs(d: GoDecoder, v: GoJSONValue, ctx: DecodeContext): IP[] {
  const ips = d.slice(v, '[]*ip.IP', ctx, (x) => d.text<IP | null>(x, '*ip.IP', ctx, null, cniIP)) ?? [];
  return ips.filter((x): x is IP => x !== null);
}

/** CNI_ARGS as types.LoadArgs fills IPAMEnvArgs{CommonArgs, IP}. */
export function parseIPAMEnvArgs(cniArgs: string): IP | null {
  if (cniArgs === '') return null;
  let ip: IP | null = null;
  let ignoreUnknown = false;
  const unknown: string[] = [];
  for (const pair of cniArgs.split(';')) {
    const kv = pair.split('=');
    if (kv.length !== 2)
      throw new HostLocalError('NETLAB_IPAM_HOSTLOCAL_ARGS', `ARGS: invalid pair ${goQ(pair)}`);
    const [key, value] = kv as [string, string];
    switch (key) {
      case 'IP': {
        const parsed = parseCniIP(value);
        if (parsed === null)
          throw new HostLocalError(
            'NETLAB_IPAM_HOSTLOCAL_ARGS',
            `ARGS: error parsing value of pair ${goQ(pair)}: invalid IP address ${value}`,
          );
        ip = parsed;
        break;
      }
      case 'IgnoreUnknown': {
        const s = value.toLowerCase();
        if (s === '1' || s === 'true') ignoreUnknown = true;
        else if (s === '0' || s === 'false') ignoreUnknown = false;
        else
          throw new HostLocalError(
            'NETLAB_IPAM_HOSTLOCAL_ARGS',
            `ARGS: error parsing value of pair ${goQ(pair)}: boolean unmarshal error: invalid input ${s}`,
          );
        break;
      }
      case 'CommonArgs':
        throw new HostLocalError(
          'NETLAB_IPAM_HOSTLOCAL_ARGS',
          "ARGS: cannot unmarshal into field 'CommonArgs' - type '*types.CommonArgs' does not implement encoding.TextUnmarshaler",
        );
      default:
        unknown.push(pair);
    }
  }
  if (unknown.length > 0 && !ignoreUnknown)
    throw new HostLocalError(
      'NETLAB_IPAM_HOSTLOCAL_ARGS',
      `ARGS: unknown args [${unknown.map(goQ).join(' ')}]`,
    );
  return ip;
}

/** allocator.LoadIPAMConfig(stdin, CNI_ARGS); errors carry host-local's texts (code 999 in a plugin). */
// Every pod of a node sends host-local the same config: the parsed document is the same object each
// time (std's Go JSON memo), so its IPAMConfig is kept with it, per CNI_ARGS. An IPAMConfig is never
// changed after loading; a config that fails is not kept (it fails the same way again).
const loaded = new WeakMap<GoJSONValue, Map<string, IPAMConfig>>();
const loadedArgsMax = 64;

export function loadIPAMConfig(stdin: Uint8Array | string | GoJSONValue, cniArgs: string): IPAMConfig {
  // stdin as bytes, or already parsed (a CNI skel hands its plugin the parse it made)
  const doc = typeof stdin === 'string' || stdin instanceof Uint8Array ? parseGoJSON(stdin) : stdin;
  let byArgs = loaded.get(doc);
  const have = byArgs?.get(cniArgs);
  if (have !== undefined) return have;
  const conf = load(doc, cniArgs);
  if (byArgs === undefined) {
    byArgs = new Map();
    loaded.set(doc, byArgs);
  }
  // CNI_ARGS may name the pod (K8S_POD_NAME=...): a few per document, not one per pod forever.
  if (byArgs.size >= loadedArgsMax) byArgs.clear();
  byArgs.set(cniArgs, conf);
  return conf;
}

function load(doc: GoJSONValue, cniArgs: string): IPAMConfig {
  const d = new GoDecoder();
  let name = '';
  let cniVersion = '';
  let ipam: {
    present: boolean;
    legacy: RangeInput | null;
    routes: IPAMRoute[];
    ranges: RangeInput[][];
  } | null = null;
  let type = '';
  let dataDir = '';
  let resolvConf = '';
  let runtimeRanges: RangeInput[][] = [];
  let runtimeIPs: IP[] = [];
  let argsIPs: IP[] = [];

  d.struct(doc, 'allocator.Net', 'Net', topContext, {
    name: (v, c) => {
      name = d.string(v, name, c);
    },
    cniVersion: (v, c) => {
      cniVersion = d.string(v, cniVersion, c);
    },
    ipam: (v, c) => {
      if (v.kind === 'null') {
        ipam = null;
        return;
      }
      const target = ipam ?? { present: true, legacy: null, routes: [], ranges: [] };
      const ok = d.struct(v, 'allocator.IPAMConfig', 'IPAMConfig', c, {
        // the embedded *Range: allocated as soon as one of its fields appears
        rangeStart: (x, cc) => {
          target.legacy ??= emptyRange();
          target.legacy.rangeStart = d.text(x, 'net.IP', cc, target.legacy.rangeStart, netIP);
        },
        rangeEnd: (x, cc) => {
          target.legacy ??= emptyRange();
          target.legacy.rangeEnd = d.text(x, 'net.IP', cc, target.legacy.rangeEnd, netIP);
        },
        subnet: (x, cc) => {
          target.legacy ??= emptyRange();
          target.legacy.subnet = ipNet(d, x, cc);
        },
        gateway: (x, cc) => {
          target.legacy ??= emptyRange();
          target.legacy.gateway = d.text(x, 'net.IP', cc, target.legacy.gateway, netIP);
        },
        Name: (x, cc) => {
          d.string(x, '', cc);
        },
        type: (x, cc) => {
          type = d.string(x, type, cc);
        },
        routes: (x, cc) => {
          const routes = d.slice(x, '[]*types.Route', cc, (r) => decodeRoute(d, r, cc));
          if (routes) target.routes = routes.filter((r): r is IPAMRoute => r !== null);
        },
        dataDir: (x, cc) => {
          dataDir = d.string(x, dataDir, cc);
        },
        resolvConf: (x, cc) => {
          resolvConf = d.string(x, resolvConf, cc);
        },
        ranges: (x, cc) => {
          const sets = decodeRangeSets(d, x, cc);
          if (sets) target.ranges = sets;
        },
      });
      if (ok || v.kind === 'object') ipam = target;
    },
    runtimeConfig: (v, c) => {
      d.struct(v, RUNTIME_CONFIG_TYPE, '', c, {
        ipRanges: (x, cc) => {
          runtimeRanges = decodeRangeSets(d, x, cc) ?? runtimeRanges;
        },
        ips: (x, cc) => {
          runtimeIPs = decodeCniIPs(d, x, cc);
        },
      });
    },
    args: (v, c) => {
      d.struct(v, ARGS_TYPE, '', c, {
        cni: (x, cc) => {
          d.struct(x, 'allocator.IPAMArgs', 'IPAMArgs', cc, {
            ips: (y, ccc) => {
              argsIPs = decodeCniIPs(d, y, ccc);
            },
          });
        },
      });
    },
  });
  d.finish();

  const ipamConf = ipam as { legacy: RangeInput | null; routes: IPAMRoute[]; ranges: RangeInput[][] } | null;
  if (ipamConf === null)
    throw new HostLocalError('NETLAB_IPAM_HOSTLOCAL_CONFIG', "IPAM config missing 'ipam' key");

  const ipArgs: IP[] = [];
  const envIP = parseIPAMEnvArgs(cniArgs);
  if (envIP) ipArgs.push(envIP);
  ipArgs.push(...argsIPs, ...runtimeIPs);

  const inputs: RangeInput[][] = [];
  inputs.push(...runtimeRanges);
  if (ipamConf.legacy && ipamConf.legacy.subnet !== null) inputs.push([ipamConf.legacy]);
  inputs.push(...ipamConf.ranges);
  if (inputs.length === 0) throw new HostLocalError('NETLAB_IPAM_HOSTLOCAL_CONFIG', 'no IP ranges specified');

  const ranges: RangeSet[] = [];
  let numV4 = 0;
  let numV6 = 0;
  for (let i = 0; i < inputs.length; i++) {
    let set: RangeSet;
    try {
      set = canonicalizeRangeSet(inputs[i]!);
    } catch (err) {
      throw wrapHostLocalError(`invalid range set ${i}: `, err, 'NETLAB_IPAM_HOSTLOCAL_RANGE');
    }
    if (set[0]!.rangeStart.v4) numV4++;
    else numV6++;
    ranges.push(set);
  }
  if ((numV4 > 1 || numV6 > 1) && !atLeast030(cniVersion)) {
    throw new HostLocalError(
      'NETLAB_IPAM_HOSTLOCAL_CONFIG',
      `CNI version ${cniVersion} does not support more than 1 address per family`,
    );
  }
  for (let i = 0; i < ranges.length - 1; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      if (rangeSetsOverlap(ranges[i]!, ranges[j]!))
        throw new HostLocalError('NETLAB_IPAM_HOSTLOCAL_RANGE', `range set ${i} overlaps with ${j}`);
    }
  }
  return { name, cniVersion, type, routes: ipamConf.routes, dataDir, resolvConf, ranges, ipArgs };
}

/** version.GreaterThanOrEqualTo(v, "0.3.0"), false on a parse error (as host-local ignores it). */
function atLeast030(v: string): boolean {
  if (v === '') return false;
  const parts = v.split('.');
  if (parts.length >= 4 || !parts.every((p) => /^[+-]?\d+$/.test(p))) return false;
  const [a = 0, b = 0, c = 0] = parts.map(Number);
  if (a !== 0) return a > 0;
  if (b !== 3) return b > 3;
  return c >= 0;
}
