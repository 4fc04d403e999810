// Pod logs: what `kubectl logs` reads through pods/log. The kubelet's pods write their app log and
// their access log line by line into a PodLogs (the `PodLogSink` side); the kube-API reads it back,
// the last lines or a follow. Each container keeps a bounded ring of lines, as a node keeps rotated
// container logs, so a chatty pod cannot grow memory without bound.

/** What a pod's containers write to: one line at a time, without its newline. */
export interface PodLogSink {
  write(namespace: string, pod: string, container: string, line: string, time?: Date): void;
}

export interface LogLine {
  time: Date;
  text: string;
}

export interface ReadLogOptions {
  tailLines?: number;
  sinceSeconds?: number;
  now?: Date;
}

type Listener = (l: LogLine) => void;

/** A kept line: its time as epoch milliseconds (a Date is some 100 bytes; made again when read). */
interface Kept {
  ms: number;
  text: string;
}

const lineOf = (k: Kept): LogLine => ({ time: new Date(k.ms), text: k.text });

// One per container of every pod: the listener set is made by the first follow, and the first line
// goes into an array of one (a pushed empty array reserves 17 slots). A pod's other containers' rings
// follow its first in a chain (a pod has one or two).
class Ring {
  lines: Kept[] = [];
  listeners: Set<Listener> | undefined;
  next: Ring | undefined;
  constructor(readonly container: string) {}
}

export class PodLogs implements PodLogSink {
  /** Rings by namespace, then pod: keyed by the names as given, no key text made per line or kept per pod. */
  private readonly rings = new Map<string, Map<string, Ring>>();
  /** Lines kept per container (the oldest go first). */
  constructor(readonly maxLines = 10000) {}

  private ring(ns: string, pod: string, container: string, create: boolean): Ring | undefined {
    let pods = this.rings.get(ns);
    let r = pods?.get(pod);
    while (r !== undefined && r.container !== container) r = r.next;
    if (r !== undefined || !create) return r;
    if (pods === undefined) {
      pods = new Map();
      this.rings.set(ns, pods);
    }
    r = new Ring(container);
    const first = pods.get(pod);
    if (first === undefined) pods.set(pod, r);
    else {
      let last = first;
      while (last.next !== undefined) last = last.next;
      last.next = r;
    }
    return r;
  }

  write(namespace: string, pod: string, container: string, line: string, time?: Date): void {
    const r = this.ring(namespace, pod, container, true)!;
    const l: Kept = { ms: time ? time.getTime() : Date.now(), text: line };
    if (r.lines.length === 0) r.lines = [l];
    else r.lines.push(l);
    if (r.lines.length > this.maxLines * 1.25) r.lines = r.lines.slice(r.lines.length - this.maxLines);
    if (r.listeners === undefined || r.listeners.size === 0) return;
    const out = lineOf(l);
    for (const f of r.listeners) f(out);
  }

  /** The kept lines of a container, oldest first, cut by tailLines / sinceSeconds. */
  read(namespace: string, pod: string, container: string, opts: ReadLogOptions = {}): LogLine[] {
    let lines = this.ring(namespace, pod, container, false)?.lines.slice(-this.maxLines) ?? [];
    if (opts.sinceSeconds !== undefined) {
      const from = (opts.now ?? new Date()).getTime() - opts.sinceSeconds * 1000;
      lines = lines.filter((l) => l.ms >= from);
    }
    if (opts.tailLines !== undefined) lines = opts.tailLines <= 0 ? [] : lines.slice(-opts.tailLines);
    return lines.map(lineOf);
  }

  /** Calls `f` for every new line of a container until the returned function is called. */
  follow(namespace: string, pod: string, container: string, f: Listener): () => void {
    const r = this.ring(namespace, pod, container, true)!;
    r.listeners ??= new Set();
    const listeners = r.listeners;
    listeners.add(f);
    return () => listeners.delete(f);
  }

  /** Forgets a pod's logs (the pod is gone). */
  remove(namespace: string, pod: string): void {
    const pods = this.rings.get(namespace);
    if (pods === undefined) return;
    pods.delete(pod);
    if (pods.size === 0) this.rings.delete(namespace);
  }
}
