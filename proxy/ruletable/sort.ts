// kube-proxy's test sort (proxier_test.go sortIPTablesRules): the canonical form its tests compare,
// because kube-proxy writes services in Go map order (random). Also the IPTablesDump.String() layout
// it prints: per table all chain lines, then every chain's rules chain by chain, then `-X` lines.
import type { Rule } from './rule.js';
import { type Chain, RuleTable, type Table } from './table.js';

const NODEPORTS = 'KUBE-NODEPORTS';
const SERVICES = 'KUBE-SERVICES';

function compareChains(a: string, b: string): number {
  if (a === b) return 0;
  if (a === NODEPORTS) return -1;
  if (b === NODEPORTS) return 1;
  if (a === SERVICES) return -1;
  if (b === SERVICES) return 1;
  const ka = a.startsWith('KUBE-');
  const kb = b.startsWith('KUBE-');
  if (ka !== kb) return ka ? -1 : 1;
  return a < b ? -1 : 1;
}

/** The service name a rule's comment starts with (`"ns1/svc1:p80 cluster IP"` -> `ns1/svc1`). */
export function serviceNameOf(rule: Rule): string {
  const c = rule.comment;
  if (c === undefined) return '';
  const m = /[ :]/.exec(c);
  return m === null ? c : c.slice(0, m.index);
}

function byServiceName(a: Rule, b: Rule): number {
  const x = serviceNameOf(a);
  const y = serviceNameOf(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function isLast(r: Rule): boolean {
  return r.comment?.includes('must be the last rule') ?? false;
}

function rebuild(t: Table, chains: Chain[], rulesOf: (c: Chain) => readonly Rule[]): Table {
  const out = new RuleTable().table(t.name);
  for (const c of chains) {
    const n = out.declareChain(c.name, '-', c.counters);
    n.deleted = c.deleted;
  }
  for (const c of chains) for (const r of rulesOf(c)) out.append(r);
  for (const c of chains)
    if (c.deleted) out.body.push({ kind: 'delete', chain: c.name, text: `-X ${c.name}` });
  return out;
}

/**
 * The IPTablesDump.String() form of a rule table: per table every chain line (`:NAME - [p:b]`), then
 * the rules chain by chain, then `-X` lines. With `sorted`, tables, chains and the KUBE-NODEPORTS /
 * KUBE-SERVICES rules are ordered as kube-proxy's tests order them.
 */
export function canonicalRuleTable(rt: RuleTable, sorted: boolean): RuleTable {
  const out = new RuleTable();
  const tables = [...rt.tables];
  if (sorted) tables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const t of tables) {
    const chains = [...t.chains.values()];
    if (sorted) chains.sort((a, b) => compareChains(a.name, b.name));
    const rulesOf = (c: Chain): readonly Rule[] => {
      if (!sorted) return c.rules;
      if (c.name === NODEPORTS && (t.name === 'filter' || t.name === 'nat')) {
        return [...c.rules].sort(byServiceName);
      }
      if (c.name === SERVICES && t.name === 'filter') return [...c.rules].sort(byServiceName);
      if (c.name === SERVICES && t.name === 'nat') {
        // Array.prototype.sort is stable, as Go's sort.SliceStable.
        return [...c.rules].sort((a, b) => {
          const la = isLast(a);
          const lb = isLast(b);
          if (la !== lb) return la ? 1 : -1;
          return byServiceName(a, b);
        });
      }
      return c.rules;
    };
    out.tables.push(rebuild(t, chains, rulesOf));
  }
  return out;
}

/** kube-proxy's sortIPTablesRules: parse, sort, print. */
export function sortIPTablesRules(text: string, file?: string): string {
  return canonicalRuleTable(RuleTable.parse(text, file), true).render();
}
