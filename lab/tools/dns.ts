// Cluster DNS over a store: the zone reads Services, EndpointSlices, Pods and Namespaces through
// StoreSource's list and watches, as it does in a running cluster. `netlab dns serve -f` fills the
// store from manifests (objects.ts) and re-reads them on request (SIGHUP): the store's difference
// reaches the zone as watch events, and the zone drops its answers.
import { type AnyObject, describeObject, type Store, type WatchableStore } from '../../api/index.js';
import {
  DnsServer,
  type DnsServerStats,
  type HostPort,
  parseZoneConfig,
  StoreSource,
  Zone,
} from '../../dns/index.js';
import { readObjects, storeFromManifests, watchedKinds } from './objects.js';

/** The zone flags of `netlab dns serve`, named as CoreDNS's kubernetes plugin options. */
export interface ZoneFlags {
  listen: HostPort;
  upstream?: HostPort | undefined;
  zone: string;
  ttl: string;
  pods: string;
}

/** A DNS server answering for a store's objects. */
export interface ServedZone {
  server: DnsServer;
  zone: Zone;
  address: HostPort;
  /** Closes the server and ends the zone's watches. */
  close(): Promise<void>;
}

/** The zone's config for these flags; throws DnsConfigError naming the option. */
function zoneConfig(flags: ZoneFlags) {
  const anyAddr = flags.listen.host === '0.0.0.0' || flags.listen.host === '::';
  return parseZoneConfig({
    zones: [flags.zone, 'in-addr.arpa', 'ip6.arpa'],
    ttl: flags.ttl,
    pods: flags.pods,
    localIPs: [anyAddr ? '127.0.0.1' : flags.listen.host],
    // kubeadm's Corefile: unknown reverse names go on to the upstream.
    fallthrough: flags.upstream ? ['in-addr.arpa', 'ip6.arpa'] : [],
  });
}

/** Serves the zone of `store`'s objects (a running cluster's store, or manifests read into one). */
export async function serveZone(store: WatchableStore, flags: ZoneFlags): Promise<ServedZone> {
  return listenOn(store, zoneConfig(flags), flags);
}

async function listenOn(
  store: WatchableStore,
  config: ReturnType<typeof parseZoneConfig>,
  flags: ZoneFlags,
): Promise<ServedZone> {
  const ac = new AbortController();
  const zone = new Zone(new StoreSource(store, { signal: ac.signal, pods: config.pods }), config);
  const server = new DnsServer({
    zone,
    listen: flags.listen,
    ...(flags.upstream ? { upstream: flags.upstream } : {}),
  });
  const stop = () => {
    ac.abort();
    zone.close();
  };
  let address: HostPort;
  try {
    address = await server.listen();
  } catch (e) {
    stop();
    throw e;
  }
  return {
    server,
    zone,
    address,
    close: async () => {
      await server.close();
      stop();
    },
  };
}

/**
 * Manifests are read as allocated: a Service the API server would give a ClusterIP has none here,
 * so it has no A record (its name is NODATA). Said, as `netlab iptables-save` says it.
 */
function unallocated(objects: readonly AnyObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    if (o.kind !== 'Service' || o.spec.type === 'ExternalName') continue;
    if ((o.spec.clusterIP ?? o.spec.clusterIPs?.[0] ?? '') === '') {
      out.push(
        `${describeObject(o)} has no spec.clusterIP: it gets no A/AAAA record (give it the allocated IP, or None)`,
      );
    }
  }
  return out;
}

/** `netlab dns serve -f FILE...`: cluster DNS for manifests, which `reload()` reads again. */
export class ManifestZone {
  readonly #files: readonly string[];
  readonly #store: Store;
  readonly #config: ReturnType<typeof parseZoneConfig>;
  readonly #flags: ZoneFlags;
  #served: ServedZone | undefined;
  /** What reading the manifests said the first time. */
  readonly warnings: readonly string[];

  /**
   * Checks the flags and reads the manifests; nothing listens yet. Throws DnsConfigError (a flag)
   * or ManifestError (the manifests).
   */
  constructor(files: readonly string[], flags: ZoneFlags) {
    this.#config = zoneConfig(flags);
    const read = storeFromManifests(files);
    this.#files = files;
    this.#flags = flags;
    this.#store = read.store;
    this.warnings = [...unallocated(read.objects), ...read.warnings];
  }

  /** Binds UDP and TCP; throws DnsListenError. */
  async listen(): Promise<HostPort> {
    this.#served = await listenOn(this.#store, this.#config, this.#flags);
    return this.#served.address;
  }

  /**
   * Reads the manifests again and makes the store hold what they say now: all of it, or (on a
   * ManifestError) nothing, and the zone keeps answering from the previous objects. Returns what
   * reading them said.
   */
  reload(): string[] {
    const read = readObjects(this.#files);
    this.#store.replace(watchedKinds, read.objects);
    return [...unallocated(read.objects), ...read.warnings];
  }

  stats(): DnsServerStats | undefined {
    return this.#served?.server.stats();
  }

  async close(): Promise<void> {
    await this.#served?.close();
    this.#store.close();
  }
}
