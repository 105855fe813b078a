/**
 * Server-side printing: the `meta.k8s.io/v1` Table that `kubectl get` asks for
 * (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io,…`). Column sets and cell values follow kube-apiserver
 * 1.32: the built-in printers (pkg/printers/internalversion), the CRD convertor (additionalPrinterColumns, or a
 * single `Age` column) and the default convertor (`Name`, `Created At`) for everything else. The server always
 * prints "wide": priority-1 columns are sent and kubectl hides them unless `-o wide`.
 *
 * This is a dev server without kubelet or controllers, so stored objects lack what those would have written; cells
 * show what kube-apiserver prints for the same object after its defaulting (a Pod is `Pending`, a Deployment wants
 * 1 replica, a Secret is `Opaque`). Pure: the caller passes `now`.
 */
import type { ResourceInfo } from './resources.ts';
import {
  JsonPathError,
  evaluateJsonPath,
  parseJsonPath,
  printJsonPathValue,
  type JsonPath,
} from './jsonpath.ts';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object?: Record<string, unknown>;
}

export interface TableMetadata {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: TableMetadata;
  columnDefinitions?: TableColumnDefinition[];
  rows: TableRow[];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface ToTableOptions {
  now: Date;
  /** `?includeObject=`; kube's default is `Metadata`. */
  includeObject: IncludeObject;
  /** Omit the column definitions: every watch event after the first. */
  noHeaders?: boolean | undefined;
  resourceVersion?: string | undefined;
  continueToken?: string | undefined;
  remainingItemCount?: number | undefined;
  /** The Table version the client accepted (negotiation.ts); `v1` by default. */
  version?: 'v1' | 'v1beta1' | undefined;
}

type Obj = Record<string, unknown>;

interface PrintedRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
}

interface Printer {
  columns: TableColumnDefinition[];
  row(object: Obj, now: number): PrintedRow;
}

/** Builds the Table for `objects` (a list, or the one object of a GET or watch event). */
export function toTable(
  info: ResourceInfo,
  objects: readonly Record<string, unknown>[],
  options: ToTableOptions,
): Table {
  const printer = printerFor(info);
  const now = options.now.getTime();
  const version = options.version ?? 'v1';
  const metadata: TableMetadata = {};
  if (options.resourceVersion !== undefined) metadata.resourceVersion = options.resourceVersion;
  if (options.continueToken) metadata.continue = options.continueToken;
  if (options.remainingItemCount !== undefined) metadata.remainingItemCount = options.remainingItemCount;
  const rows = objects.map((object) => {
    const printed = printer.row(object, now);
    const row: TableRow = { cells: printed.cells };
    if (printed.conditions) row.conditions = printed.conditions;
    if (options.includeObject === 'Object') row.object = object;
    else if (options.includeObject === 'Metadata') {
      row.object = {
        kind: 'PartialObjectMetadata',
        apiVersion: `meta.k8s.io/${version}`,
        metadata: rec(object['metadata']),
      };
    }
    return row;
  });
  const table: Table = { kind: 'Table', apiVersion: `meta.k8s.io/${version}`, metadata, rows };
  if (!options.noHeaders) table.columnDefinitions = printer.columns.map((definition) => ({ ...definition }));
  return table;
}

/** The column definitions `toTable` sends for this resource. */
export function tableColumns(info: ResourceInfo): TableColumnDefinition[] {
  return printerFor(info).columns.map((definition) => ({ ...definition }));
}

// --- durations and timestamps ---------------------------------------------------------------------------------

/**
 * apimachinery's duration.HumanDuration, as the AGE column shows it: seconds under 2 minutes, `5m30s` under 10
 * minutes, minutes under 3 hours, `3h5m` under 8 hours, hours under 2 days, `3d4h` under 8 days, days under 2
 * years, `3y45d` under 8 years, then years. Up to a second into the future is `0s`; further is `<invalid>`.
 */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.trunc(milliseconds / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** Go's zero time.Time, 0001-01-01T00:00:00Z: what an unset timestamp decodes to. */
const ZERO_TIME = -62135596800000;

/** Milliseconds of an RFC 3339 timestamp; undefined when absent, Go's zero time, or not a timestamp. */
function timestamp(value: unknown): number | undefined {
  if (typeof value !== 'string' || !RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || ms === ZERO_TIME) return undefined;
  return ms;
}

/** translateTimestampSince: `<unknown>` for a missing timestamp. */
function since(value: unknown, now: number): string {
  const ms = timestamp(value);
  return ms === undefined ? '<unknown>' : humanDuration(now - ms);
}

function age(object: Obj, now: number): string {
  return since(rec(object['metadata'])['creationTimestamp'], now);
}

/** The default convertor's `Created At`: RFC 3339 in UTC, whole seconds; Go's zero time when unset. */
function createdAt(object: Obj): string {
  const ms = timestamp(rec(object['metadata'])['creationTimestamp']);
  if (ms === undefined) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

// --- small readers --------------------------------------------------------------------------------------------

function rec(value: unknown): Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function int(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : 0;
}

function optionalInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : undefined;
}

function name(object: Obj): string {
  return str(rec(object['metadata'])['name']);
}

function keyCount(value: unknown): number {
  return Object.keys(rec(value)).length;
}

/** labels.FormatLabels: `a=b,c=d` sorted by key, `<none>` when empty. */
function formatLabels(value: unknown): string {
  const entries = Object.entries(rec(value))
    .filter(([, v]) => typeof v === 'string')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${String(v)}`).join(',');
}

/** A LabelSelector as labels.Selector.String() writes it; `''` for none or empty, undefined when invalid. */
function labelSelectorString(value: unknown): string | undefined {
  if (value === null || value === undefined) return '';
  const selector = rec(value);
  const requirements: { key: string; text: string }[] = [];
  for (const [key, labelValue] of Object.entries(rec(selector['matchLabels']))) {
    requirements.push({ key, text: `${key}=${str(labelValue)}` });
  }
  for (const entry of list(selector['matchExpressions'])) {
    const expression = rec(entry);
    const key = str(expression['key']);
    const values = list(expression['values']).map(str);
    switch (expression['operator']) {
      case 'In':
      case 'NotIn': {
        if (values.length === 0) return undefined;
        const word = expression['operator'] === 'In' ? 'in' : 'notin';
        requirements.push({ key, text: `${key} ${word} (${[...values].sort().join(',')})` });
        break;
      }
      case 'Exists':
        if (values.length > 0) return undefined;
        requirements.push({ key, text: key });
        break;
      case 'DoesNotExist':
        if (values.length > 0) return undefined;
        requirements.push({ key, text: `!${key}` });
        break;
      default:
        return undefined;
    }
  }
  return requirements
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((requirement) => requirement.text)
    .join(',');
}

/** metav1.FormatLabelSelector: `<none>` for an empty selector, `<error>` for an invalid one. */
function formatLabelSelector(value: unknown): string {
  const text = labelSelectorString(value);
  if (text === undefined) return '<error>';
  return text === '' ? '<none>' : text;
}

/** layoutContainerCells: names and images, comma-separated. */
function containerCells(podSpec: unknown): [string, string] {
  const containers = list(rec(podSpec)['containers']).map(rec);
  return [containers.map((c) => str(c['name'])).join(','), containers.map((c) => str(c['image'])).join(',')];
}

function boolText(value: unknown, fallback: boolean): string {
  const flag = typeof value === 'boolean' ? value : fallback;
  return flag ? 'True' : 'False';
}

// --- column definitions -----------------------------------------------------------------------------------------

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const CREATION_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';
const CONTAINERS_DESCRIPTION = 'Names of each container in the template.';
const IMAGES_DESCRIPTION = 'Images referenced by each container in the template.';
const LABEL_SELECTORS =
  'https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors';
const JOB_SELECTOR_DESCRIPTION = `A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: ${LABEL_SELECTORS}`;
const NODE_SELECTOR_DESCRIPTION =
  "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/";

function column(
  columnName: string,
  type: string,
  description: string,
  extra: { format?: string; priority?: number } = {},
): TableColumnDefinition {
  return { name: columnName, type, format: extra.format ?? '', description, priority: extra.priority ?? 0 };
}

const NAME = column('Name', 'string', NAME_DESCRIPTION, { format: 'name' });
const AGE = column('Age', 'string', CREATION_DESCRIPTION);
const CONTAINERS = column('Containers', 'string', CONTAINERS_DESCRIPTION, { priority: 1 });
const IMAGES = column('Images', 'string', IMAGES_DESCRIPTION, { priority: 1 });

// --- built-in printers ------------------------------------------------------------------------------------------

const secretPrinter: Printer = {
  columns: [
    NAME,
    column(
      'Type',
      'string',
      'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types',
    ),
    column(
      'Data',
      'string',
      "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
    ),
    AGE,
  ],
  row: (o, now) => ({ cells: [name(o), str(o['type']) || 'Opaque', keyCount(o['data']), age(o, now)] }),
};

const configMapPrinter: Printer = {
  columns: [
    NAME,
    column(
      'Data',
      'string',
      "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
    ),
    AGE,
  ],
  row: (o, now) => ({ cells: [name(o), keyCount(o['data']) + keyCount(o['binaryData']), age(o, now)] }),
};

const namespacePrinter: Printer = {
  columns: [NAME, column('Status', 'string', 'The status of the namespace'), AGE],
  row: (o, now) => ({ cells: [name(o), str(rec(o['status'])['phase']) || 'Active', age(o, now)] }),
};

const serviceAccountPrinter: Printer = {
  columns: [
    NAME,
    column(
      'Secrets',
      'string',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". The "kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret',
    ),
    AGE,
  ],
  row: (o, now) => ({ cells: [name(o), list(o['secrets']).length, age(o, now)] }),
};

const SERVICE_PROXIES =
  'https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies';

const servicePrinter: Printer = {
  columns: [
    NAME,
    column(
      'Type',
      'string',
      'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is "None", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. "NodePort" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. "LoadBalancer" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. "ExternalName" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types',
    ),
    column(
      'Cluster-IP',
      'string',
      `clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are "None", empty string (""), or a valid IP address. Setting this to "None" makes a "headless service" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: ${SERVICE_PROXIES}`,
    ),
    column(
      'External-IP',
      'string',
      'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.',
    ),
    column(
      'Port(s)',
      'string',
      `The list of ports that are exposed by this service. More info: ${SERVICE_PROXIES}`,
    ),
    AGE,
    column(
      'Selector',
      'string',
      'Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/',
      { priority: 1 },
    ),
  ],
  row: (o, now) => {
    const spec = rec(o['spec']);
    const type = str(spec['type']) || 'ClusterIP';
    const clusterIPs = list(spec['clusterIPs']);
    const clusterIP = clusterIPs.length > 0 ? str(clusterIPs[0]) : str(spec['clusterIP']) || '<none>';
    const ports = list(spec['ports']).map((entry) => {
      const port = rec(entry);
      const protocol = str(port['protocol']) || 'TCP';
      const nodePort = int(port['nodePort']);
      return nodePort > 0
        ? `${int(port['port'])}:${nodePort}/${protocol}`
        : `${int(port['port'])}/${protocol}`;
    });
    return {
      cells: [
        name(o),
        type,
        clusterIP,
        serviceExternalIP(type, spec, rec(o['status'])),
        ports.length > 0 ? ports.join(',') : '<none>',
        age(o, now),
        formatLabels(spec['selector']),
      ],
    };
  },
};

/** The load balancer's IPs or hostnames, sorted and unique (the server prints wide, so nothing is clipped). */
function loadBalancerAddresses(status: unknown): string {
  const addresses = new Set<string>();
  for (const entry of list(rec(status)['ingress'])) {
    const ingress = rec(entry);
    const address = str(ingress['ip']) || str(ingress['hostname']);
    if (address) addresses.add(address);
  }
  return [...addresses].sort().join(',');
}

function serviceExternalIP(type: string, spec: Obj, status: Obj): string {
  const externalIPs = list(spec['externalIPs']).map(str);
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const balancer = loadBalancerAddresses(status['loadBalancer']);
      if (externalIPs.length > 0) return [...(balancer ? balancer.split(',') : []), ...externalIPs].join(',');
      return balancer || '<pending>';
    }
    case 'ExternalName':
      return str(spec['externalName']);
    default:
      return '<unknown>';
  }
}

const POD_COMPLETED: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
const POD_FAILED: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
];

const podPrinter: Printer = {
  columns: [
    NAME,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    AGE,
    column(
      'IP',
      'string',
      'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
      {
        priority: 1,
      },
    ),
    column(
      'Node',
      'string',
      'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename',
      { priority: 1 },
    ),
    column(
      'Nominated Node',
      'string',
      'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.',
      { priority: 1 },
    ),
    column(
      'Readiness Gates',
      'string',
      'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates',
      { priority: 1 },
    ),
  ],
  row: printPod,
};

function printPod(pod: Obj, now: number): PrintedRow {
  const spec = rec(pod['spec']);
  const status = rec(pod['status']);
  const metadata = rec(pod['metadata']);
  const conditions = list(status['conditions']).map(rec);
  // kube-apiserver sets phase Pending when it creates a pod; no kubelet moves it on here.
  const phase = str(status['phase']) || 'Pending';
  let reason = str(status['reason']) || phase;
  if (conditions.some((c) => c['type'] === 'PodScheduled' && c['reason'] === 'SchedulingGated'))
    reason = 'SchedulingGated';

  const initContainers = list(spec['initContainers']).map(rec);
  const restartable = new Set(
    initContainers.filter((c) => c['restartPolicy'] === 'Always').map((c) => str(c['name'])),
  );
  const totalContainers = list(spec['containers']).length + restartable.size;
  let readyContainers = 0;
  let restarts = 0;
  let restartableRestarts = 0;
  let lastRestart: number | undefined;
  let lastRestartableRestart: number | undefined;
  const later = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined ? b : b === undefined ? a : Math.max(a, b);

  let initializing = false;
  const initStatuses = list(status['initContainerStatuses']).map(rec);
  for (const [index, container] of initStatuses.entries()) {
    const state = rec(container['state']);
    const terminated = state['terminated'] === undefined ? undefined : rec(state['terminated']);
    const waiting = state['waiting'] === undefined ? undefined : rec(state['waiting']);
    const finished = timestamp(rec(rec(container['lastState'])['terminated'])['finishedAt']);
    restarts += int(container['restartCount']);
    lastRestart = later(lastRestart, finished);
    const isRestartable = restartable.has(str(container['name']));
    if (isRestartable) {
      restartableRestarts += int(container['restartCount']);
      lastRestartableRestart = later(lastRestartableRestart, finished);
    }
    if (terminated && int(terminated['exitCode']) === 0) continue;
    if (isRestartable && container['started'] === true) {
      if (container['ready'] === true) readyContainers++;
      continue;
    }
    if (terminated) {
      if (str(terminated['reason']) === '') {
        reason =
          int(terminated['signal']) !== 0
            ? `Init:Signal:${int(terminated['signal'])}`
            : `Init:ExitCode:${int(terminated['exitCode'])}`;
      } else {
        reason = `Init:${str(terminated['reason'])}`;
      }
    } else if (waiting && str(waiting['reason']) !== '' && waiting['reason'] !== 'PodInitializing') {
      reason = `Init:${str(waiting['reason'])}`;
    } else {
      reason = `Init:${index}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  const initialized = conditions.some((c) => c['type'] === 'Initialized' && c['status'] === 'True');
  if (!initializing || initialized) {
    restarts = restartableRestarts;
    lastRestart = lastRestartableRestart;
    let hasRunning = false;
    const statuses = list(status['containerStatuses']).map(rec);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i] ?? {};
      const state = rec(container['state']);
      const terminated = state['terminated'] === undefined ? undefined : rec(state['terminated']);
      const waiting = state['waiting'] === undefined ? undefined : rec(state['waiting']);
      restarts += int(container['restartCount']);
      lastRestart = later(
        lastRestart,
        timestamp(rec(rec(container['lastState'])['terminated'])['finishedAt']),
      );
      if (waiting && str(waiting['reason']) !== '') {
        reason = str(waiting['reason']);
      } else if (terminated && str(terminated['reason']) !== '') {
        reason = str(terminated['reason']);
      } else if (terminated) {
        reason =
          int(terminated['signal']) !== 0
            ? `Signal:${int(terminated['signal'])}`
            : `ExitCode:${int(terminated['exitCode'])}`;
      } else if (container['ready'] === true && state['running'] !== undefined) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditions.some((c) => c['type'] === 'Ready' && c['status'] === 'True')
        ? 'Running'
        : 'NotReady';
    }
  }

  if (metadata['deletionTimestamp'] && status['reason'] === 'NodeLost') reason = 'Unknown';
  else if (metadata['deletionTimestamp'] && phase !== 'Succeeded' && phase !== 'Failed')
    reason = 'Terminating';

  const restartsText =
    restarts !== 0 && lastRestart !== undefined
      ? `${restarts} (${humanDuration(now - lastRestart)} ago)`
      : String(restarts);

  const podIPs = list(status['podIPs']);
  const podIP = (podIPs.length > 0 ? str(rec(podIPs[0])['ip']) : str(status['podIP'])) || '<none>';
  const gates = list(spec['readinessGates']).map(rec);
  let readinessGates = '<none>';
  if (gates.length > 0) {
    const passed = gates.filter(
      (gate) => conditions.find((c) => c['type'] === gate['conditionType'])?.['status'] === 'True',
    ).length;
    readinessGates = `${passed}/${gates.length}`;
  }
  const row: PrintedRow = {
    cells: [
      name(pod),
      `${readyContainers}/${totalContainers}`,
      reason,
      restartsText,
      age(pod, now),
      podIP,
      str(spec['nodeName']) || '<none>',
      str(status['nominatedNodeName']) || '<none>',
      readinessGates,
    ],
  };
  if (phase === 'Succeeded') row.conditions = POD_COMPLETED.map((c) => ({ ...c }));
  if (phase === 'Failed') row.conditions = POD_FAILED.map((c) => ({ ...c }));
  return row;
}

const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    column(
      'Reason',
      'string',
      "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ),
    column('Object', 'string', 'The object that this event is about.'),
    column(
      'Subobject',
      'string',
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.',
      { priority: 1 },
    ),
    column(
      'Source',
      'string',
      'The component reporting this event. Should be a short machine understandable string.',
      { priority: 1 },
    ),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    column(
      'First Seen',
      'string',
      'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
      {
        priority: 1,
      },
    ),
    column('Count', 'string', 'The number of times this event has occurred.', { priority: 1 }),
    column('Name', 'string', NAME_DESCRIPTION, { priority: 1, format: 'name' }),
  ],
  row: (o, now) => {
    const involved = rec(o['involvedObject']);
    const source = rec(o['source']);
    let firstSeen = since(o['firstTimestamp'], now);
    if (timestamp(o['firstTimestamp']) === undefined) firstSeen = since(o['eventTime'], now);
    let lastSeen = timestamp(o['lastTimestamp']) === undefined ? firstSeen : since(o['lastTimestamp'], now);
    let count = int(o['count']);
    if (o['series'] !== undefined && o['series'] !== null) {
      const series = rec(o['series']);
      lastSeen = since(series['lastObservedTime'], now);
      count = int(series['count']);
    } else if (count === 0) {
      count = 1;
    }
    const kind = str(involved['kind']).toLowerCase();
    const target = str(involved['name']) ? `${kind}/${str(involved['name'])}` : kind;
    const component = str(source['component']) || str(o['reportingComponent']);
    const host = str(source['host']) || str(o['reportingInstance']);
    return {
      cells: [
        lastSeen,
        str(o['type']),
        str(o['reason']),
        target,
        str(involved['fieldPath']),
        host ? `${component}, ${host}` : component,
        str(o['message']).trim(),
        firstSeen,
        count,
        name(o),
      ],
    };
  },
};

const READY_REPLICAS_DESCRIPTION = 'Number of the pod with ready state';

const deploymentPrinter: Printer = {
  columns: [
    NAME,
    column('Ready', 'string', READY_REPLICAS_DESCRIPTION),
    column(
      'Up-to-date',
      'string',
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
    ),
    column(
      'Available',
      'string',
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    column(
      'Selector',
      'string',
      'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
      { priority: 1 },
    ),
  ],
  row: (o, now) => {
    const spec = rec(o['spec']);
    const status = rec(o['status']);
    const replicas = optionalInt(spec['replicas']) ?? 1;
    const [names, images] = containerCells(rec(spec['template'])['spec']);
    return {
      cells: [
        name(o),
        `${int(status['readyReplicas'])}/${replicas}`,
        int(status['updatedReplicas']),
        int(status['availableReplicas']),
        age(o, now),
        names,
        images,
        labelSelectorString(spec['selector']) ?? '<invalid>',
      ],
    };
  },
};

const statefulSetPrinter: Printer = {
  columns: [NAME, column('Ready', 'string', READY_REPLICAS_DESCRIPTION), AGE, CONTAINERS, IMAGES],
  row: (o, now) => {
    const spec = rec(o['spec']);
    const [names, images] = containerCells(rec(spec['template'])['spec']);
    const replicas = optionalInt(spec['replicas']) ?? 1;
    return {
      cells: [name(o), `${int(rec(o['status'])['readyReplicas'])}/${replicas}`, age(o, now), names, images],
    };
  },
};

const daemonSetPrinter: Printer = {
  columns: [
    NAME,
    column(
      'Desired',
      'integer',
      'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
    ),
    column(
      'Current',
      'integer',
      'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
    ),
    column(
      'Ready',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
    ),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    column(
      'Available',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
    ),
    column('Node Selector', 'string', NODE_SELECTOR_DESCRIPTION),
    AGE,
    CONTAINERS,
    IMAGES,
    column(
      'Selector',
      'string',
      `A label query over pods that are managed by the daemon set. Must match in order to be controlled. If empty, defaulted to labels on Pod template. More info: ${LABEL_SELECTORS}`,
      { priority: 1 },
    ),
  ],
  row: (o, now) => {
    const spec = rec(o['spec']);
    const status = rec(o['status']);
    const podSpec = rec(spec['template'])['spec'];
    const [names, images] = containerCells(podSpec);
    return {
      cells: [
        name(o),
        int(status['desiredNumberScheduled']),
        int(status['currentNumberScheduled']),
        int(status['numberReady']),
        int(status['updatedNumberScheduled']),
        int(status['numberAvailable']),
        formatLabels(rec(podSpec)['nodeSelector']),
        age(o, now),
        names,
        images,
        formatLabelSelector(spec['selector']),
      ],
    };
  },
};

/** hasJobCondition: the first condition of that type decides. */
function hasCondition(status: Obj, type: string): boolean {
  const condition = list(status['conditions'])
    .map(rec)
    .find((c) => c['type'] === type);
  return condition?.['status'] === 'True';
}

const jobPrinter: Printer = {
  columns: [
    NAME,
    column('Status', 'string', 'Status of the job.'),
    column(
      'Completions',
      'string',
      'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.',
    ),
    column('Duration', 'string', 'Time required to complete the job.'),
    AGE,
    CONTAINERS,
    IMAGES,
    column('Selector', 'string', JOB_SELECTOR_DESCRIPTION, { priority: 1 }),
  ],
  row: (o, now) => {
    const spec = rec(o['spec']);
    const status = rec(o['status']);
    const succeeded = int(status['succeeded']);
    // Defaulting sets completions and parallelism to 1 when neither is given.
    const parallelism = optionalInt(spec['parallelism']);
    const completions = optionalInt(spec['completions']) ?? (parallelism === undefined ? 1 : undefined);
    let completionsText: string;
    if (completions !== undefined) completionsText = `${succeeded}/${completions}`;
    else if ((parallelism ?? 0) > 1) completionsText = `${succeeded}/1 of ${parallelism ?? 0}`;
    else completionsText = `${succeeded}/1`;
    const started = timestamp(status['startTime']);
    const completed = timestamp(status['completionTime']);
    let duration = '';
    if (started !== undefined) duration = humanDuration((completed ?? now) - started);
    let state = 'Running';
    if (hasCondition(status, 'Complete')) state = 'Complete';
    else if (hasCondition(status, 'Failed')) state = 'Failed';
    else if (rec(o['metadata'])['deletionTimestamp']) state = 'Terminating';
    else if (hasCondition(status, 'Suspended')) state = 'Suspended';
    else if (hasCondition(status, 'FailureTarget')) state = 'FailureTarget';
    const [names, images] = containerCells(rec(spec['template'])['spec']);
    return {
      cells: [
        name(o),
        state,
        completionsText,
        duration,
        age(o, now),
        names,
        images,
        formatLabelSelector(spec['selector']),
      ],
    };
  },
};

const cronJobPrinter: Printer = {
  columns: [
    NAME,
    column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column(
      'Timezone',
      'string',
      'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones',
    ),
    column(
      'Suspend',
      'boolean',
      'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.',
    ),
    column('Active', 'integer', 'A list of pointers to currently running jobs.'),
    column(
      'Last Schedule',
      'string',
      'Information when was the last time the job was successfully scheduled.',
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    column('Selector', 'string', JOB_SELECTOR_DESCRIPTION, { priority: 1 }),
  ],
  row: (o, now) => {
    const spec = rec(o['spec']);
    const status = rec(o['status']);
    const jobSpec = rec(rec(spec['jobTemplate'])['spec']);
    const [names, images] = containerCells(rec(jobSpec['template'])['spec']);
    const lastSchedule =
      status['lastScheduleTime'] === undefined || status['lastScheduleTime'] === null
        ? '<none>'
        : since(status['lastScheduleTime'], now);
    return {
      cells: [
        name(o),
        str(spec['schedule']),
        str(spec['timeZone']) || '<none>',
        boolText(spec['suspend'], false),
        list(status['active']).length,
        lastSchedule,
        age(o, now),
        names,
        images,
        formatLabelSelector(jobSpec['selector']),
      ],
    };
  },
};

function bindingPrinter(kind: 'roleBinding' | 'clusterRoleBinding'): Printer {
  const roleDescription =
    kind === 'roleBinding'
      ? 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.'
      : 'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.';
  return {
    columns: [
      NAME,
      column('Role', 'string', roleDescription),
      AGE,
      column('Users', 'string', `Users in the ${kind}`, { priority: 1 }),
      column('Groups', 'string', `Groups in the ${kind}`, { priority: 1 }),
      column('ServiceAccounts', 'string', `ServiceAccounts in the ${kind}`, { priority: 1 }),
    ],
    row: (o, now) => {
      const roleRef = rec(o['roleRef']);
      const users: string[] = [];
      const groups: string[] = [];
      const serviceAccounts: string[] = [];
      for (const entry of list(o['subjects'])) {
        const subject = rec(entry);
        if (subject['kind'] === 'ServiceAccount')
          serviceAccounts.push(`${str(subject['namespace'])}/${str(subject['name'])}`);
        else if (subject['kind'] === 'User') users.push(str(subject['name']));
        else if (subject['kind'] === 'Group') groups.push(str(subject['name']));
      }
      return {
        cells: [
          name(o),
          `${str(roleRef['kind'])}/${str(roleRef['name'])}`,
          age(o, now),
          users.join(', '),
          groups.join(', '),
          serviceAccounts.join(', '),
        ],
      };
    },
  };
}

const leasePrinter: Printer = {
  columns: [
    NAME,
    column(
      'Holder',
      'string',
      'holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.',
    ),
    AGE,
  ],
  row: (o, now) => ({ cells: [name(o), str(rec(o['spec'])['holderIdentity']), age(o, now)] }),
};

const ingressPrinter: Printer = {
  columns: [
    NAME,
    column(
      'Class',
      'string',
      'The name of the IngressClass resource that should be used for additional configuration',
    ),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE,
  ],
  row: (o, now) => {
    const spec = rec(o['spec']);
    const rules = list(spec['rules']).map(rec);
    const hosts: string[] = [];
    let more = false;
    for (const rule of rules) {
      if (hosts.length === 3) more = true;
      if (!more && str(rule['host']) !== '') hosts.push(str(rule['host']));
    }
    let hostsText = hosts.length === 0 ? '*' : hosts.join(',');
    if (hosts.length > 0 && more) hostsText = `${hostsText} + ${rules.length - 3} more...`;
    return {
      cells: [
        name(o),
        str(spec['ingressClassName']) || '<none>',
        hostsText,
        loadBalancerAddresses(rec(o['status'])['loadBalancer']),
        list(spec['tls']).length > 0 ? '80, 443' : '80',
        age(o, now),
      ],
    };
  },
};

const networkPolicyPrinter: Printer = {
  columns: [
    NAME,
    column(
      'Pod-Selector',
      'string',
      'Selects the pods to which this NetworkPolicy object applies. The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace.',
    ),
    AGE,
  ],
  // The pod selector is a value, not a pointer, in the Go type: missing means empty, which prints <none>.
  row: (o, now) => ({
    cells: [name(o), formatLabelSelector(rec(rec(o['spec'])['podSelector'])), age(o, now)],
  }),
};

/** The IP joined with a port as Go's net.JoinHostPort writes it (IPv6 in brackets). */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** formatEndpoints with every port: `ip:port` for up to three, then ` + N more...`; `<none>` without subsets. */
function formatEndpoints(endpoints: Obj): string {
  const subsets = list(endpoints['subsets']).map(rec);
  if (subsets.length === 0) return '<none>';
  const shown: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const subset of subsets) {
    const addresses = list(subset['addresses']).map(rec);
    const ports = list(subset['ports']).map(rec);
    if (ports.length === 0) {
      count += addresses.length;
      for (const address of addresses) {
        if (shown.length === max) {
          more = true;
          break;
        }
        shown.push(str(address['ip']));
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const address of addresses) {
        if (shown.length === max) {
          more = true;
          break;
        }
        shown.push(joinHostPort(str(address['ip']), int(port['port'])));
      }
    }
  }
  const text = shown.join(',');
  return more ? `${text} + ${count - max} more...` : text;
}

const endpointsPrinter: Printer = {
  columns: [
    NAME,
    column(
      'Endpoints',
      'string',
      'The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.',
    ),
    AGE,
  ],
  row: (o, now) => ({ cells: [name(o), formatEndpoints(o), age(o, now)] }),
};

/** listWithMoreString: up to three entries, ` + N more...`, `<unset>` when empty. */
function listWithMore(values: string[]): string {
  const max = 3;
  const text = values.slice(0, max).join(',');
  if (values.length > max) return `${text} + ${values.length - max} more...`;
  return text === '' ? '<unset>' : text;
}

const endpointSlicePrinter: Printer = {
  columns: [
    NAME,
    column(
      'AddressType',
      'string',
      'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.',
    ),
    column(
      'Ports',
      'string',
      'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.',
    ),
    column(
      'Endpoints',
      'string',
      'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.',
    ),
    AGE,
  ],
  row: (o, now) => {
    // formatDiscoveryPorts: the number, else the name, else `*`.
    const ports = list(o['ports'])
      .map(rec)
      .map((port) =>
        typeof port['port'] === 'number'
          ? String(int(port['port']))
          : typeof port['name'] === 'string'
            ? port['name']
            : '*',
      );
    const addresses = list(o['endpoints'])
      .map(rec)
      .flatMap((endpoint) => list(endpoint['addresses']).map(str));
    return {
      cells: [name(o), str(o['addressType']), listWithMore(ports), listWithMore(addresses), age(o, now)],
    };
  },
};

const webhookPrinter: Printer = {
  columns: [
    NAME,
    column(
      'Webhooks',
      'integer',
      'Webhooks indicates the number of webhooks registered in this configuration',
    ),
    AGE,
  ],
  row: (o, now) => ({ cells: [name(o), list(o['webhooks']).length, age(o, now)] }),
};

/** rest.NewDefaultTableConvertor: roles, cluster roles, CRDs and anything without a printer. */
const defaultPrinter: Printer = {
  columns: [NAME, column('Created At', 'date', CREATION_DESCRIPTION)],
  row: (o) => ({ cells: [name(o), createdAt(o)] }),
};

const BUILTIN_PRINTERS = new Map<string, Printer>([
  ['/Secret', secretPrinter],
  ['/ConfigMap', configMapPrinter],
  ['/Namespace', namespacePrinter],
  ['/ServiceAccount', serviceAccountPrinter],
  ['/Service', servicePrinter],
  ['/Endpoints', endpointsPrinter],
  ['discovery.k8s.io/EndpointSlice', endpointSlicePrinter],
  ['/Pod', podPrinter],
  ['/Event', eventPrinter],
  ['apps/Deployment', deploymentPrinter],
  ['apps/StatefulSet', statefulSetPrinter],
  ['apps/DaemonSet', daemonSetPrinter],
  ['batch/Job', jobPrinter],
  ['batch/CronJob', cronJobPrinter],
  ['rbac.authorization.k8s.io/RoleBinding', bindingPrinter('roleBinding')],
  ['rbac.authorization.k8s.io/ClusterRoleBinding', bindingPrinter('clusterRoleBinding')],
  ['coordination.k8s.io/Lease', leasePrinter],
  ['networking.k8s.io/Ingress', ingressPrinter],
  ['networking.k8s.io/NetworkPolicy', networkPolicyPrinter],
  ['admissionregistration.k8s.io/MutatingWebhookConfiguration', webhookPrinter],
  ['admissionregistration.k8s.io/ValidatingWebhookConfiguration', webhookPrinter],
]);

// --- custom resources -------------------------------------------------------------------------------------------

const customPrinters = new WeakMap<object, Printer>();

function printerFor(info: ResourceInfo): Printer {
  if (info.crd) {
    let printer = customPrinters.get(info.crd);
    if (!printer) {
      printer = customResourcePrinter(info.crd.printerColumns);
      customPrinters.set(info.crd, printer);
    }
    return printer;
  }
  return BUILTIN_PRINTERS.get(`${info.group}/${info.kind}`) ?? defaultPrinter;
}

type CrdColumn = NonNullable<ResourceInfo['crd']>['printerColumns'][number];

/**
 * The apiextensions-apiserver convertor: Name, then each printer column (a single date `Age` column when the CRD
 * has none). Like kube-apiserver, a column whose path does not parse drops it and every column after it.
 */
function customResourcePrinter(printerColumns: readonly CrdColumn[]): Printer {
  const given: readonly CrdColumn[] =
    printerColumns.length > 0
      ? printerColumns
      : [
          {
            name: 'Age',
            type: 'date',
            description: CREATION_DESCRIPTION,
            jsonPath: '.metadata.creationTimestamp',
          },
        ];
  const columns = [NAME];
  const paths: JsonPath[] = [];
  for (const printerColumn of given) {
    let path: JsonPath;
    try {
      path = parseJsonPath(printerColumn.jsonPath);
    } catch (error) {
      if (error instanceof JsonPathError) break;
      throw error;
    }
    paths.push(path);
    columns.push(
      column(
        printerColumn.name,
        printerColumn.type,
        printerColumn.description ||
          `Custom resource definition column (in JSONPath format): ${printerColumn.jsonPath}`,
        {
          format: printerColumn.format ?? '',
          priority: printerColumn.priority ?? 0,
        },
      ),
    );
  }
  return {
    columns,
    row: (o, now) => ({
      cells: [
        name(o),
        ...paths.map((path, index) => {
          const results = evaluateJsonPath(o, path);
          if (results.length === 0) return null;
          return customCell(columns[index + 1]?.type ?? 'string', results[0], now);
        }),
      ],
    }),
  };
}

/** One printer-column cell from the first match, typed as kube's cellForJSONValue does. */
function customCell(type: string, value: unknown, now: number): unknown {
  if (type === 'string') return printJsonPathValue(value);
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (value === '' || value === 'null') return '<unknown>';
      if (!RFC3339.test(value) || Number.isNaN(Date.parse(value))) return '<invalid>';
      const ms = timestamp(value);
      return ms === undefined ? '<unknown>' : humanDuration(now - ms);
    }
    default:
      return null;
  }
}
