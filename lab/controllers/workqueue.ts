// A work queue of keys (client-go util/workqueue): a key is queued at most once however many events
// name it, a worker pops it and reconciles that one object from the informers' caches, a failure is
// retried with exponential back-off, and `addAfter` brings a key back later (minReadySeconds, a node
// monitor grace period). Syncs are synchronous, so draining the queue cannot interleave two syncs.
import type { Clock } from './clock.js';
import type { SharedInformers, Writes } from './informer.js';

export interface WorkQueueOptions {
  /** Named in log lines: `replicaset-controller: default/web-1: ...`. */
  name: string;
  clock: Clock;
  informers: SharedInformers;
  log: (line: string) => void;
  /** Back-off of a failing key: base * 2^failures, capped (client-go: 5 ms to 1000 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * How long one drain may run before it yields to I/O (watches, sockets), in ms of wall time; so
 * where the controllers' writes interleave depends on the machine's speed. Tests move it (0: yield
 * after every key) to show a result does not depend on that.
 */
export const drainBudget = { ms: 20 };

export class WorkQueue {
  #keys: string[] = [];
  #head = 0;
  readonly #queued = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #later = new Map<string, { at: number; handle: unknown }>();
  #scheduled = false;
  #waiting = false;
  #stopped = false;
  /** Keys reconciled so far (tests count them to show an event touched only what it affects). */
  syncs = 0;

  /** This queue's own writes: a drain waits for the caches to see them (and nobody else's). */
  readonly #writes: Writes;

  constructor(
    readonly opts: WorkQueueOptions,
    readonly sync: (key: string) => void,
  ) {
    this.#writes = opts.informers.writer();
  }

  get length(): number {
    return this.#keys.length - this.#head;
  }

  add(key: string): void {
    if (this.#stopped || this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#keys.push(key);
    this.#schedule();
  }

  /** Adds the key after `ms`; an earlier pending addAfter of the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const { clock } = this.opts;
    const at = clock.now() + ms;
    const pending = this.#later.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clock.clearTimeout(pending.handle);
    const handle = clock.setTimeout(() => {
      this.#later.delete(key);
      this.add(key);
    }, ms);
    this.#later.set(key, { at, handle });
  }

  /** Requeue after a failure, backing off per key. */
  addRateLimited(key: string): void {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    const base = this.opts.baseDelayMs ?? 5;
    const max = this.opts.maxDelayMs ?? 60_000;
    this.addAfter(key, Math.min(max, base * 2 ** n));
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  shutDown(): void {
    this.#stopped = true;
    for (const { handle } of this.#later.values()) this.opts.clock.clearTimeout(handle);
    this.#later.clear();
    this.#keys = [];
    this.#head = 0;
    this.#queued.clear();
  }

  #schedule(): void {
    if (this.#scheduled || this.#waiting || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    // The writes its syncs make are this queue's own.
    this.opts.informers.as(this.#writes, () => this.#drainKeys());
  }

  #drainKeys(): void {
    const start = performance.now();
    const { informers } = this.opts;
    while (this.length > 0 && !this.#stopped) {
      // A reconcile must see its controller's own earlier writes in the caches, or it would
      // create the same Pods twice; wait for the watches to deliver them.
      if (!informers.caughtUp(this.#writes)) {
        this.#waiting = true;
        informers.whenCaughtUp(() => {
          this.#waiting = false;
          this.#schedule();
        }, this.#writes);
        return;
      }
      const key = this.#keys[this.#head]!;
      this.#keys[this.#head++] = '';
      if (this.#head > 1024 && this.#head * 2 > this.#keys.length) {
        this.#keys = this.#keys.slice(this.#head);
        this.#head = 0;
      }
      this.#queued.delete(key);
      this.syncs++;
      try {
        this.sync(key);
        this.forget(key);
      } catch (e) {
        // As kube-controller-manager: log, back off, retry; a controller never stops on an error.
        this.opts.log(`${this.opts.name}: error syncing ${key}: ${(e as Error).message}`);
        this.addRateLimited(key);
      }
      if (performance.now() - start > drainBudget.ms) break;
    }
    if (this.length > 0) this.#schedule();
  }
}
