// Chain names exactly as kube-proxy's iptables proxier makes them: sha256 of the service port name
// (`ns/svc[:port]`) + lower-case protocol [+ endpoint `ip:port`], base32 (standard alphabet), first
// 16 characters. One namer per kind of chain; all are computed once, when the service port or
// endpoint record is built, never in the sync loop.
import { hash } from 'node:crypto';

export const kubeServicesChain = 'KUBE-SERVICES';
export const kubeExternalServicesChain = 'KUBE-EXTERNAL-SERVICES';
export const kubeNodePortsChain = 'KUBE-NODEPORTS';
export const kubePostroutingChain = 'KUBE-POSTROUTING';
export const kubeMarkMasqChain = 'KUBE-MARK-MASQ';
export const kubeForwardChain = 'KUBE-FORWARD';
export const kubeProxyFirewallChain = 'KUBE-PROXY-FIREWALL';
export const kubeletFirewallChain = 'KUBE-FIREWALL';

export const servicePortPolicyClusterChainNamePrefix = 'KUBE-SVC-';
export const servicePortPolicyLocalChainNamePrefix = 'KUBE-SVL-';
export const serviceFirewallChainNamePrefix = 'KUBE-FW-';
export const serviceExternalChainNamePrefix = 'KUBE-EXT-';
export const servicePortEndpointChainNamePrefix = 'KUBE-SEP-';

const serviceChainPrefixes = [
  servicePortPolicyClusterChainNamePrefix,
  servicePortPolicyLocalChainNamePrefix,
  servicePortEndpointChainNamePrefix,
  serviceFirewallChainNamePrefix,
  serviceExternalChainNamePrefix,
] as const;

const base32Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** First 16 characters of base32(sha256(s)): exactly the first 10 bytes of the digest. */
export function hash16(s: string): string {
  // One-shot crypto.hash: half the cost of createHash().update().digest() per chain name.
  const d = hash('sha256', s, 'buffer');
  let out = '';
  // 10 bytes = 80 bits = 16 groups of 5 bits; two 40-bit halves keep the arithmetic exact.
  for (let half = 0; half < 2; half++) {
    const o = half * 5;
    let v = 0;
    for (let i = 0; i < 5; i++) v = v * 256 + d[o + i]!;
    for (let i = 7; i >= 0; i--) {
      out += base32Alphabet[Math.floor(v / 2 ** (i * 5)) % 32];
    }
  }
  return out;
}

/** `ServicePortName.String()`: `ns/name` plus `:port` when the port is named. */
export function servicePortNameString(namespace: string, name: string, portName: string): string {
  return portName === '' ? `${namespace}/${name}` : `${namespace}/${name}:${portName}`;
}

/** The 16-character suffix shared by a service port's SVC, SVL, EXT and FW chains. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return hash16(servicePortName + protocol);
}

export function servicePortEndpointChainName(
  servicePortName: string,
  protocol: string,
  endpoint: string,
): string {
  return servicePortEndpointChainNamePrefix + hash16(servicePortName + protocol + endpoint);
}

/** Chains this proxier owns and may delete when stale (`isServiceChainName`). */
export function isServiceChainName(chain: string): boolean {
  for (const p of serviceChainPrefixes) if (chain.startsWith(p)) return true;
  return false;
}

/** `utiliptables.MakeChainLine`. */
export function makeChainLine(chain: string): string {
  return `:${chain} - [0:0]`;
}
