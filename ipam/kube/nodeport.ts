// NodePort allocation as kube-apiserver's portallocator.PortAllocator: a bitmap over the range
// (default 30000-32767) whose lower band, min(max(16, size/32), 128) ports, is kept for requested
// ports (KEP-3070), so dynamic allocation does not take a port someone asks for by number.
import { AllocationBitmap, BitmapAllocator } from './bitmap.js';
import { AlreadyAllocatedError, InvalidRangeError, NotInRangeError, RangeFullError } from './errors.js';
import type { AllocatorOptions } from './serviceip.js';

export const defaultNodePortRange = '30000-32767';

export interface PortRange {
  base: number;
  size: number;
}

/** net.ParsePortRange: `30000-32767`, `30000+2767`, or a single port. */
export function parsePortRange(text: string): PortRange {
  const t = text.trim();
  const dash = /^(\d+)-(\d+)$/.exec(t);
  const plus = /^(\d+)\+(\d+)$/.exec(t);
  let base: number;
  let last: number;
  if (dash) {
    base = Number(dash[1]);
    last = Number(dash[2]);
  } else if (plus) {
    base = Number(plus[1]);
    last = base + Number(plus[2]);
  } else if (/^\d+$/.test(t)) {
    base = last = Number(t);
  } else {
    throw new InvalidRangeError(`unable to parse port range: ${text}`);
  }
  if (base > 65535 || last > 65535 || last < base)
    throw new InvalidRangeError(`unable to parse port range: ${text}`);
  return { base, size: last - base + 1 };
}

/** KEP-3070 static band size for a port range: min(max(16, size/32), 128); 0 up to 16 ports. */
export function nodePortRangeOffset(size: number): number {
  if (size <= 16) return 0;
  return Math.min(128, Math.max(16, Math.floor(size / 32)));
}

export class NodePortAllocator extends BitmapAllocator {
  readonly range: string;
  readonly base: number;

  constructor(range: string = defaultNodePortRange, opts: AllocatorOptions = {}) {
    const r = parsePortRange(range);
    super(new AllocationBitmap(r.size, nodePortRangeOffset(r.size), opts.seed ?? 1));
    this.base = r.base;
    this.range = `${r.base}-${r.base + r.size - 1}`;
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.base && port < this.base + this.bitmap.max;
  }

  has(port: number): boolean {
    return this.contains(port) && this.bitmap.has(port - this.base);
  }

  /** Reserves a requested port. Throws NotInRangeError or AlreadyAllocatedError. */
  allocate(port: number): void {
    if (!this.contains(port))
      throw new NotInRangeError(
        `provided port is not in the valid range. The range of valid ports is ${this.range}`,
        this.range,
      );
    if (!this.bitmap.allocate(port - this.base)) throw new AlreadyAllocatedError('port');
  }

  /** Reserves a free port, the upper band first. Throws RangeFullError. */
  allocateNext(): number {
    const i = this.bitmap.allocateNext();
    if (i < 0) throw new RangeFullError();
    return this.base + i;
  }

  release(port: number): void {
    if (this.contains(port)) this.bitmap.release(port - this.base);
  }

  *allocated(): Generator<number> {
    for (const i of this.bitmap.allocated()) yield this.base + i;
  }
}
