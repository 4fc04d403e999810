// The loopback plugin (containernetworking/plugins main/loopback): brings `lo` up in the pod's netns
// and reports 127.0.0.1/8 and ::1/128 on it; chained after another plugin it passes the prevResult
// through unchanged. In the fabric "up" is a flag per netns, which `ip -br addr` of the pod shows.
//
// Which fabric: the one it is given (the lab); else <dataDir>/fabric.json when its config names a
// dataDir; else the fabric flat attached this netns to earlier in this process (a conflist
// `[flat, loopback]` run in-process, as `netlab cni add` does: loopback's config names no dataDir);
// else flat's default fabric (/var/lib/cni/flat) when one exists there. With none it only answers.
// DEL and CHECK touch a fabric only when it knows the netns, so they never create one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type FabricStore, FileFabricStore } from '../fabric/index.js';
import {
  type CmdArgs,
  CniError,
  CniErrorCode,
  decodeConfigVersion,
  type Plugin,
  type Result,
  resultAsVersion,
  supportedVersions,
  unmarshalStdin,
} from '../skel/index.js';
import { defaultFlatDataDir } from './flat.js';

export interface LoopbackOptions {
  /** The fabric to record `lo` state in; otherwise the config's dataDir, if any. */
  store?: FabricStore;
  /** flat's dataDir for each netns it attached in this process (the plugin registry shares it). */
  sandboxDataDirs?: ReadonlyMap<string, string>;
  /** Where to look when nothing else names a fabric; flat's default dataDir unless given. */
  defaultDataDir?: string;
}

interface LoopbackConf {
  cniVersion: string;
  dataDir?: string;
  prevResult?: unknown;
}

function parseConf(args: CmdArgs): LoopbackConf {
  const raw = unmarshalStdin(args.stdinData) as Record<string, unknown>;
  return {
    cniVersion: decodeConfigVersion(args.stdinData),
    ...(typeof raw.dataDir === 'string' && raw.dataDir !== '' ? { dataDir: raw.dataDir } : {}),
    ...(raw.prevResult !== undefined && raw.prevResult !== null ? { prevResult: raw.prevResult } : {}),
  };
}

export function loopbackPlugin(opts: LoopbackOptions = {}): Plugin {
  const storeFor = (conf: LoopbackConf, netns: string): FabricStore | undefined => {
    if (opts.store !== undefined) return opts.store;
    const dir = conf.dataDir ?? opts.sandboxDataDirs?.get(netns);
    if (dir !== undefined) return new FileFabricStore(dir);
    const fallback = opts.defaultDataDir ?? defaultFlatDataDir;
    return existsSync(join(fallback, 'fabric.json')) ? new FileFabricStore(fallback) : undefined;
  };
  return {
    about: 'CNI loopback plugin version unknown',
    supportedVersions,
    async add(args) {
      const conf = parseConf(args);
      await storeFor(conf, args.netns)?.update((f) => f.setLoopback(args.netns, true));
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
      const store = storeFor(parseConf(args), args.netns);
      if (store === undefined || !(await store.read((f) => f.hasSandbox(args.netns)))) return;
      await store.update((f) => f.setLoopback(args.netns, false));
    },
    async check(args) {
      const store = storeFor(parseConf(args), args.netns);
      if (store === undefined) return;
      const down = await store.read((f) => f.hasSandbox(args.netns) && !f.loopbackUp(args.netns));
      if (down) throw new CniError(CniErrorCode.Internal, 'loopback interface is down');
    },
  };
}
