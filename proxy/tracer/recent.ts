// The `recent` match's address lists (xt_recent), which is how kube-proxy implements ClientIP session
// affinity: the SEP chain `--set`s the client in a list named after itself, the SVC chain
// `--rcheck --seconds T --reap`s each list before the random choice.

export class RecentTable {
  // list name -> address -> last seen (seconds on the injected clock)
  readonly #lists = new Map<string, Map<string, number>>();

  set(name: string, addr: string, now: number): void {
    let l = this.#lists.get(name);
    if (l === undefined) {
      l = new Map();
      this.#lists.set(name, l);
    }
    l.set(addr, now);
  }

  /** `--rcheck` (and `--update` with `touch`): seen within `seconds` (any time when undefined). */
  check(
    name: string,
    addr: string,
    now: number,
    seconds: number | undefined,
    reap: boolean,
    touch: boolean,
  ): boolean {
    const l = this.#lists.get(name);
    if (l === undefined) return false;
    if (reap && seconds !== undefined) {
      for (const [a, t] of l) if (now - t > seconds) l.delete(a);
    }
    const t = l.get(addr);
    if (t === undefined) return false;
    if (seconds !== undefined && now - t > seconds) return false;
    if (touch) l.set(addr, now);
    return true;
  }

  remove(name: string, addr: string): boolean {
    return this.#lists.get(name)?.delete(addr) ?? false;
  }

  /** The lists as /proc/net/xt_recent/NAME would show them: name -> [address, last seen]. */
  entries(): Map<string, [string, number][]> {
    const out = new Map<string, [string, number][]>();
    for (const [name, l] of this.#lists) out.set(name, [...l]);
    return out;
  }
}
