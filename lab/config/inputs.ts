// What `netlab up -f ...` was given, sorted out: netlab's own Cluster config (at most one) and the
// Kubernetes manifests, which may sit in the same files. Without manifests the default workload
// runs; without Nodes in the manifests, the config's nodes do (as on a fresh kind cluster).
import { readFileSync } from 'node:fs';
import {
  type ManifestIssue,
  type ManifestObject,
  type Node,
  readManifestFiles,
  readManifests,
  readYamlDocuments,
} from '../../api/index.js';
import {
  type ClusterConfig,
  ClusterConfigError,
  defaultClusterConfig,
  isClusterDocument,
  nodeObjects,
  readClusterConfig,
  withNodeCount,
} from './cluster-config.js';
import { defaultWorkload, systemAddons } from './default-cluster.js';
import { type WorkloadSpec, workloadObjects } from './workload.js';

export interface LabInputs {
  config: ClusterConfig;
  /** Every object to apply: the config's Nodes (when the manifests have none), add-ons, manifests. */
  objects: ManifestObject[];
  /** The manifests given (not the config): none means the default workload runs. */
  manifestFiles: string[];
  /** The default workload was used. */
  defaultWorkload: boolean;
  /** A generated workload (`--workload`): its pods run without real sockets. */
  workload?: WorkloadSpec;
}

/** Where the generated workload's objects say they come from. */
export const generatedWorkloadFile = 'netlab:workload';

/**
 * The default pod subnet (a /16) holds 256 nodes' /24s. More generated nodes get a larger block
 * from the same start, as a large cluster's --cluster-cidr is (1,000 nodes: 10.244.0.0/14).
 */
function podSubnetsFor(cfg: ClusterConfig): string[] {
  const count = cfg.nodes.length;
  if (count <= 256 || cfg.podSubnets.length !== 1 || cfg.podSubnets[0] !== '10.244.0.0/16')
    return cfg.podSubnets;
  const prefix = Math.max(8, 24 - Math.ceil(Math.log2(count)));
  const second = 244 & (0xff << (16 - prefix)) & 0xff;
  return [`10.${second}.0.0/${prefix}`];
}

/** Where the embedded manifests say they come from in messages. */
export const defaultWorkloadFile = 'netlab:default-workload.yaml';
export const addonsFile = 'netlab:addons.yaml';

/**
 * Reads cluster config and manifests from -f paths (files or directories, as kubectl reads them).
 * Throws ClusterConfigError with every problem, by file, line and field: nothing is half-read.
 */
export function readLabInputs(
  paths: readonly string[],
  overrides: { nodes?: number | undefined; workload?: WorkloadSpec | undefined } = {},
): LabInputs {
  const read = readManifestFiles([...paths]);
  const issues: ManifestIssue[] = [];
  let config: ClusterConfig | undefined;
  const skip = new Set<string>(); // `file:line` of Cluster documents' kind, which readManifests refuses
  const manifestFiles: string[] = [];
  for (const file of read.files) {
    let text: string;
    try {
      text = file === '<stdin>' ? '' : readFileSync(file, 'utf8');
    } catch {
      continue; // readManifestFiles has said why
    }
    const docs = readYamlDocuments(text, file).documents;
    const clusters = docs.filter((d) => isClusterDocument(d.value));
    if (clusters.length < docs.length || docs.length === 0) manifestFiles.push(file);
    for (const doc of clusters) {
      skip.add(`${file}:${doc.lineOf('kind')}`);
      if (config !== undefined) {
        issues.push({
          file,
          line: doc.line,
          object: '',
          field: 'kind',
          message: 'only one Cluster config may be given',
        });
        continue;
      }
      try {
        config = readClusterConfig(file, doc);
      } catch (e) {
        if (!(e instanceof ClusterConfigError)) throw e;
        issues.push(...e.issues);
      }
    }
  }
  issues.push(...read.issues.filter((i) => !(i.field === 'kind' && skip.has(`${i.file}:${i.line}`))));
  if (issues.length > 0) throw new ClusterConfigError(issues);
  let cfg = config ?? defaultClusterConfig();
  if (overrides.nodes !== undefined) {
    cfg = withNodeCount(cfg, overrides.nodes);
    cfg = { ...cfg, podSubnets: podSubnetsFor(cfg) };
  }

  const workload = overrides.workload;
  const useDefault = manifestFiles.length === 0 && workload === undefined;
  const manifests = useDefault ? readManifests(defaultWorkload, defaultWorkloadFile).objects : read.objects;
  if (workload !== undefined)
    for (const object of workloadObjects(workload))
      manifests.push({ object, source: { file: generatedWorkloadFile, line: 0 } });
  const declaresNodes = manifests.some((m) => m.object.kind === 'Node');
  const nodes: ManifestObject[] =
    declaresNodes && !cfg.nodesWritten
      ? []
      : nodeObjects(cfg).map((object: Node, k) => ({
          object,
          source: { file: cfg.file, line: cfg.nodes[k]?.line ?? 0 },
        }));
  const addons = readManifests(systemAddons(cfg.serviceSubnets), addonsFile).objects;
  return {
    config: cfg,
    objects: [...nodes, ...addons, ...manifests],
    manifestFiles,
    defaultWorkload: useDefault,
    ...(workload !== undefined ? { workload } : {}),
  };
}
