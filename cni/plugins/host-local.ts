// The host-local IPAM plugin as a skel plugin object: the same code runs in-process (through the
// invoker) and as the executable cni/bin/host-local. It speaks every version Debian's 1.1.1 does
// plus 1.1.0 (GC releases reservations of attachments not in `cni.dev/valid-attachments`; STATUS
// reports whether the store can be opened).
import {
  hostLocalAdd,
  hostLocalCheck,
  hostLocalDel,
  hostLocalGC,
  loadIPAMConfig,
  openDiskStore,
  type StoreOpener,
  type ValidAttachment,
} from '../../ipam/index.js';
import { type GoJSONValue, goField, parseGoJSON } from '../../std/index.js';
import {
  type CmdArgs,
  CniError,
  CniErrorCode,
  type Plugin,
  type Result,
  stdinDocument,
  supportedVersions,
} from '../skel/index.js';

export interface HostLocalPluginOptions {
  /** where reservations live: host-local's disk store by default */
  readonly openStore?: StoreOpener;
}

function attachment(args: CmdArgs) {
  return { containerID: args.containerID, ifName: args.ifName, args: args.args };
}

/** The valid attachments of a GC request (`cni.dev/valid-attachments`, or the 1.1.0 tag's `cni.dev/attachments`). */
export function validAttachments(stdin: Uint8Array): ValidAttachment[] {
  const doc = parseGoJSON(stdin);
  let list: GoJSONValue | undefined;
  if (doc.kind === 'object') {
    for (const [k, v] of doc.entries) if (k === 'cni.dev/valid-attachments') list = v;
    if (list === undefined) for (const [k, v] of doc.entries) if (k === 'cni.dev/attachments') list = v;
  }
  if (list === undefined || list.kind === 'null') return [];
  if (list.kind !== 'array') {
    throw new CniError(
      CniErrorCode.InvalidNetworkConfig,
      'invalid cni.dev/valid-attachments',
      'expected a list',
    );
  }
  return list.items.map((item) => {
    const id = goField(item, 'containerID');
    const ifname = goField(item, 'ifname');
    return {
      containerID: id?.kind === 'string' ? id.value : '',
      ifname: ifname?.kind === 'string' ? ifname.value : '',
    };
  });
}

export function hostLocalPlugin(opts: HostLocalPluginOptions = {}): Plugin {
  const open = opts.openStore ?? openDiskStore;
  return {
    about: 'CNI host-local plugin version unknown',
    supportedVersions,
    async add(args): Promise<Result> {
      // the skel's parse of stdin (or the one it was handed), not another parse or memo lookup
      const r = hostLocalAdd(stdinDocument(args.stdinData), attachment(args), open);
      return {
        cniVersion: r.cniVersion,
        ips: r.ips.map((ip) => ({ address: ip.address, gateway: ip.gateway })),
        routes: r.routes.map((x) => ({ ...x })),
        dns: { ...r.dns },
      };
    },
    async del(args) {
      hostLocalDel(args.stdinData, attachment(args), open);
    },
    async check(args) {
      hostLocalCheck(args.stdinData, attachment(args), open);
    },
    async gc(args) {
      const conf = loadIPAMConfig(args.stdinData, args.args);
      hostLocalGC(conf, validAttachments(args.stdinData), open);
    },
    async status(args) {
      const conf = loadIPAMConfig(args.stdinData, args.args);
      try {
        open(conf.name, conf.dataDir).close();
      } catch (err) {
        throw new CniError(
          CniErrorCode.PluginNotAvailable,
          'host-local store not available',
          (err as Error).message,
        );
      }
    },
  };
}

/** host-local with its disk store, as the executable runs it. */
export const hostLocal: Plugin = hostLocalPlugin();
