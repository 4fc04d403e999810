// Pod logs: what `kubectl logs` reads through pods/log. The kubelet's pods write their app log and
// their access log line by line into a PodLogs (the `PodLogSink` side); the kube-API reads it back,
// the last lines or a follow. Each container keeps a bounded ring of lines, as a node keeps rotated
// container logs, so a chatty pod cannot grow memory without bound. A pod's rings are its uid's: a
// pod made again under the same name (a StatefulSet's) has rings of its own, and the old pod's
// removal (its kubelet done with it, `remove` with its uid) takes only the old pod's.

/** What a pod's containers write to: one line at a time, without its newline. */
export interface PodLogSink {
  /** `uid`: the pod's metadata.uid; a line without one is the name's, whichever pod has it. */
  write(namespace: string, pod: string, container: string, line: string, time?: Date, uid?: string): void;
}

export interface LogLine {
  time: Date;
  text: string;
}

export interface ReadLogOptions {
  /** The pod's metadata.uid: its own lines, else those written under its name without a uid. */
  uid?: string;
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
// goes into an array of one (a pushed empty array reserves 17 slots). A name's other rings (its pod's
// other containers, and while a pod of the name is replaced the other pod's) follow its first in a
// chain: one or two, four at most while two pods of one name overlap.
class Ring {
  lines: Kept[] = [];
  listeners: Set<Listener> | undefined;
  next: Ring | undefined;
  constructor(
    readonly container: string,
    /** The pod's uid; '' for lines written under the name alone. */
    readonly uid: string,
  ) {}
}

export class PodLogs implements PodLogSink {
  /** Rings by namespace, then pod: keyed by the names as given, no key text made per line or kept per pod. */
  private readonly rings = new Map<string, Map<string, Ring>>();
  /** Rings kept (`size`). */
  private count = 0;
  /** Lines kept per container (the oldest go first). */
  constructor(readonly maxLines = 10000) {}

  /** A container's ring of the pod with `uid`; with `named`, else the one written under the name alone. */
  private find(ns: string, pod: string, container: string, uid: string, named: boolean): Ring | undefined {
    let byName: Ring | undefined;
    for (let r = this.rings.get(ns)?.get(pod); r !== undefined; r = r.next) {
      if (r.container !== container) continue;
      if (r.uid === uid) return r;
      if (r.uid === '') byName = r;
    }
    return named ? byName : undefined;
  }

  private add(ns: string, pod: string, container: string, uid: string): Ring {
    let pods = this.rings.get(ns);
    if (pods === undefined) {
      pods = new Map();
      this.rings.set(ns, pods);
    }
    const r = new Ring(container, uid);
    const first = pods.get(pod);
    if (first === undefined) pods.set(pod, r);
    else {
      let last = first;
      while (last.next !== undefined) last = last.next;
      last.next = r;
    }
    this.count++;
    return r;
  }

  /** Takes the rings `drop` names out of a pod name's chain: the chain's length, not the pods'. */
  private unlink(ns: string, pod: string, drop: (r: Ring) => boolean): void {
    const pods = this.rings.get(ns);
    const first = pods?.get(pod);
    if (pods === undefined || first === undefined) return;
    let kept: Ring | undefined;
    let last: Ring | undefined;
    for (let r: Ring | undefined = first; r !== undefined; ) {
      const next: Ring | undefined = r.next;
      r.next = undefined;
      if (drop(r)) this.count--;
      else {
        if (last === undefined) kept = r;
        else last.next = r;
        last = r;
      }
      r = next;
    }
    if (kept === undefined) {
      pods.delete(pod);
      if (pods.size === 0) this.rings.delete(ns);
    } else if (kept !== first) pods.set(pod, kept);
  }

  write(namespace: string, pod: string, container: string, line: string, time?: Date, uid = ''): void {
    const r = this.find(namespace, pod, container, uid, false) ?? this.add(namespace, pod, container, uid);
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
    let lines = this.find(namespace, pod, container, opts.uid ?? '', true)?.lines.slice(-this.maxLines) ?? [];
    if (opts.sinceSeconds !== undefined) {
      const from = (opts.now ?? new Date()).getTime() - opts.sinceSeconds * 1000;
      lines = lines.filter((l) => l.ms >= from);
    }
    if (opts.tailLines !== undefined) lines = opts.tailLines <= 0 ? [] : lines.slice(-opts.tailLines);
    return lines.map(lineOf);
  }

  /** Calls `f` for every new line of a container (of the pod with `uid`) until the returned function is called. */
  follow(namespace: string, pod: string, container: string, f: Listener, uid = ''): () => void {
    const r = this.find(namespace, pod, container, uid, true) ?? this.add(namespace, pod, container, uid);
    r.listeners ??= new Set();
    const listeners = r.listeners;
    listeners.add(f);
    return () => {
      listeners.delete(f);
      // A ring made for a follow that heard nothing goes with its last listener.
      if (listeners.size === 0 && r.lines.length === 0) this.unlink(namespace, pod, (x) => x === r);
    };
  }

  /**
   * Forgets a pod's logs (the pod is gone): with `uid`, that pod's rings only (a pod of the same name
   * made since keeps its own); without, every ring of the name.
   */
  remove(namespace: string, pod: string, uid?: string): void {
    this.unlink(namespace, pod, uid === undefined ? () => true : (r) => r.uid === uid);
  }

  /** Whether any ring of the name is kept (of the pod with `uid`, when given). */
  has(namespace: string, pod: string, uid?: string): boolean {
    for (let r = this.rings.get(namespace)?.get(pod); r !== undefined; r = r.next)
      if (uid === undefined || r.uid === uid) return true;
    return false;
  }

  /** Rings kept: one per container of each pod that wrote (or is followed) and is not removed. */
  get size(): number {
    return this.count;
  }
}
