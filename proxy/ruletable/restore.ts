// Applying a restore payload to a rule table the way `iptables-restore --noflush` does (kube-proxy's
// RestoreAll with NoFlushTables): a declared chain is created or flushed and gets the payload's rules,
// an undeclared chain keeps its rules (new ones are appended), `-X` deletes, and the whole payload is
// refused, nothing applied, if any rule is left jumping to a chain that does not exist.
import { RulesRestoreError } from './errors.js';
import type { Rule } from './rule.js';
import { builtinChains, Chain, RuleTable, Table } from './table.js';

export interface RestoreOptions {
  /** `--noflush` is kube-proxy's mode; with flush, every table in the payload is emptied first. */
  readonly flush?: boolean;
  /** Take the payload's `[p:b]` counters for declared chains (`--counters`). */
  readonly counters?: boolean;
}

const TERMINAL = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE']);

/** Returns the new state; `state` is left untouched, also when the payload is refused. */
export function applyRestore(state: RuleTable, payload: RuleTable, opts: RestoreOptions = {}): RuleTable {
  // Chains are copied (their rule arrays too, so the old state stays as it was); only the payload's
  // own rules and, when it deletes chains, the other rules' targets are checked.
  const tables = new Map<string, Map<string, Chain>>();
  for (const t of state.tables) {
    const chains = new Map<string, Chain>();
    for (const c of t.chains.values()) {
      if (!c.deleted) chains.set(c.name, new Chain(c.name, c.policy, c.counters, c.rules.slice()));
    }
    tables.set(t.name, chains);
  }
  for (const pt of payload.tables) {
    let chains = tables.get(pt.name);
    const builtins = builtinChains[pt.name] ?? [];
    if (chains === undefined || opts.flush === true) {
      const old = chains;
      chains = new Map();
      for (const name of builtins) {
        const o = old?.get(name);
        chains.set(name, new Chain(name, o?.policy ?? 'ACCEPT', o?.counters ?? '[0:0]'));
      }
      tables.set(pt.name, chains);
    }
    const touched: Chain[] = [];
    for (const pc of pt.chains.values()) {
      let c = chains.get(pc.name);
      if (pc.declared) {
        if (c === undefined) {
          c = new Chain(pc.name, pc.policy, pc.counters);
          chains.set(pc.name, c);
        } else {
          c.rules.length = 0;
          if (opts.counters === true) c.counters = pc.counters;
        }
      } else if (pc.rules.length > 0 && c === undefined) {
        throw new RulesRestoreError(
          `table ${pt.name}: rules for chain "${pc.name}", which neither exists nor is declared`,
        );
      }
      if (c !== undefined && pc.rules.length > 0) {
        for (const r of pc.rules) c.rules.push(r);
        touched.push(c);
      }
    }
    const deleted = new Set<string>();
    for (const pc of pt.chains.values()) {
      if (!pc.deleted || !chains.has(pc.name)) continue;
      if (builtins.includes(pc.name)) {
        throw new RulesRestoreError(`table ${pt.name}: cannot delete built-in chain "${pc.name}"`);
      }
      chains.delete(pc.name);
      deleted.add(pc.name);
    }
    const dangling = (r: Rule): string | undefined => {
      const tg = r.target;
      if (tg?.kind === 'jump' && !TERMINAL.has(tg.chain) && !chains.has(tg.chain)) return tg.chain;
      return undefined;
    };
    const check = (rules: readonly Rule[]) => {
      for (const r of rules) {
        const gone = dangling(r);
        if (gone !== undefined) {
          throw new RulesRestoreError(
            `table ${pt.name}: rule "${r.text}" jumps to chain "${gone}", which does not exist`,
          );
        }
      }
    };
    // The payload's rules: parsed only when a word after -j/-g is neither a chain nor a target name.
    for (const c of touched) {
      for (const r of c.rules) {
        for (const w of jumpWords(r.text)) {
          if (!chains.has(w) && !/^[A-Z]+$/.test(w)) {
            check([r]);
            break;
          }
        }
      }
    }
    if (deleted.size > 0) {
      // Rules the payload did not write can only dangle by jumping to a chain it deleted; a word
      // test on the text spares parsing every rule of the node.
      for (const c of chains.values()) {
        for (const r of c.rules) {
          for (const name of jumpWords(r.text)) {
            if (deleted.has(name)) {
              check([r]);
              break;
            }
          }
        }
      }
    }
  }
  const out = new RuleTable();
  for (const [name, chains] of tables) out.tables.push(Table.fromChains(name, chains.values()));
  return out;
}

// The words after `-j` / `-g` in rule text (a cheap over-approximation of the rule's jump target).
function* jumpWords(text: string): Generator<string> {
  let i = text.indexOf(' -j ');
  while (i >= 0) {
    const start = i + 4;
    const end = text.indexOf(' ', start);
    yield end < 0 ? text.slice(start) : text.slice(start, end);
    i = text.indexOf(' -j ', start);
  }
  i = text.indexOf(' -g ');
  while (i >= 0) {
    const start = i + 4;
    const end = text.indexOf(' ', start);
    yield end < 0 ? text.slice(start) : text.slice(start, end);
    i = text.indexOf(' -g ', start);
  }
}
