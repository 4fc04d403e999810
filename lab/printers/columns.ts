// kubectl's columns per kind, as kube-apiserver's table convertor serves them
// (kubernetes pkg/printers/internalversion/printers.go): the column definitions and each object's
// cells. The server always computes the wide cells; kubectl hides priority-1 columns unless `-o wide`.
// The data is shared by the kube-API's Table responses and the offline `netlab get`.
import { labelSelectorAsSelector } from '../../api/index.js';
import { joinHostPort } from '../../std/index.js';
import { since } from './duration.js';

export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date';

/** metav1.TableColumnDefinition. */
export interface ColumnDefinition {
  name: string;
  type: ColumnType;
  format: string;
  description: string;
  priority: number;
}

export type Cell = string | number | boolean;

/** A plain JSON object as the store or a real apiserver gives it; only the fields read here matter. */
// biome-ignore lint/suspicious/noExplicitAny: printers read loosely typed JSON of many kinds.
type Obj = any;

export interface KindPrinter {
  columns: readonly ColumnDefinition[];
  /** The row's cells, wide ones included, `now` for the AGE-like columns. */
  cells(obj: Obj, now: Date): Cell[];
}

const nameDoc =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const ageDoc =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

const col = (
  name: string,
  description: string,
  priority = 0,
  type: ColumnType = 'string',
): ColumnDefinition => ({
  name,
  type,
  format: '',
  description,
  priority,
});
const nameCol: ColumnDefinition = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: nameDoc,
  priority: 0,
};
const ageCol = col('Age', ageDoc);

/** labels.FormatLabels: `k=v,...` sorted by key, `<none>` when empty. */
export function formatLabels(m: Record<string, string> | null | undefined): string {
  const keys = Object.keys(m ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${m![k]}`).join(',');
}

/** metav1.LabelSelectorAsSelector(...).String(), `<error>` for a selector that does not parse. */
function selectorString(sel: Obj, none: string): string {
  if (!sel) return none;
  try {
    const s = labelSelectorAsSelector(sel).toString();
    return s === '' ? none : s;
  } catch {
    return none === '<none>' ? '<error>' : '<invalid>';
  }
}

/** layoutContainerCells: names and images, comma separated. */
function containerCells(containers: Obj[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

// --- Pod -----------------------------------------------------------------------------------------

function isRestartable(c: Obj | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function podCells(pod: Obj, now: Date): Cell[] {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  let restarts = 0;
  let restartableInitRestarts = 0;
  let total = (spec.containers ?? []).length;
  let ready = 0;
  let lastRestart = '';
  let lastRestartableInitRestart = '';
  const later = (a: string, b: string | undefined) => (b && (!a || Date.parse(b) > Date.parse(a)) ? b : a);
  const phase: string = status.phase ?? '';
  let reason: string = status.reason || phase;
  for (const c of status.conditions ?? [])
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  const inits = new Map<string, Obj>();
  for (const c of spec.initContainers ?? []) {
    inits.set(c.name, c);
    if (isRestartable(c)) total++;
  }
  let initializing = false;
  const initStatuses: Obj[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    restarts += c.restartCount ?? 0;
    lastRestart = later(lastRestart, c.lastState?.terminated?.finishedAt);
    if (isRestartable(inits.get(c.name))) {
      restartableInitRestarts += c.restartCount ?? 0;
      lastRestartableInitRestart = later(lastRestartableInitRestart, c.lastState?.terminated?.finishedAt);
    }
    const term = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (term && (term.exitCode ?? 0) === 0) continue;
    if (isRestartable(inits.get(c.name)) && c.started === true) {
      if (c.ready) ready++;
      continue;
    }
    if (term) {
      reason = term.reason
        ? `Init:${term.reason}`
        : term.signal
          ? `Init:Signal:${term.signal}`
          : `Init:ExitCode:${term.exitCode ?? 0}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') reason = `Init:${waiting.reason}`;
    else reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    initializing = true;
    break;
  }
  const initializedTrue = (status.conditions ?? []).some(
    (c: Obj) => c.type === 'Initialized' && c.status === 'True',
  );
  if (!initializing || initializedTrue) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const cs: Obj[] = status.containerStatuses ?? [];
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i];
      restarts += c.restartCount ?? 0;
      lastRestart = later(lastRestart, c.lastState?.terminated?.finishedAt);
      const term = c.state?.terminated;
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode ?? 0}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = (status.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed')
    reason = 'Terminating';
  const restartsCell =
    restarts !== 0 && lastRestart ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts);
  const ip = status.podIPs?.[0]?.ip || '<none>';
  let gates = '<none>';
  const rg: Obj[] = spec.readinessGates ?? [];
  if (rg.length > 0) {
    let trueConditions = 0;
    for (const g of rg) {
      const c = (status.conditions ?? []).find((x: Obj) => x.type === g.conditionType);
      if (c?.status === 'True') trueConditions++;
    }
    gates = `${trueConditions}/${rg.length}`;
  }
  return [
    pod.metadata?.name ?? '',
    `${ready}/${total}`,
    reason,
    restartsCell,
    since(pod.metadata?.creationTimestamp, now),
    ip,
    spec.nodeName || '<none>',
    status.nominatedNodeName || '<none>',
    gates,
  ];
}

// --- Service -------------------------------------------------------------------------------------

const loadBalancerWidth = 16;

function loadBalancerStatus(status: Obj, wide: boolean): string {
  const set = new Set<string>();
  for (const ing of status?.ingress ?? []) {
    if (ing.ip) set.add(ing.ip);
    else if (ing.hostname) set.add(ing.hostname);
  }
  let r = [...set].sort().join(',');
  if (!wide && r.length > loadBalancerWidth) r = `${r.slice(0, loadBalancerWidth - 3)}...`;
  return r;
}

function serviceExternalIP(svc: Obj, wide: boolean): string {
  const ext: string[] = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length > 0 ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerStatus(svc.status?.loadBalancer, wide);
      if (ext.length > 0) return [...(lb ? lb.split(',') : []), ...ext].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

function servicePorts(ports: Obj[] | undefined): string {
  return (ports ?? [])
    .map((p) => (p.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`))
    .join(',');
}

// Sic: the server computes the cells once, wide, so EXTERNAL-IP is never clipped in its Table.
function serviceCells(svc: Obj, now: Date): Cell[] {
  return [
    svc.metadata?.name ?? '',
    svc.spec?.type ?? '',
    svc.spec?.clusterIPs?.[0] ?? '<none>',
    serviceExternalIP(svc, true),
    servicePorts(svc.spec?.ports) || '<none>',
    since(svc.metadata?.creationTimestamp, now),
    formatLabels(svc.spec?.selector),
  ];
}

// --- Endpoints and EndpointSlices ----------------------------------------------------------------

function formatEndpoints(ep: Obj): string {
  const subsets: Obj[] = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addrs: Obj[] = ss.addresses ?? [];
    if ((ss.ports ?? []).length === 0) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ss.ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(a.ip, port.port));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

function discoveryPorts(ports: Obj[] | null | undefined): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const p of ports ?? []) {
    if (list.length < max)
      list.push(p.port !== undefined && p.port !== null ? String(p.port) : (p.name ?? '*'));
    else if (list.length === max) more = true;
    count++;
  }
  return listWithMore(list, more, count, max);
}

function discoveryEndpoints(endpoints: Obj[] | null | undefined): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const e of endpoints ?? [])
    for (const a of e.addresses ?? []) {
      if (list.length < max) list.push(a);
      else if (list.length === max) more = true;
      count++;
    }
  return listWithMore(list, more, count, max);
}

// --- Node ----------------------------------------------------------------------------------------

function nodeCells(node: Obj, now: Date): Cell[] {
  const status: string[] = [];
  const ready = (node.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  const roles = new Set<string>();
  for (const [k, v] of Object.entries((node.metadata?.labels ?? {}) as Record<string, string>)) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  const info = node.status?.nodeInfo ?? {};
  const address = (type: string) =>
    (node.status?.addresses ?? []).find((a: Obj) => a.type === type)?.address ?? '<none>';
  return [
    node.metadata?.name ?? '',
    status.join(','),
    [...roles].sort().join(',') || '<none>',
    since(node.metadata?.creationTimestamp, now),
    info.kubeletVersion ?? '',
    address('InternalIP'),
    address('ExternalIP'),
    info.osImage || '<unknown>',
    info.kernelVersion || '<unknown>',
    info.containerRuntimeVersion || '<unknown>',
  ];
}

// --- Event ---------------------------------------------------------------------------------------

function eventCells(ev: Obj, now: Date): Cell[] {
  const first = ev.firstTimestamp ? since(ev.firstTimestamp, now) : since(ev.eventTime, now);
  let last = ev.lastTimestamp ? since(ev.lastTimestamp, now) : first;
  let count = ev.count ?? 0;
  if (ev.series) {
    last = since(ev.series.lastObservedTime, now);
    count = ev.series.count;
  } else if (count === 0) count = 1; // singleton events of the new API have no count
  const io = ev.involvedObject ?? {};
  const target = io.name
    ? `${String(io.kind ?? '').toLowerCase()}/${io.name}`
    : String(io.kind ?? '').toLowerCase();
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  return [
    last,
    ev.type ?? '',
    ev.reason ?? '',
    target,
    io.fieldPath ?? '',
    instance ? `${component}, ${instance}` : component,
    String(ev.message ?? '').trim(),
    first,
    count,
    ev.metadata?.name ?? '',
  ];
}

// --- the table ------------------------------------------------------------------------------------

const containersDoc = 'Names of each container in the template.';
const imagesDoc = 'Images referenced by each container in the template.';

/** kubectl's columns by kind (`kind` as the object spells it). */
export const kindPrinters: Readonly<Record<string, KindPrinter>> = {
  Pod: {
    columns: [
      nameCol,
      col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'The aggregate status of the containers in this pod.'),
      col(
        'Restarts',
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      ),
      ageCol,
      col(
        'IP',
        'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
        1,
      ),
      col('Node', 'NodeName indicates in which node this pod is scheduled.', 1),
      col(
        'Nominated Node',
        'nominatedNodeName is set only when this pod preempts other pods on the node.',
        1,
      ),
      col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
    ],
    cells: podCells,
  },
  Service: {
    columns: [
      nameCol,
      col('Type', 'type determines how the Service is exposed.'),
      col('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      col(
        'External-IP',
        'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
      ),
      col('Port(s)', 'The list of ports that are exposed by this service.'),
      ageCol,
      col('Selector', 'Route service traffic to pods with label keys and values matching this selector.', 1),
    ],
    cells: serviceCells,
  },
  Endpoints: {
    columns: [nameCol, col('Endpoints', 'The set of all endpoints is the union of all subsets.'), ageCol],
    cells: (ep, now) => [
      ep.metadata?.name ?? '',
      formatEndpoints(ep),
      since(ep.metadata?.creationTimestamp, now),
    ],
  },
  EndpointSlice: {
    columns: [
      nameCol,
      col('AddressType', 'addressType specifies the type of address carried by this EndpointSlice.'),
      col('Ports', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
      col('Endpoints', 'endpoints is a list of unique endpoints in this slice.'),
      ageCol,
    ],
    cells: (s, now) => [
      s.metadata?.name ?? '',
      s.addressType ?? '',
      discoveryPorts(s.ports),
      discoveryEndpoints(s.endpoints),
      since(s.metadata?.creationTimestamp, now),
    ],
  },
  Deployment: {
    columns: [
      nameCol,
      col('Ready', 'Number of the pod with ready state'),
      col(
        'Up-to-date',
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      ),
      col(
        'Available',
        'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      ),
      ageCol,
      col('Containers', containersDoc, 1),
      col('Images', imagesDoc, 1),
      col('Selector', 'Label selector for pods.', 1),
    ],
    cells: (d, now) => {
      const [names, images] = containerCells(d.spec?.template?.spec?.containers);
      return [
        d.metadata?.name ?? '',
        `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
        d.status?.updatedReplicas ?? 0,
        d.status?.availableReplicas ?? 0,
        since(d.metadata?.creationTimestamp, now),
        names,
        images,
        selectorString(d.spec?.selector, ''),
      ];
    },
  },
  ReplicaSet: {
    columns: [
      nameCol,
      col('Desired', 'Replicas is the number of desired pods.', 0, 'integer'),
      col('Current', 'Replicas is the most recently observed number of replicas.', 0, 'integer'),
      col('Ready', 'The number of ready replicas for this replica set.', 0, 'integer'),
      ageCol,
      col('Containers', containersDoc, 1),
      col('Images', imagesDoc, 1),
      col('Selector', 'Selector is a label query over pods that should match the replica count.', 1),
    ],
    cells: (rs, now) => {
      const [names, images] = containerCells(rs.spec?.template?.spec?.containers);
      return [
        rs.metadata?.name ?? '',
        rs.spec?.replicas ?? 0,
        rs.status?.replicas ?? 0,
        rs.status?.readyReplicas ?? 0,
        since(rs.metadata?.creationTimestamp, now),
        names,
        images,
        selectorString(rs.spec?.selector, '<none>'),
      ];
    },
  },
  StatefulSet: {
    columns: [
      nameCol,
      col('Ready', 'Number of the pod with ready state'),
      ageCol,
      col('Containers', containersDoc, 1),
      col('Images', imagesDoc, 1),
    ],
    cells: (ss, now) => {
      const [names, images] = containerCells(ss.spec?.template?.spec?.containers);
      return [
        ss.metadata?.name ?? '',
        `${ss.status?.readyReplicas ?? 0}/${ss.spec?.replicas ?? 0}`,
        since(ss.metadata?.creationTimestamp, now),
        names,
        images,
      ];
    },
  },
  Node: {
    columns: [
      nameCol,
      col('Status', 'The status of the node'),
      col('Roles', 'The roles of the node'),
      ageCol,
      col('Version', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'List of addresses reachable to the node.', 1),
      col('External-IP', 'List of addresses reachable to the node.', 1),
      col(
        'OS-Image',
        'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
        1,
      ),
      col(
        'Kernel-Version',
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        1,
      ),
      col(
        'Container-Runtime',
        'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
        1,
      ),
    ],
    cells: nodeCells,
  },
  Namespace: {
    columns: [nameCol, col('Status', 'The status of the namespace'), ageCol],
    cells: (ns, now) => [
      ns.metadata?.name ?? '',
      ns.status?.phase ?? '',
      since(ns.metadata?.creationTimestamp, now),
    ],
  },
  Event: {
    columns: [
      col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
      col('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
      col(
        'Reason',
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ),
      col('Object', 'The object that this event is about.'),
      col(
        'Subobject',
        'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].',
        1,
      ),
      col(
        'Source',
        'The component reporting this event. Should be a short machine understandable string.',
        1,
      ),
      col('Message', 'A human-readable description of the status of this operation.'),
      col(
        'First Seen',
        'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
        1,
      ),
      col('Count', 'The number of times this event has occurred.', 1),
      { ...nameCol, priority: 1 },
    ],
    cells: eventCells,
  },
  Lease: {
    columns: [
      nameCol,
      col('Holder', 'holderIdentity contains the identity of the holder of a current lease.'),
      ageCol,
    ],
    cells: (l, now) => [
      l.metadata?.name ?? '',
      l.spec?.holderIdentity ?? '',
      since(l.metadata?.creationTimestamp, now),
    ],
  },
};

/** A kind without its own columns: NAME and AGE, as kube-apiserver's default table convertor. */
export const defaultPrinter: KindPrinter = {
  columns: [nameCol, { ...ageCol, name: 'Created At', type: 'date' }],
  cells: (o) => [o.metadata?.name ?? '', o.metadata?.creationTimestamp ?? ''],
};

export function printerFor(kind: string): KindPrinter {
  return kindPrinters[kind] ?? defaultPrinter;
}
