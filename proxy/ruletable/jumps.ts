// The jumps from the built-in chains into kube-proxy's chains (proxier.go iptablesJumpChains). They are
// not part of the restore payload: kube-proxy installs them with EnsureRule(Prepend) on full syncs, so
// the later entries of its list end up first. Listed here in the resulting order, as `iptables -S`
// shows them on a node. Static structure as data: the tracer's kernel mode installs them, tests read them.

export interface JumpRule {
  readonly table: 'filter' | 'nat';
  readonly chain: string;
  readonly args: string;
}

export const kubeJumpRules: readonly JumpRule[] = [
  {
    table: 'filter',
    chain: 'INPUT',
    args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
  },
  {
    table: 'filter',
    chain: 'INPUT',
    args: '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
  },
  {
    table: 'filter',
    chain: 'INPUT',
    args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
  },
  { table: 'filter', chain: 'INPUT', args: '-j KUBE-FIREWALL' },
  {
    table: 'filter',
    chain: 'FORWARD',
    args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
  },
  {
    table: 'filter',
    chain: 'FORWARD',
    args: '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
  },
  {
    table: 'filter',
    chain: 'FORWARD',
    args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  },
  {
    table: 'filter',
    chain: 'FORWARD',
    args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
  },
  {
    table: 'filter',
    chain: 'OUTPUT',
    args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
  },
  {
    table: 'filter',
    chain: 'OUTPUT',
    args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  },
  { table: 'filter', chain: 'OUTPUT', args: '-j KUBE-FIREWALL' },
  {
    table: 'nat',
    chain: 'PREROUTING',
    args: '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  },
  {
    table: 'nat',
    chain: 'OUTPUT',
    args: '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  },
  {
    table: 'nat',
    chain: 'POSTROUTING',
    args: '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
  },
];
