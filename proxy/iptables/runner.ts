// A small BoundedFrequencyRunner: `run()` asks for a sync; syncs are at least `minInterval` apart
// (kube-proxy's --iptables-min-sync-period, 1 s by default) and requests in between coalesce into
// one. With minInterval 0 the sync runs at once, inside `run()`, which is what tests want.

export interface SyncRunnerOptions {
  /** Milliseconds between two syncs at least; default 1000. */
  minInterval?: number;
  now?: () => number;
}

export class SyncRunner {
  readonly #fn: () => void;
  readonly #minInterval: number;
  readonly #now: () => number;
  #last = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | null = null;
  #retry: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(fn: () => void, opts: SyncRunnerOptions = {}) {
    this.#fn = fn;
    this.#minInterval = opts.minInterval ?? 1000;
    this.#now = opts.now ?? (() => performance.now());
  }

  /** Requests a sync: now if the last one is old enough, else once the interval has passed. */
  run(): void {
    if (this.#stopped || this.#timer) return;
    const wait = this.#last + this.#minInterval - this.#now();
    if (wait <= 0) {
      this.#tick();
      return;
    }
    this.#schedule(wait);
  }

  /** After a failed sync: try again in `ms` (kube-proxy waits its syncPeriod). */
  retryAfter(ms: number): void {
    if (this.#stopped) return;
    if (this.#retry) clearTimeout(this.#retry);
    // A retry does not hold back requested syncs; whichever runs first does the work.
    this.#retry = setTimeout(
      () => {
        this.#retry = null;
        this.#tick();
      },
      Math.max(ms, 0),
    );
    this.#retry.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#retry) clearTimeout(this.#retry);
    this.#timer = null;
    this.#retry = null;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#tick();
    }, ms);
    // A pending sync must not keep a CLI or a test process alive on its own.
    this.#timer.unref();
  }

  #tick(): void {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    this.#last = this.#now();
    this.#fn();
  }
}
