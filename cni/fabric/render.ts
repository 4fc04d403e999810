// The fabric as iproute2 prints it: `ip -br addr` and `ip route` / `ip -6 route`, byte for byte
// (padding, trailing spaces and all), so the text can be compared with a real node's.
import { canonicalIP, type Family, linkLocalFromMAC } from './address.js';
import type { Fabric, FabricRoute, Link } from './fabric.js';

// iproute2 prints the name with "%-16s " and the operstate with "%-14s ", then each address + " ".
function briefLine(name: string, state: string, addresses: readonly string[]): string {
  return `${name.padEnd(16)} ${state.padEnd(14)} ${addresses.map((a) => `${a} `).join('')}\n`;
}

// IPv4 first, then IPv6 global, then the link-local address the kernel derives from the MAC.
function linkAddresses(link: Link): string[] {
  const v4 = link.addresses.filter((a) => !a.includes(':'));
  const v6 = link.addresses.filter((a) => a.includes(':'));
  return [...v4, ...v6, `${linkLocalFromMAC(link.mac)}/64`];
}

const loopbackUp = (up: boolean) =>
  up ? briefLine('lo', 'UNKNOWN', ['127.0.0.1/8', '::1/128']) : briefLine('lo', 'DOWN', []);

/** `ip -br addr` on the node: lo, the uplink, the bridge, then each host veth. */
export function renderNodeAddrBrief(fabric: Fabric, nodeName: string): string {
  const node = fabric.node(nodeName);
  if (node === undefined) return '';
  const attachments = fabric.attachments(nodeName);
  let out = loopbackUp(true);
  out += briefLine(node.uplink.name, 'UP', linkAddresses(node.uplink));
  // A bridge with no port has no carrier: the kernel reports it DOWN until the first veth joins.
  out += briefLine(node.bridge.name, attachments.length > 0 ? 'UP' : 'DOWN', linkAddresses(node.bridge));
  for (const a of attachments)
    out += briefLine(`${a.hostVeth.name}@if${a.ifindex}`, 'UP', linkAddresses(a.hostVeth));
  return out;
}

/** `ip -br addr` inside a pod's netns: lo, then its interfaces. */
export function renderPodAddrBrief(fabric: Fabric, netns: string): string {
  let out = loopbackUp(fabric.loopbackUp(netns));
  const mine = fabric
    .attachments()
    .filter((a) => a.netns === netns)
    .sort((a, b) => a.ifindex - b.ifindex);
  for (const a of mine)
    out += briefLine(
      `${a.ifname}@if${a.hostVeth.ifindex}`,
      'UP',
      linkAddresses({
        name: a.ifname,
        mac: a.mac,
        ifindex: a.ifindex,
        addresses: a.ips.map((i) => i.address),
      }),
    );
  return out;
}

/** FabricRoute lines as `ip route` (IPv4, each line ends in a space) or `ip -6 route` prints them. */
export function renderRoutes(routes: readonly FabricRoute[]): string {
  return routes.map((r) => `${routeLine(r)}\n`).join('');
}

function routeLine(r: FabricRoute): string {
  const via = r.via === undefined ? '' : ` via ${r.via}`;
  if (r.family === 4)
    return r.kernel
      ? `${r.dst} dev ${r.dev} proto kernel scope link src ${r.src} `
      : `${r.dst}${via} dev ${r.dev} ${r.via === undefined ? 'scope link ' : ''}`;
  return r.kernel
    ? `${r.dst} dev ${r.dev} proto kernel metric 256 pref medium`
    : `${r.dst}${via} dev ${r.dev} metric 1024 pref medium`;
}

export function renderNodeRoutes(fabric: Fabric, nodeName: string, family: Family): string {
  return renderRoutes(fabric.routes(nodeName, family));
}

export function renderPodRoutes(fabric: Fabric, containerID: string, ifname: string, family: Family): string {
  return renderRoutes(fabric.podRoutes(containerID, ifname, family));
}

export function renderNetnsRoutes(fabric: Fabric, netns: string, family: Family): string {
  return renderRoutes(fabric.netnsRoutes(netns, family));
}

/**
 * `ip route get <ip>` on the node: the route taken and the source address the kernel would pick (the
 * node's own address on that device); the node's own addresses are `local` (via lo). An address no
 * route covers gives the kernel's answer, `RTNETLINK answers: Network is unreachable`.
 */
export function renderRouteGet(fabric: Fabric, nodeName: string, ip: string): string {
  const node = fabric.node(nodeName);
  const canonical = canonicalIP(ip);
  if (node === undefined || canonical === undefined) return 'RTNETLINK answers: Network is unreachable\n';
  const v6 = canonical.includes(':');
  const own = fabric.lookup(canonical);
  if (own?.kind === 'node' && own.node === node)
    return v6
      ? `local ${canonical} from :: dev lo table local proto kernel src ${canonical} metric 0 pref medium\n`
      : `local ${canonical} dev lo src ${canonical} uid 0 \n    cache <local> \n`;
  const r = fabric.routeGet(nodeName, canonical);
  if (r === undefined) return 'RTNETLINK answers: Network is unreachable\n';
  const link = r.dev === node.bridge.name ? node.bridge : node.uplink;
  const src = r.src ?? link.addresses.map((a) => a.split('/')[0]!).find((a) => a.includes(':') === v6);
  const via = r.via === undefined ? '' : ` via ${r.via}`;
  if (v6)
    return r.kernel
      ? `${canonical} from :: dev ${r.dev} proto kernel src ${src} metric 256 pref medium\n`
      : `${canonical} from ::${via} dev ${r.dev} src ${src} metric 1024 pref medium\n`;
  return `${canonical}${via} dev ${r.dev} src ${src} uid 0 \n    cache \n`;
}
