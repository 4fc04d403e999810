// The loopback plugin (containernetworking/plugins main/loopback): brings `lo` up in the pod's netns
// and reports 127.0.0.1/8 and ::1/128 on it; chained after another plugin it passes the prevResult
// through unchanged. In the fabric "up" is a flag per netns, which `ip -br addr` of the pod shows.
// Run in-process it uses the fabric it is given; as an executable it uses <dataDir>/fabric.json
// when its config names a dataDir, and otherwise only answers (there is no fabric to change).
import { type FabricStore, FileFabricStore } from '../fabric/index.js';
import { resultAsVersion, unmarshal } from '../invoker/index.js';
import {
  type CmdArgs,
  decodeConfigVersion,
  type Plugin,
  type Result,
  supportedVersions,
} from '../skel/index.js';

export interface LoopbackOptions {
  /** The fabric to record `lo` state in; otherwise the config's dataDir, if any. */
  store?: FabricStore;
}

interface LoopbackConf {
  cniVersion: string;
  dataDir?: string;
  prevResult?: unknown;
}

function parseConf(args: CmdArgs): LoopbackConf {
  const raw = unmarshal(args.stdinData) as Record<string, unknown>;
  return {
    cniVersion: decodeConfigVersion(args.stdinData),
    ...(typeof raw.dataDir === 'string' && raw.dataDir !== '' ? { dataDir: raw.dataDir } : {}),
    ...(raw.prevResult !== undefined && raw.prevResult !== null ? { prevResult: raw.prevResult } : {}),
  };
}

export function loopbackPlugin(opts: LoopbackOptions = {}): Plugin {
  const storeFor = (conf: LoopbackConf): FabricStore | undefined =>
    opts.store ?? (conf.dataDir === undefined ? undefined : new FileFabricStore(conf.dataDir));
  return {
    about: 'CNI loopback plugin version unknown',
    supportedVersions,
    async add(args) {
      const conf = parseConf(args);
      await storeFor(conf)?.update((f) => f.setLoopback(args.netns, true));
      if (conf.prevResult !== undefined) return resultAsVersion(conf.prevResult, conf.cniVersion);
      // The real plugin names the interface `lo` whatever CNI_IFNAME says.
      const result: Result = {
        cniVersion: conf.cniVersion,
        interfaces: [{ name: 'lo', mac: '00:00:00:00:00:00', sandbox: args.netns }],
        ips: [
          { interface: 0, address: '127.0.0.1/8' },
          { interface: 0, address: '::1/128' },
        ],
        dns: {},
      };
      return result;
    },
    async del(args) {
      if (args.netns === '') return;
      const conf = parseConf(args);
      await storeFor(conf)?.update((f) => f.setLoopback(args.netns, false));
    },
    async check(args) {
      const conf = parseConf(args);
      const store = storeFor(conf);
      if (store === undefined) return;
      if (!(await store.read((f) => f.loopbackUp(args.netns)))) throw new Error('loopback interface is down');
    },
  };
}
