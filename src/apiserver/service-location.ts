/**
 * Where the service proxy sends a request (kube-apiserver's service REST `ResourceLocation`), pure: the proxy
 * id `name`, `name:port` or `scheme:name:port`; a port *number* names the Service port with that number; the
 * address comes from a ready address of the Service's Endpoints (same name) whose port has that name, starting
 * at a random subset and address. The shell (server/service-proxy.ts) reads the objects and forwards.
 *
 * Differences from kube-apiserver, all because no pods run in the local control plane:
 * - kube skips addresses without a `targetRef` to a Pod holding the address; here an address without a
 *   targetRef is taken (processes register their own Endpoints), one with a Pod targetRef is checked as kube does;
 * - only loopback addresses (127.0.0.0/8, ::1) are proxied to; others are skipped, and when nothing else is
 *   left the 503 says why;
 * - without an Endpoints object, EndpointSlices labelled `kubernetes.io/service-name` are used (a real cluster
 *   always has the Endpoints object, mirrored by its controller).
 */
import { goQuote } from './field-errors.ts';
import { isLoopbackAddress } from './ip.ts';
import { ApiError, badRequest } from './status.ts';

type Json = Record<string, unknown>;

export interface ServiceId {
  /** `http`, `https` or `` (http). */
  scheme: string;
  name: string;
  /** A port name, a port number, or `` (the unnamed port). */
  port: string;
}

/** utilnet.SplitSchemeNamePort; undefined for an id kube answers 400 to. */
export function parseServiceId(id: string): ServiceId | undefined {
  const parts = id.split(':');
  if (parts.length > 3) return undefined;
  const [scheme = '', name = '', port = ''] = parts.length === 3 ? parts : ['', ...parts];
  if (name === '' || !['http', 'https', ''].includes(scheme)) return undefined;
  return { scheme, name, port };
}

export function invalidServiceRequest(id: string): ApiError {
  return badRequest(`invalid service request ${goQuote(id)}`);
}

export function serviceUnavailable(message: string): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message);
}

/** strconv.ParseInt(port, 10, 64) succeeding: the id names the port by number. */
export function portNumberOf(port: string): number | undefined {
  return /^[+-]?\d+$/.test(port) ? Number(port) : undefined;
}

/** The name of the Service port with this number (503 when there is none). */
export function servicePortName(service: Json, portNumber: number, serviceName: string): string {
  const ports = Array.isArray(record(service['spec'])['ports'])
    ? (record(service['spec'])['ports'] as unknown[])
    : [];
  for (const port of ports.map(record)) {
    if (port['port'] === portNumber) return typeof port['name'] === 'string' ? port['name'] : '';
  }
  throw serviceUnavailable(`no service port ${portNumber} found for service ${goQuote(serviceName)}`);
}

export interface BackendLocation {
  scheme: 'http' | 'https';
  /** The address as written in the endpoint (an IPv6 address without brackets). */
  host: string;
  port: number;
}

export interface LocateInput {
  /** The proxy id as given (kube's last 503 quotes it). */
  id: string;
  service: ServiceId;
  /** The port name to match in the endpoints (after a port number was turned into its name). */
  portName: string;
  /** The Service's Endpoints object, when there is one. */
  endpoints: Json | undefined;
  /** EndpointSlices of the Service (used only without an Endpoints object). */
  slices: readonly Json[];
  /** The namespace of the request. */
  namespace: string;
  /** The IPs of a Pod named by a targetRef, or undefined when it does not exist. */
  podIps: (name: string) => readonly string[] | undefined;
  /** An integer in [0, n). */
  pick: (n: number) => number;
}

interface Candidate {
  ip: string;
  targetRef: Json | undefined;
}

/** The backend to forward to, or the Status error kube answers with. */
export function locateBackend(input: LocateInput): BackendLocation {
  const scheme = input.service.scheme === 'https' ? 'https' : 'http';
  const groups = input.endpoints ? subsetGroups(input.endpoints, input.portName) : sliceGroups(input);
  if (groups.empty) {
    throw serviceUnavailable(`no endpoints available for service ${goQuote(input.service.name)}`);
  }
  const outside = new Set<string>();
  const count = groups.list.length;
  const start = count > 0 ? input.pick(count) : 0;
  for (let i = 0; i < count; i++) {
    const group = groups.list[(start + i) % count];
    if (!group || group.candidates.length === 0) continue;
    const first = input.pick(group.candidates.length);
    for (let j = 0; j < group.candidates.length; j++) {
      const candidate = group.candidates[(first + j) % group.candidates.length];
      if (!candidate || !validAddress(candidate, input)) continue;
      if (!isLoopbackAddress(candidate.ip)) {
        outside.add(candidate.ip);
        continue;
      }
      return { scheme, host: candidate.ip, port: group.port };
    }
  }
  const noEndpoints = `no endpoints available for service ${goQuote(input.id)}`;
  if (outside.size === 0) throw serviceUnavailable(noEndpoints);
  throw serviceUnavailable(
    `${noEndpoints}: the local control plane proxies only to loopback addresses (127.0.0.0/8, ::1), ` +
      `and the service's endpoints are elsewhere (${[...outside].join(', ')})`,
  );
}

interface Groups {
  /** No subsets (or no slice endpoints) at all: kube's first 503, naming the Service. */
  empty: boolean;
  /** One entry per subset (or slice) and matching port: the ready addresses on that port. */
  list: { port: number; candidates: Candidate[] }[];
}

function subsetGroups(endpoints: Json, portName: string): Groups {
  const subsets = list(endpoints['subsets']).map(record);
  const groups: Groups['list'] = [];
  for (const subset of subsets) {
    const addresses = list(subset['addresses']).map(record);
    for (const port of list(subset['ports']).map(record)) {
      if (stringOf(port['name']) !== portName || typeof port['port'] !== 'number') continue;
      groups.push({
        port: port['port'],
        candidates: addresses.map((address) => ({
          ip: stringOf(address['ip']),
          targetRef: optionalRecord(address['targetRef']),
        })),
      });
    }
  }
  return { empty: subsets.length === 0, list: groups };
}

function sliceGroups(input: LocateInput): Groups {
  const groups: Groups['list'] = [];
  let endpointCount = 0;
  for (const slice of input.slices) {
    const addressType = stringOf(slice['addressType']);
    const endpoints = list(slice['endpoints']).map(record);
    endpointCount += endpoints.length;
    if (addressType !== 'IPv4' && addressType !== 'IPv6') continue;
    const ready = endpoints.filter((endpoint) => record(endpoint['conditions'])['ready'] !== false);
    for (const port of list(slice['ports']).map(record)) {
      if (stringOf(port['name']) !== input.portName || typeof port['port'] !== 'number') continue;
      groups.push({
        port: port['port'],
        candidates: ready.flatMap((endpoint) =>
          list(endpoint['addresses']).map((ip) => ({
            ip: stringOf(ip),
            targetRef: optionalRecord(endpoint['targetRef']),
          })),
        ),
      });
    }
  }
  return { empty: endpointCount === 0, list: groups };
}

/** kube's isValidAddress for addresses that name a Pod: it must exist in the namespace and hold the address. */
function validAddress(candidate: Candidate, input: LocateInput): boolean {
  const ref = candidate.targetRef;
  if (ref === undefined) return candidate.ip !== '';
  if (stringOf(ref['namespace']) !== input.namespace) return false;
  const ips = input.podIps(stringOf(ref['name']));
  return ips !== undefined && ips.includes(candidate.ip);
}

/** The Pods the endpoints' targetRefs name (the shell reads them before locating). */
export function referencedPods(endpoints: Json | undefined, slices: readonly Json[]): string[] {
  const names = new Set<string>();
  const add = (ref: unknown): void => {
    const target = optionalRecord(ref);
    if (target) names.add(stringOf(target['name']));
  };
  if (endpoints) {
    for (const subset of list(endpoints['subsets']).map(record))
      for (const address of list(subset['addresses']).map(record)) add(address['targetRef']);
  } else {
    for (const slice of slices)
      for (const endpoint of list(slice['endpoints']).map(record)) add(endpoint['targetRef']);
  }
  return [...names];
}

/** status.podIPs[].ip, or status.podIP for Pods written without the list. */
export function podIpsOf(pod: Json): string[] {
  const status = record(pod['status']);
  const ips = list(status['podIPs'])
    .map((entry) => stringOf(record(entry)['ip']))
    .filter((ip) => ip !== '');
  if (ips.length === 0 && typeof status['podIP'] === 'string' && status['podIP'] !== '')
    ips.push(status['podIP']);
  return ips;
}

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function optionalRecord(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
