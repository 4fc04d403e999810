// Where a fabric lives. In-process (the lab, the invoker running plugins in-process) it is an
// object in memory. A plugin started as an executable has no memory of its own across runs, so it
// keeps the fabric in <dataDir>/fabric.json: read-modify-write under <dataDir>/fabric.lock (created
// O_EXCL, removed after), written to a temporary file and renamed, so readers never see half a file.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FabricError } from './errors.js';
import { Fabric, type FabricState } from './fabric.js';

export interface FabricStore {
  /** Runs `fn` on the fabric with nobody else changing it, and keeps what it changed. */
  update<T>(fn: (fabric: Fabric) => T): Promise<T>;
  /** Runs `fn` on a consistent view of the fabric; changes are not kept. */
  read<T>(fn: (fabric: Fabric) => T): Promise<T>;
  /** Where it lives, for messages. */
  readonly where: string;
}

export class MemoryFabricStore implements FabricStore {
  readonly where = 'memory';
  constructor(readonly fabric: Fabric = new Fabric()) {}
  async update<T>(fn: (fabric: Fabric) => T): Promise<T> {
    return fn(this.fabric);
  }
  async read<T>(fn: (fabric: Fabric) => T): Promise<T> {
    return fn(this.fabric);
  }
}

/** How long a writer waits for the lock before giving up (CNI code 11, try again later). */
const lockTimeoutMs = 30_000;
/** A lock without a pid that is older than this belongs to a writer that died; it is broken. */
const staleLockMs = 10_000;

let tmpCounter = 0;

export class FileFabricStore implements FabricStore {
  readonly file: string;
  readonly lockFile: string;
  constructor(readonly dataDir: string) {
    this.file = join(dataDir, 'fabric.json');
    this.lockFile = join(dataDir, 'fabric.lock');
  }

  get where(): string {
    return this.file;
  }

  async read<T>(fn: (fabric: Fabric) => T): Promise<T> {
    return fn(await this.#load());
  }

  async update<T>(fn: (fabric: Fabric) => T): Promise<T> {
    await this.#lock();
    try {
      const fabric = await this.#load();
      const out = fn(fabric);
      this.#save(fabric);
      return out;
    } finally {
      rmSync(this.lockFile, { force: true });
    }
  }

  async #load(): Promise<Fabric> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Fabric();
      throw new FabricError('NETLAB_CNI_FABRIC_STATE', `${this.file}: ${(e as Error).message}`);
    }
    let state: FabricState;
    try {
      state = JSON.parse(text) as FabricState;
    } catch (e) {
      throw new FabricError('NETLAB_CNI_FABRIC_STATE', `${this.file}: ${(e as Error).message}`);
    }
    try {
      return Fabric.fromJSON(state);
    } catch (e) {
      throw new FabricError('NETLAB_CNI_FABRIC_STATE', `${this.file}: ${(e as Error).message}`);
    }
  }

  #save(fabric: Fabric): void {
    const tmp = `${this.file}.${process.pid}.${tmpCounter++}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(fabric, null, 2)}\n`, { mode: 0o644 });
    renameSync(tmp, this.file);
  }

  async #lock(): Promise<void> {
    try {
      mkdirSync(this.dataDir, { recursive: true, mode: 0o755 });
    } catch (e) {
      throw new FabricError('NETLAB_CNI_FABRIC_STATE', `mkdir ${this.dataDir}: ${(e as Error).message}`);
    }
    const deadline = Date.now() + lockTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const h = await open(this.lockFile, 'wx', 0o600);
        await h.writeFile(`${process.pid}\n`);
        await h.close();
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new FabricError('NETLAB_CNI_FABRIC_STATE', `${this.lockFile}: ${(e as Error).message}`);
      }
      if (this.#stale()) {
        rmSync(this.lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new FabricError(
          'NETLAB_CNI_FABRIC_LOCKED',
          `${this.lockFile}: still held after ${lockTimeoutMs} ms`,
        );
      // Back off 1, 2, 4 .. 16 ms: writers hold the lock for well under a millisecond.
      await sleep(Math.min(16, 2 ** attempt));
    }
  }

  // The holder wrote its pid: the lock is stale when that process is gone. A lock without a readable
  // pid (its writer died between creating and writing it) is stale once it is old.
  #stale(): boolean {
    try {
      const pid = Number(readFileSync(this.lockFile, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0) {
        if (pid === process.pid) return false;
        try {
          process.kill(pid, 0);
          return false;
        } catch (e) {
          return (e as NodeJS.ErrnoException).code === 'ESRCH';
        }
      }
      return Date.now() - statSync(this.lockFile).mtimeMs > staleLockMs;
    } catch {
      return false;
    }
  }
}
