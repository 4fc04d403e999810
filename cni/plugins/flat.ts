// The `flat` main plugin: what the bridge plugin does on a real node, done to the fabric. ADD makes
// a veth pair (host end on the node's bridge, container end `CNI_IFNAME` in the pod's netns), asks
// the IPAM plugin named in `ipam.type` (found on CNI_PATH, run as an executable or in-process) for
// addresses, and puts each gateway on the bridge. DEL removes the pair and releases the addresses
// (again and again, without complaint). CHECK compares the fabric with prevResult; GC removes
// attachments not in `cni.dev/valid-attachments`; every command is delegated to IPAM as the spec says.
//
// The fabric: in-process, the one the registry was given; as an executable, <dataDir>/fabric.json
// (dataDir from the config, default /var/lib/cni/flat), shared by every flat process on the host.
import { hostname } from 'node:os';
import type { GoJSONValue } from '../../std/index.js';
import {
  type Fabric,
  FabricError,
  type FabricStore,
  FileFabricStore,
  type PodAttachment,
  parsePrefix,
} from '../fabric/index.js';
import { delegate, delegateAdd, type InProcessResolver, type PluginFinder } from '../invoker/index.js';
import {
  type CmdArgs,
  CniError,
  CniErrorCode,
  type DNS,
  decodeConfigVersion,
  type Plugin,
  type Result,
  resultAsVersion,
  stdinDocument,
  supportedVersions,
  unmarshalStdin,
} from '../skel/index.js';

export const defaultFlatDataDir = '/var/lib/cni/flat';

export interface FlatOptions {
  /** The fabric to attach pods to; otherwise <dataDir>/fabric.json from the config. */
  store?: FabricStore;
  /** Runs IPAM plugins that are ours in-process instead of forking them. */
  resolver?: InProcessResolver;
  /** Filled with the dataDir of each netns attached here, for loopback in the same process. */
  sandboxDataDirs?: Map<string, string>;
  /** How the IPAM plugin is found on CNI_PATH (findInPath unless given). */
  findPlugin?: PluginFinder;
}

export interface FlatConf {
  cniVersion: string;
  name: string;
  /** The node this runtime is (kubelet's node name); the host name unless given. */
  node: string;
  /** The node's IPs, used when the node is not in the fabric yet. */
  nodeIPs: string[];
  /** The bridge's name, `cni0` unless given. */
  bridge: string;
  dataDir: string;
  ipamType: string;
  dns?: DNS;
  prevResult?: unknown;
  validAttachments?: { containerID: string; ifname: string }[];
}

const configError = (msg: string) => new CniError(CniErrorCode.InvalidNetworkConfig, msg);
// What the bridge plugin returns as a plain Go error, which its skel prints as code 999 (ErrInternal).
const internalError = (msg: string) => new CniError(CniErrorCode.Internal, msg);

function stringField(raw: Record<string, unknown>, key: string, fallback: () => string): string {
  const v = raw[key];
  if (v === undefined || v === null) return fallback();
  if (typeof v !== 'string') throw configError(`flat: ${key}: must be a string`);
  return v === '' ? fallback() : v;
}

// Every pod of a node sends flat the same config: the parsed document is the same object each time
// (std's Go JSON memo), so its FlatConf is kept with it. A FlatConf is never changed after parsing.
const confs = new WeakMap<GoJSONValue, FlatConf>();

/** The config flat reads from its stdin (the same object for the same bytes: read it, never change it). */
export function parseFlatConf(stdin: Uint8Array): FlatConf {
  const doc = stdinDocument(stdin);
  let conf = confs.get(doc);
  if (conf === undefined) {
    conf = readFlatConf(stdin);
    confs.set(doc, conf);
  }
  return conf;
}

function readFlatConf(stdin: Uint8Array): FlatConf {
  const raw = unmarshalStdin(stdin) as Record<string, unknown>;
  const ipam = raw.ipam;
  if (typeof ipam !== 'object' || ipam === null || Array.isArray(ipam))
    throw configError("flat: IPAM config missing 'ipam' key");
  const ipamType = (ipam as Record<string, unknown>).type;
  if (typeof ipamType !== 'string' || ipamType === '') throw configError('flat: ipam.type: required');
  const nodeIPs = raw.nodeIPs ?? [];
  if (!Array.isArray(nodeIPs) || nodeIPs.some((x) => typeof x !== 'string'))
    throw configError('flat: nodeIPs: must be a list of strings');
  const conf: FlatConf = {
    cniVersion: decodeConfigVersion(stdin),
    name: stringField(raw, 'name', () => ''),
    node: stringField(raw, 'node', hostname),
    nodeIPs: nodeIPs as string[],
    bridge: stringField(raw, 'bridge', () => 'cni0'),
    dataDir: stringField(raw, 'dataDir', () => defaultFlatDataDir),
    ipamType,
  };
  if (typeof raw.dns === 'object' && raw.dns !== null) conf.dns = raw.dns as DNS;
  if (raw.prevResult !== undefined && raw.prevResult !== null) conf.prevResult = raw.prevResult;
  const valid = raw['cni.dev/valid-attachments'] ?? raw['cni.dev/attachments'];
  if (Array.isArray(valid))
    conf.validAttachments = valid
      .filter((a): a is Record<string, unknown> => typeof a === 'object' && a !== null)
      .map((a) => ({ containerID: String(a.containerID ?? ''), ifname: String(a.ifname ?? '') }));
  return conf;
}

/** The ADD result: [bridge, host veth, container interface], addresses on the container interface. */
export function flatResult(fabric: Fabric, a: PodAttachment, ipam: Result, conf: FlatConf): Result {
  const node = fabric.node(a.node)!;
  const result: Result = {
    cniVersion: conf.cniVersion,
    interfaces: [
      { name: node.bridge.name, mac: node.bridge.mac },
      { name: a.hostVeth.name, mac: a.hostVeth.mac },
      { name: a.ifname, mac: a.mac, sandbox: a.netns },
    ],
    ips: (ipam.ips ?? []).map((ip) => ({ ...ip, interface: 2 })),
    // As the bridge plugin: DNS comes from the network config, not from IPAM.
    dns: conf.dns ?? {},
  };
  if (ipam.routes !== undefined && ipam.routes.length > 0) result.routes = ipam.routes;
  return result;
}

export function flatPlugin(opts: FlatOptions = {}): Plugin {
  const storeFor = (conf: FlatConf): FabricStore => opts.store ?? new FileFabricStore(conf.dataDir);
  const delegateOpts = (args: CmdArgs) => ({
    resolver: opts.resolver,
    stderr: args.stderr,
    findPlugin: opts.findPlugin,
    // IPAM gets flat's stdin: in-process, with flat's parse of it
    parsed: stdinDocument(args.stdinData),
  });
  // Fabric errors are plugin errors (999 with the message), as any Go error would be.
  const fabricCall = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof FabricError && e.code === 'NETLAB_CNI_FABRIC_LOCKED')
        throw new CniError(CniErrorCode.TryAgainLater, e.message);
      throw e;
    }
  };

  return {
    about: 'CNI flat plugin (kube-netlab) version unknown',
    supportedVersions,

    async add(args) {
      const conf = parseFlatConf(args.stdinData);
      const store = storeFor(conf);
      // As bridge: the container interface must not exist yet, and nothing is allocated if it does.
      await fabricCall(() =>
        store.read((f) => {
          if (f.attachmentIn(args.netns, args.ifName) !== undefined)
            throw internalError(`container veth name provided (${args.ifName}) already exists`);
        }),
      );
      const ipam = await delegateAdd(
        conf.ipamType,
        args.stdinData,
        conf.cniVersion,
        args.env,
        delegateOpts(args),
      );
      if (ipam.ips === undefined || ipam.ips.length === 0) {
        await delegate('DEL', conf.ipamType, args.stdinData, args.env, delegateOpts(args)).catch(
          () => undefined,
        );
        throw internalError('IPAM plugin returned missing IP config');
      }
      try {
        return await fabricCall(() =>
          store.update((f) => {
            if (f.node(conf.node) === undefined)
              f.addNode({
                name: conf.node,
                nodeIPs: conf.nodeIPs,
                podCIDRs: podCIDRsOf(ipam),
                bridge: conf.bridge,
              });
            const a = f.attach(conf.node, {
              network: conf.name,
              containerID: args.containerID,
              ifname: args.ifName,
              netns: args.netns,
              ips: (ipam.ips ?? []).map((ip) => ({
                address: ip.address,
                ...(ip.gateway === undefined ? {} : { gateway: ip.gateway }),
              })),
              routes: (ipam.routes ?? []).map((r) => ({
                dst: r.dst,
                ...(r.gw === undefined ? {} : { gw: r.gw }),
              })),
            });
            return flatResult(f, a, ipam, conf);
          }),
        ).then((result) => {
          if (opts.store === undefined) opts.sandboxDataDirs?.set(args.netns, conf.dataDir);
          return result;
        });
      } catch (e) {
        // The spec: a plugin that fails after IPAM ADD releases the addresses before failing.
        await delegate('DEL', conf.ipamType, args.stdinData, args.env, delegateOpts(args)).catch(
          () => undefined,
        );
        throw e;
      }
    },

    async del(args) {
      const conf = parseFlatConf(args.stdinData);
      // The link goes first, then the addresses (bridge's order); both are fine to find missing.
      await fabricCall(() => storeFor(conf).update((f) => f.detach(args.containerID, args.ifName)));
      opts.sandboxDataDirs?.delete(args.netns);
      await delegate('DEL', conf.ipamType, args.stdinData, args.env, delegateOpts(args));
    },

    async check(args) {
      const conf = parseFlatConf(args.stdinData);
      if (conf.prevResult === undefined) throw internalError('Required prevResult missing');
      const prev = resultAsVersion(conf.prevResult, '1.1.0');
      await delegate('CHECK', conf.ipamType, args.stdinData, args.env, delegateOpts(args));
      await fabricCall(() =>
        storeFor(conf).read((f) => checkAttachment(f, conf, args.containerID, args.ifName, args.netns, prev)),
      );
    },

    async gc(args) {
      const conf = parseFlatConf(args.stdinData);
      const valid = new Set((conf.validAttachments ?? []).map((a) => `${a.containerID}\u0000${a.ifname}`));
      await fabricCall(() =>
        storeFor(conf).update((f) => {
          for (const a of f.attachments())
            if (a.network === conf.name && !valid.has(`${a.containerID}\u0000${a.ifname}`))
              f.detach(a.containerID, a.ifname);
        }),
      );
      await delegate('GC', conf.ipamType, args.stdinData, args.env, delegateOpts(args));
    },

    async status(args) {
      const conf = parseFlatConf(args.stdinData);
      try {
        await storeFor(conf).read(() => undefined);
      } catch (e) {
        throw new CniError(
          CniErrorCode.PluginNotAvailable,
          'flat: fabric not available',
          (e as Error).message,
        );
      }
      await delegate('STATUS', conf.ipamType, args.stdinData, args.env, delegateOpts(args));
    },
  };
}

// A node the fabric does not know yet gets the networks of its first pod's addresses as podCIDRs.
function podCIDRsOf(ipam: Result): string[] {
  const out: string[] = [];
  for (const ip of ipam.ips ?? []) {
    const p = parsePrefix(ip.address, 'ips');
    const cidr = `${p.network}/${p.length}`;
    if (!out.includes(cidr)) out.push(cidr);
  }
  return out;
}

/** CHECK: the attachment is in the fabric and matches what prevResult says was made. */
export function checkAttachment(
  f: Fabric,
  conf: FlatConf,
  containerID: string,
  ifname: string,
  netns: string,
  prev: Result,
): void {
  const a = f.attachment(containerID, ifname);
  if (a === undefined || a.netns !== netns)
    throw internalError(`interface ${ifname} of container ${containerID} not found in ${netns}`);
  const node = f.node(a.node)!;
  const ifaces = prev.interfaces ?? [];
  const cont = ifaces.findIndex((i) => i.name === ifname && i.sandbox === netns);
  if (cont < 0) throw internalError(`expected interface ${ifname} in ${netns} not found in prevResult`);
  if (ifaces[cont]!.mac !== undefined && ifaces[cont]!.mac !== a.mac)
    throw internalError(`Interface ${ifname} Mac doesn't match: ${ifaces[cont]!.mac}`);
  const br = ifaces.find((i) => i.name === conf.bridge && (i.sandbox ?? '') === '');
  if (br === undefined) throw internalError(`Bridge ${conf.bridge} not found in prevResult`);
  if (br.mac !== undefined && br.mac !== node.bridge.mac)
    throw internalError(`Bridge interface ${br.name} Mac doesn't match: ${br.mac}`);
  const veth = ifaces.find((i) => i.name === a.hostVeth.name);
  if (veth === undefined)
    throw internalError(`host veth ${a.hostVeth.name} of ${ifname} not found in prevResult`);
  const have = new Set(a.ips.map((i) => i.address));
  for (const ip of prev.ips ?? [])
    if (ip.interface === cont && !have.has(ip.address))
      throw internalError(`Failed to match addr ${ip.address} on interface ${ifname}`);
  const routes = new Set(a.routes.map((r) => `${r.dst} ${r.gw ?? ''}`));
  for (const r of prev.routes ?? [])
    if (!routes.has(`${r.dst} ${r.gw ?? ''}`))
      throw internalError(`Failed to match route {Dst:${r.dst} GW:${r.gw ?? '<nil>'}}`);
}

export interface NodeNetwork {
  /** The node (the kubelet's node name). */
  node: string;
  /** node.spec.podCIDRs: one host-local range set each, so a dual-stack pod gets one address per family. */
  podCIDRs: readonly string[];
  nodeIPs?: readonly string[];
  /** The network's name; `pods` unless given. */
  network?: string;
  cniVersion?: string;
  /** Pod routes; a default route per podCIDR family unless given. */
  routes?: readonly string[];
  /** flat's dataDir (only used when flat runs as an executable). */
  dataDir?: string;
  /** host-local's dataDir; its default (/var/lib/cni/networks) unless given. */
  ipamDataDir?: string;
  dns?: DNS;
}

/**
 * The conflist a node's runtime uses for the flat network: flat with host-local over the node's
 * podCIDRs, then loopback (the shape of a kubeadm/kind node's /etc/cni/net.d conflist).
 */
export function nodeConflist(n: NodeNetwork): string {
  const families = n.podCIDRs.map((c) => (c.includes(':') ? '::/0' : '0.0.0.0/0'));
  const routes = n.routes ?? families.filter((f, i) => families.indexOf(f) === i);
  return JSON.stringify({
    cniVersion: n.cniVersion ?? '1.0.0',
    name: n.network ?? 'pods',
    plugins: [
      {
        type: 'flat',
        node: n.node,
        ...(n.nodeIPs === undefined ? {} : { nodeIPs: n.nodeIPs }),
        ...(n.dataDir === undefined ? {} : { dataDir: n.dataDir }),
        ipam: {
          type: 'host-local',
          ...(n.ipamDataDir === undefined ? {} : { dataDir: n.ipamDataDir }),
          ranges: n.podCIDRs.map((subnet) => [{ subnet }]),
          routes: routes.map((dst) => ({ dst })),
        },
        ...(n.dns === undefined ? {} : { dns: n.dns }),
      },
      { type: 'loopback' },
    ],
  });
}
