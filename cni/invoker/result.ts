// Reading results back (libcni's ExecPluginWithResult / create.CreateFromBytes / GetAsVersion): a result
// of any spec version becomes the current Result shape, which the skel's convertResult prints in any
// version. The skel writes results; this is the runtime's (and a delegating plugin's) reading side.
import { CniError, CniErrorCode, convertResult, type Result } from '../skel/index.js';
import { goTypeName, unmarshal } from './gojson.js';

export type { Result };

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
  if (raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw bad(
      `failed to unmarshal raw result: json: cannot unmarshal ${Array.isArray(raw) ? 'array' : goTypeName(raw) === 'float64' ? 'number' : goTypeName(raw)} into Go value of type map[string]interface {}`,
    );
  const r = raw as Record<string, unknown>;
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

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw bad(
      `json: cannot unmarshal ${Array.isArray(v) ? 'array' : goTypeName(v) === 'float64' ? 'number' : goTypeName(v)} into Go value of type ${what}`,
    );
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

/** Drops undefined members, so optional fields are absent rather than undefined. */
function defined<T extends object>(o: T): Defined<T> {
  for (const k of Object.keys(o))
    if ((o as Record<string, unknown>)[k] === undefined) delete (o as Record<string, unknown>)[k];
  return o as Defined<T>;
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
