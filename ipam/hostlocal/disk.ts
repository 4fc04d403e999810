// The disk store, byte-identical to host-local's disk backend (plugins v1.1.1): `<dataDir>/<name>/`
// (0755), `lock` (empty, 0750, flock'ed), one file per address named by Go's IP.String() holding
// "<containerID>\r\n<ifname>" (0644), `last_reserved_ip.<set>` (0644). Address files are created
// with O_EXCL, so any number of processes (ours or the real plugin) never hand out one address
// twice; the flock only keeps round-robin exact when they run side by side. Node has no flock(2),
// so the lock is taken by util-linux flock(1) on an inherited descriptor: flock locks the open file
// description, which stays locked in this process after the helper exits, until we close it.
//
// A flock(1) spawn costs milliseconds, more than an allocation. The store's critical sections are
// synchronous, so within one turn of the event loop nothing else in this process can interleave
// with them: the flock taken for one section is kept until the turn ends (released on
// setImmediate) and the sections that follow in the same turn (a loop of ADDs, the two range sets
// of a dual-stack ADD) reuse it. Other processes, the real plugin included, still queue on the same
// flock and see our sections whole; they wait at most for the rest of our synchronous burst. (So a
// caller that, in the same turn, synchronously runs another process that flocks the same dataDir,
// e.g. spawnSync of the real plugin, calls releaseDiskLocks() first.)
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  type Dirent,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { formatGoIP, goPathErrorText, goStrerror, type IP, parseGoIP } from '../../std/index.js';
import { defaultDataDir } from './config.js';
import { HostLocalError } from './errors.js';
import { entryContent, goTrimSpace, type HostLocalStore, type Reservation } from './store.js';

const LAST_IP_PREFIX = 'last_reserved_ip.';

/** A Go *PathError text: "<op> <path>: <strerror>". */
export function goPathError(op: string, path: string, err: unknown): HostLocalError {
  return new HostLocalError('NETLAB_IPAM_HOSTLOCAL_STORE', goPathErrorText(op, path, err));
}

/** os.MkdirAll with Go's error texts (e.g. `mkdir /x/afile: not a directory`). */
export function goMkdirAll(path: string, mode: number): void {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(path);
  } catch {
    st = undefined;
  }
  if (st) {
    if (st.isDirectory()) return;
    throw goPathError('mkdir', path, { code: 'ENOTDIR' });
  }
  let i = path.length;
  while (i > 0 && path[i - 1] === '/') i--;
  let j = i;
  while (j > 0 && path[j - 1] !== '/') j--;
  if (j > 1) goMkdirAll(path.slice(0, j - 1), mode);
  try {
    mkdirSync(path, { mode });
  } catch (err) {
    try {
      if (lstatSync(path).isDirectory()) return;
    } catch {}
    throw goPathError('mkdir', path, err);
  }
}

/** How the disk store serialises with other processes. */
export type DiskLockMode = 'flock' | 'none';

// Reservation files are a few bytes: one open/read/close into a shared buffer, no fstat.
const readBuf = Buffer.alloc(4096);
function readSmall(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch {
    return null;
  }
  try {
    const n = readSync(fd, readBuf, 0, readBuf.length, 0);
    if (n < readBuf.length) return readBuf.toString('utf8', 0, n);
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

let flockAvailable: boolean | undefined;
function haveFlock(): boolean {
  flockAvailable ??= existsSync('/usr/bin/flock') || existsSync('/bin/flock');
  return flockAvailable;
}

// The flocks this process holds, by the lock file's device:inode (two paths to one file share one
// entry: a second flock on another descriptor of it would wait for ourselves).
interface HeldLock {
  readonly fd: number;
  users: number;
  release: NodeJS.Immediate | undefined;
}
const held = new Map<string, HeldLock>();

function acquire(path: string): string | undefined {
  let fd: number;
  let key: string;
  try {
    fd = openSync(path, constants.O_CREAT | constants.O_RDONLY, 0o750);
    const st = fstatSync(fd);
    key = `${st.dev}:${st.ino}`;
  } catch {
    return undefined; // host-local ignores lock errors
  }
  const h = held.get(key);
  if (h !== undefined) {
    closeSync(fd);
    if (h.release !== undefined) clearImmediate(h.release);
    h.release = undefined;
    h.users++;
    return key;
  }
  spawnSync('flock', ['-x', '3'], { stdio: ['ignore', 'ignore', 'ignore', fd] });
  held.set(key, { fd, users: 1, release: undefined });
  return key;
}

function release(key: string): void {
  const h = held.get(key);
  if (h === undefined || --h.users > 0) return;
  h.release = setImmediate(() => {
    held.delete(key);
    closeSync(h.fd);
  });
  h.release.unref();
}

/** Releases now every flock kept for the rest of this turn (see the top of this file). */
export function releaseDiskLocks(): void {
  for (const [key, h] of held) {
    if (h.users > 0) continue;
    if (h.release !== undefined) clearImmediate(h.release);
    held.delete(key);
    closeSync(h.fd);
  }
}

export interface DiskStoreOptions {
  /** 'flock' (default when util-linux flock exists) or 'none' (O_EXCL alone) */
  readonly lock?: DiskLockMode;
}

export class DiskStore implements HostLocalStore {
  /** the network's directory, `<dataDir>/<name>` */
  readonly dir: string;
  private readonly lockPath: string;
  private lockKey: string | undefined;
  private readonly lockMode: DiskLockMode;

  /** disk.New(network, dataDir): creates the directory and the lock file. */
  constructor(network: string, dataDir: string, opts: DiskStoreOptions = {}) {
    this.dir = join(dataDir === '' ? defaultDataDir : dataDir, network);
    goMkdirAll(this.dir, 0o755);
    this.lockPath = statSync(this.dir).isDirectory() ? join(this.dir, 'lock') : this.dir;
    // go-filemutex: open(O_CREAT|O_RDONLY, 0750); the error is the bare errno text
    try {
      closeSync(openSync(this.lockPath, constants.O_CREAT | constants.O_RDONLY, 0o750));
    } catch (err) {
      throw new HostLocalError('NETLAB_IPAM_HOSTLOCAL_STORE', goStrerror(err));
    }
    this.lockMode = opts.lock ?? (haveFlock() ? 'flock' : 'none');
  }

  lock(): void {
    if (this.lockMode === 'none' || this.lockKey !== undefined) return;
    this.lockKey = acquire(this.lockPath);
  }

  unlock(): void {
    if (this.lockKey === undefined) return;
    release(this.lockKey);
    this.lockKey = undefined;
  }

  close(): void {
    this.unlock();
  }

  reserve(id: string, ifname: string, ip: IP, rangeID: string): boolean {
    const name = formatGoIP(ip);
    const fname = join(this.dir, name);
    let fd: number;
    try {
      fd = openSync(fname, constants.O_RDWR | constants.O_EXCL | constants.O_CREAT, 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw goPathError('open', fname, err);
    }
    try {
      writeSync(fd, entryContent(id, ifname));
      closeSync(fd);
    } catch (err) {
      try {
        closeSync(fd);
      } catch {}
      try {
        unlinkSync(fname);
      } catch {}
      throw goPathError('write', fname, err);
    }
    const last = join(this.dir, LAST_IP_PREFIX + rangeID);
    try {
      writeFileSync(last, name, { mode: 0o644 });
    } catch (err) {
      throw goPathError('open', last, err);
    }
    return true;
  }

  lastReservedIP(rangeID: string): IP | null {
    try {
      // net.ParseIP of the raw content: a trailing newline makes it unparsable
      return parseGoIP(readFileSync(join(this.dir, LAST_IP_PREFIX + rangeID), 'utf8'));
    } catch {
      return null;
    }
  }

  release(ip: IP): void {
    const p = join(this.dir, formatGoIP(ip));
    try {
      unlinkSync(p);
    } catch (err) {
      throw goPathError('remove', p, err);
    }
  }

  /** filepath.Walk over the network directory: recursive, lexical, errors skipped, every regular entry read. */
  private walk(visit: (path: string, name: string, content: string) => void): void {
    const rec = (dir: string) => {
      let entries: Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          rec(p);
          continue;
        }
        const content = readSmall(p);
        if (content !== null) visit(p, e.name, content);
      }
    };
    rec(this.dir);
  }

  releaseByID(id: string, ifname: string): void {
    const match = entryContent(id, ifname);
    let found = false;
    this.walk((p, _name, content) => {
      if (goTrimSpace(content) !== match) return;
      try {
        unlinkSync(p);
        found = true;
      } catch {}
    });
    if (found) return;
    const old = goTrimSpace(id);
    this.walk((p, _name, content) => {
      if (goTrimSpace(content) !== old) return;
      try {
        unlinkSync(p);
      } catch {}
    });
  }

  getByID(id: string, ifname: string): IP[] {
    const match = entryContent(id, ifname);
    const old = goTrimSpace(id);
    const out: IP[] = [];
    this.walk((_p, name, content) => {
      const c = goTrimSpace(content);
      if (c !== match && c !== old) return;
      const ip = parseGoIP(name);
      if (ip) out.push(ip);
    });
    return out;
  }

  findByID(id: string, ifname: string): boolean {
    const match = entryContent(id, ifname);
    let found = false;
    this.walk((_p, _name, content) => {
      if (goTrimSpace(content) === match) found = true;
    });
    if (found) return true;
    const old = goTrimSpace(id);
    this.walk((_p, _name, content) => {
      if (goTrimSpace(content) === old) found = true;
    });
    return found;
  }

  reservations(): Reservation[] {
    const out: Reservation[] = [];
    this.walk((p, name, content) => {
      if (name === 'lock' || name.startsWith(LAST_IP_PREFIX)) return;
      const ip = parseGoIP(name);
      if (ip) out.push({ ip, key: p, content: goTrimSpace(content) });
    });
    return out;
  }

  /** Removes one reservation found by reservations() (GC). */
  removeReservation(r: Reservation): void {
    try {
      unlinkSync(r.key);
    } catch {}
  }
}
