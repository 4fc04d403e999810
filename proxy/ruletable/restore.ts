// Applying a restore payload to a rule table the way `iptables-restore --noflush` does (kube-proxy's
// RestoreAll with NoFlushTables): a declared chain is created or flushed and gets the payload's rules,
// an undeclared chain keeps its rules (new ones are appended), `-X` deletes, and the whole payload is
// refused, nothing applied, if any rule is left jumping to a chain that does not exist.
import { RulesRestoreError } from './errors.js';
import type { Rule } from './rule.js';
import { builtinChains, RuleTable } from './table.js';

interface ChainState {
  name: string;
  policy: string;
  counters: string;
  rules: Rule[];
  deleted: boolean;
}

export interface RestoreOptions {
  /** `--noflush` is kube-proxy's mode; with flush, every table in the payload is emptied first. */
  readonly flush?: boolean;
  /** Take the payload's `[p:b]` counters for declared chains (`--counters`). */
  readonly counters?: boolean;
}

const TERMINAL = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE']);

/** Returns the new state; `state` is left untouched, also when the payload is refused. */
export function applyRestore(state: RuleTable, payload: RuleTable, opts: RestoreOptions = {}): RuleTable {
  const tables = new Map<string, ChainState[]>();
  for (const t of state.tables) {
    tables.set(
      t.name,
      [...t.chains.values()]
        .filter((c) => !c.deleted)
        .map((c) => ({
          name: c.name,
          policy: c.policy,
          counters: c.counters,
          rules: [...c.rules],
          deleted: false,
        })),
    );
  }
  for (const pt of payload.tables) {
    let chains = tables.get(pt.name);
    if (chains === undefined || opts.flush === true) {
      chains = (builtinChains[pt.name] ?? []).map((name) => {
        const old = chains?.find((c) => c.name === name);
        return {
          name,
          policy: old?.policy ?? 'ACCEPT',
          counters: old?.counters ?? '[0:0]',
          rules: [],
          deleted: false,
        };
      });
      tables.set(pt.name, chains);
    }
    const byName = new Map(chains.map((c) => [c.name, c]));
    const touched = new Map<string, Rule[]>();
    for (const pc of pt.chains.values()) {
      const old = byName.get(pc.name);
      if (pc.declared) {
        if (old === undefined) {
          const c: ChainState = {
            name: pc.name,
            policy: pc.policy,
            counters: pc.counters,
            rules: [],
            deleted: false,
          };
          chains.push(c);
          byName.set(pc.name, c);
        } else {
          old.rules = [];
          if (opts.counters === true) old.counters = pc.counters;
        }
        touched.set(pc.name, pc.rules);
      } else if (pc.rules.length > 0) {
        if (old === undefined) {
          throw new RulesRestoreError(
            `table ${pt.name}: rules for chain "${pc.name}", which neither exists nor is declared`,
          );
        }
        touched.set(pc.name, [...old.rules, ...pc.rules]);
      }
    }
    for (const [name, rules] of touched) byName.get(name)!.rules = [...rules];
    for (const pc of pt.chains.values()) {
      if (!pc.deleted) continue;
      const old = byName.get(pc.name);
      if (old === undefined) continue;
      if ((builtinChains[pt.name] ?? []).includes(pc.name)) {
        throw new RulesRestoreError(`table ${pt.name}: cannot delete built-in chain "${pc.name}"`);
      }
      old.deleted = true;
      byName.delete(pc.name);
    }
    tables.set(
      pt.name,
      chains.filter((c) => !c.deleted),
    );
    for (const c of tables.get(pt.name)!) {
      for (const r of c.rules) {
        const tg = r.target;
        if (tg?.kind === 'jump' && !TERMINAL.has(tg.chain) && !byName.has(tg.chain)) {
          throw new RulesRestoreError(
            `table ${pt.name}: rule "${r.text}" jumps to chain "${tg.chain}", which does not exist`,
          );
        }
      }
    }
  }
  const out = new RuleTable();
  for (const [name, chains] of tables) {
    const t = out.table(name);
    for (const c of chains) t.declareChain(c.name, c.policy, c.counters);
    for (const c of chains) for (const r of c.rules) t.append(r);
  }
  return out;
}
