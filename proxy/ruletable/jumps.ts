// The jumps from the built-in chains into kube-proxy's chains (proxier.go iptablesJumpChains, then
// iptablesKubeletJumpChains: KUBE-FIREWALL from INPUT and OUTPUT). They are not part of the restore
// payload: kube-proxy installs them with EnsureRule(Prepend) on full syncs, so the later entries of
// its list end up first (KUBE-FIREWALL, prepended last, heads INPUT and OUTPUT). Listed here in the resulting order, as `iptables -S`
// shows them on a node. Static structure as data: the tracer's kernel mode installs them, tests read them.
import { RuleTable, type TableLine } from './table.js';

export interface JumpRule {
  readonly table: 'filter' | 'nat';
  readonly chain: string;
  readonly args: string;
}

export const kubeJumpRules: readonly JumpRule[] = [
  { table: 'filter', chain: 'INPUT', args: '-j KUBE-FIREWALL' },
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
  { table: 'filter', chain: 'OUTPUT', args: '-j KUBE-FIREWALL' },
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

/**
 * The rule table as it stands on a node after kube-proxy's full sync: the restore payload plus the
 * jump rules in the built-in chains (declared with policy ACCEPT), for chains that have no rules of
 * their own yet. Rule objects are shared with `rt`.
 */
export function withKubeJumpRules(rt: RuleTable): RuleTable {
  const out = new RuleTable();
  for (const t of rt.tables) {
    const nt = out.table(t.name);
    nt.before = [...t.before];
    const jumps = kubeJumpRules.filter(
      (j) => j.table === t.name && (t.chains.get(j.chain)?.rules.length ?? 0) === 0,
    );
    for (const j of jumps) nt.declareChain(j.chain, 'ACCEPT');
    const copy = (l: TableLine, into: 'head' | 'body') => {
      if (l.kind === 'rule') nt.append(l.rule);
      else if (l.kind === 'chain') {
        const c = nt.declareChain(l.chain.name, l.chain.policy, l.chain.counters);
        c.deleted = l.chain.deleted;
      } else if (l.kind === 'delete') nt.body.push(l);
      else nt[into].push(l);
    };
    for (const l of t.head) copy(l, 'head');
    for (const j of jumps) nt.appendRule(j.chain, j.args);
    for (const l of t.body) copy(l, 'body');
    nt.commitLine = t.commitLine;
  }
  out.trailer = [...rt.trailer];
  return out;
}
