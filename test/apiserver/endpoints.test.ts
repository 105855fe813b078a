/**
 * v1 Endpoints and discovery.k8s.io/v1 EndpointSlices without a server: kube's validation messages (with the
 * local control plane's one exception, loopback addresses), the `kubectl get` columns, and how the service proxy
 * picks a backend from them (service-location.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isLoopbackAddress, parseIp } from '../../src/apiserver/ip.ts';
import { builtinResources, type ResourceInfo } from '../../src/apiserver/resources.ts';
import {
  locateBackend,
  parseServiceId,
  podIpsOf,
  referencedPods,
  servicePortName,
  type LocateInput,
} from '../../src/apiserver/service-location.ts';
import { ApiError } from '../../src/apiserver/status.ts';
import { toTable } from '../../src/apiserver/table.ts';
import { validateObject } from '../../src/apiserver/validation.ts';

type Json = Record<string, unknown>;

function builtin(kind: string): ResourceInfo {
  const info = builtinResources().find((candidate) => candidate.kind === kind);
  assert.ok(info, kind);
  return info;
}

const ENDPOINTS = builtin('Endpoints');
const SLICES = builtin('EndpointSlice');

function endpoints(subsets: unknown[]): Json {
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' }, subsets };
}

function slice(fields: Json): Json {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    ...fields,
  };
}

function messages(info: ResourceInfo, object: Json, old?: Json): string[] {
  return validateObject(info, object, old).map((cause) => `${cause.field}: ${cause.message}`);
}

describe('registration', () => {
  test('endpoints (ep) and endpointslices are namespaced built-ins stored where kube stores them', () => {
    assert.deepEqual(
      [
        ENDPOINTS.plural,
        ENDPOINTS.singular,
        ENDPOINTS.listKind,
        ENDPOINTS.shortNames,
        ENDPOINTS.storagePrefix,
      ],
      ['endpoints', 'endpoints', 'EndpointsList', ['ep'], '/registry/services/endpoints'],
    );
    assert.deepEqual(
      [SLICES.group, SLICES.version, SLICES.plural, SLICES.namespaced, SLICES.storagePrefix],
      ['discovery.k8s.io', 'v1', 'endpointslices', true, '/registry/endpointslices'],
    );
    assert.ok(builtin('Service').subresources.includes('proxy'));
  });
});

describe('validation', () => {
  test('Endpoints: loopback is accepted here; kube rules otherwise', () => {
    const ok = endpoints([
      {
        addresses: [{ ip: '127.0.0.1' }, { ip: '::1' }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
    assert.deepEqual(messages(ENDPOINTS, ok), []);
    assert.deepEqual(
      messages(
        ENDPOINTS,
        endpoints([
          { ports: [{ port: 1, protocol: 'TCP' }] },
          {
            addresses: [{ ip: 'nope', hostname: 'Bad_Host' }, { ip: '0.0.0.0' }, { ip: '169.254.1.1' }],
            notReadyAddresses: [{ ip: '10.0.0.1', nodeName: 'node..x' }],
            ports: [
              { port: 0, protocol: 'TCP' },
              { name: 'b', port: 70000, protocol: 'ICMP', appProtocol: '-x' },
            ],
          },
        ]),
      ),
      [
        'subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`',
        'subsets[1].addresses[0].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        "subsets[1].addresses[0].hostname: Invalid value: \"Bad_Host\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        'subsets[1].addresses[0].ip: Invalid value: "nope": must be a valid IP address',
        'subsets[1].addresses[1].ip: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
        'subsets[1].addresses[2].ip: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
        "subsets[1].notReadyAddresses[0].nodeName: Invalid value: \"node..x\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        'subsets[1].ports[0].name: Required value',
        'subsets[1].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
        'subsets[1].ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'subsets[1].ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
        "subsets[1].ports[1].appProtocol: Invalid value: \"-x\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      ],
    );
  });

  test('EndpointSlice: address type, addresses by type, unique port names; the address type is immutable', () => {
    const good = slice({
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    assert.deepEqual(messages(SLICES, good), []);
    assert.deepEqual(
      messages(
        SLICES,
        slice({
          addressType: 'IPv4',
          endpoints: [{ addresses: [] }, { addresses: ['::1', '0.0.0.0'] }],
          ports: [
            { name: 'a', protocol: 'TCP' },
            { name: 'a', protocol: 'TCP' },
            { name: 'b', protocol: 'XTP' },
          ],
        }),
      ),
      [
        'endpoints[0].addresses: Required value: must contain at least 1 address',
        'endpoints[1].addresses[0]: Invalid value: "::1": must be a valid IPv4 address',
        'endpoints[1].addresses[1]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
        'ports[1].name: Duplicate value: "a"',
        'ports[2].protocol: Unsupported value: "XTP": supported values: "SCTP", "TCP", "UDP"',
      ],
    );
    assert.deepEqual(messages(SLICES, slice({ endpoints: [], ports: [] })), ['addressType: Required value']);
    assert.deepEqual(messages(SLICES, slice({ addressType: 'IPv5', endpoints: [], ports: [] })), [
      'addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"',
    ]);
    assert.deepEqual(
      messages(
        SLICES,
        slice({ addressType: 'FQDN', endpoints: [{ addresses: ['localhost', 'a.example.com'] }] }),
      ),
      [
        'endpoints[0].addresses[0]: Invalid value: "localhost": should be a domain with at least two segments separated by dots',
      ],
    );
    assert.deepEqual(messages(SLICES, { ...good, addressType: 'IPv6' }, good), [
      'addressType: Invalid value: "IPv6": field is immutable',
      'endpoints[0].addresses[0]: Invalid value: "127.0.0.1": must be a valid IPv6 address',
    ]);
  });

  test('IP classification follows Go (IPv4-mapped counts as IPv4; zones are not IPs)', () => {
    for (const loopback of ['127.0.0.1', '127.255.0.9', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])
      assert.ok(isLoopbackAddress(loopback), loopback);
    for (const other of ['10.0.0.1', '::', '::ffff:10.0.0.1', '2001:db8::1', 'localhost', 'fe80::1%eth0', ''])
      assert.ok(!isLoopbackAddress(other), other);
    assert.equal(parseIp('1.2.3'), undefined);
  });
});

describe('kubectl get columns', () => {
  const now = new Date('2025-06-01T12:00:00Z');
  const created = { creationTimestamp: '2025-06-01T11:00:00Z' };

  test('Endpoints: NAME ENDPOINTS AGE, three host:port pairs then "+ N more..."', () => {
    const table = toTable(
      ENDPOINTS,
      [
        {
          metadata: { name: 'web', ...created },
          subsets: [
            {
              addresses: [{ ip: '127.0.0.1' }, { ip: '::1' }],
              ports: [
                { name: 'a', port: 80 },
                { name: 'b', port: 81 },
              ],
            },
          ],
        },
        { metadata: { name: 'none', ...created } },
        { metadata: { name: 'headless', ...created }, subsets: [{ addresses: [{ ip: '127.0.0.2' }] }] },
      ],
      { now, includeObject: 'None' },
    );
    assert.deepEqual(
      table.columnDefinitions?.map((column) => column.name),
      ['Name', 'Endpoints', 'Age'],
    );
    assert.deepEqual(
      table.rows.map((row) => row.cells),
      [
        ['web', '127.0.0.1:80,[::1]:80,127.0.0.1:81 + 1 more...', '60m'],
        ['none', '<none>', '60m'],
        ['headless', '127.0.0.2', '60m'],
      ],
    );
  });

  test('EndpointSlices: NAME ADDRESSTYPE PORTS ENDPOINTS AGE', () => {
    const table = toTable(
      SLICES,
      [
        {
          metadata: { name: 'web-1', ...created },
          addressType: 'IPv4',
          ports: [{ name: 'http', port: 8080 }, { name: 'any' }],
          endpoints: [{ addresses: ['127.0.0.1', '127.0.0.2'] }, { addresses: ['127.0.0.3', '127.0.0.4'] }],
        },
        { metadata: { name: 'empty', ...created }, addressType: 'IPv6', ports: [], endpoints: [] },
      ],
      { now, includeObject: 'None' },
    );
    assert.deepEqual(
      table.columnDefinitions?.map((column) => column.name),
      ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age'],
    );
    assert.deepEqual(
      table.rows.map((row) => row.cells),
      [
        ['web-1', 'IPv4', '8080,any', '127.0.0.1,127.0.0.2,127.0.0.3 + 1 more...', '60m'],
        ['empty', 'IPv6', '<unset>', '<unset>', '60m'],
      ],
    );
  });
});

describe('where the service proxy goes', () => {
  const first = (): number => 0;
  function input(fields: Partial<LocateInput>): LocateInput {
    return {
      id: 'web:http',
      service: { scheme: '', name: 'web', port: 'http' },
      portName: 'http',
      endpoints: undefined,
      slices: [],
      namespace: 'default',
      podIps: () => undefined,
      pick: first,
      ...fields,
    };
  }
  function failure(fields: Partial<LocateInput>): string {
    try {
      locateBackend(input(fields));
    } catch (error) {
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, 503);
      assert.equal(error.reason, 'ServiceUnavailable');
      return error.message;
    }
    assert.fail('no error');
  }

  test('ids: name, name:port, scheme:name:port (kube SplitSchemeNamePort)', () => {
    assert.deepEqual(parseServiceId('web'), { scheme: '', name: 'web', port: '' });
    assert.deepEqual(parseServiceId('web:8080'), { scheme: '', name: 'web', port: '8080' });
    assert.deepEqual(parseServiceId('https:web:metrics'), { scheme: 'https', name: 'web', port: 'metrics' });
    assert.deepEqual(parseServiceId('http:sealed-secrets-controller:'), {
      scheme: 'http',
      name: 'sealed-secrets-controller',
      port: '',
    });
    for (const bad of ['', ':80', 'ftp:web:80', 'a:b:c:d']) assert.equal(parseServiceId(bad), undefined, bad);
  });

  test('a port number names the Service port; an unknown number is a 503', () => {
    const service = { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { port: 81 }] } };
    assert.equal(servicePortName(service, 80, 'web'), 'http');
    assert.equal(servicePortName(service, 81, 'web'), '');
    assert.throws(() => servicePortName(service, 82, 'web'), {
      code: 503,
      message: 'no service port 82 found for service "web"',
    });
  });

  test('a ready loopback address on the named port; https when the id says so', () => {
    const eps = endpoints([
      {
        addresses: [{ ip: '127.0.0.1' }],
        ports: [
          { name: 'metrics', port: 9090 },
          { name: 'http', port: 8080 },
        ],
      },
    ]);
    assert.deepEqual(locateBackend(input({ endpoints: eps })), {
      scheme: 'http',
      host: '127.0.0.1',
      port: 8080,
    });
    assert.deepEqual(
      locateBackend(input({ endpoints: eps, service: { scheme: 'https', name: 'web', port: 'http' } })),
      { scheme: 'https', host: '127.0.0.1', port: 8080 },
    );
  });

  test('random subset and address first, as kube; not-ready addresses are never used', () => {
    const eps = endpoints([
      { addresses: [{ ip: '127.0.0.1' }, { ip: '127.0.0.2' }], ports: [{ name: 'http', port: 1 }] },
      { notReadyAddresses: [{ ip: '127.0.0.9' }], ports: [{ name: 'http', port: 2 }] },
    ]);
    assert.equal(locateBackend(input({ endpoints: eps, pick: (n) => n - 1 })).host, '127.0.0.2');
    assert.equal(locateBackend(input({ endpoints: eps, pick: first })).host, '127.0.0.1');
  });

  test("kube's 503s: no subsets (naming the Service), nothing on that port (naming the id)", () => {
    assert.equal(failure({ endpoints: endpoints([]) }), 'no endpoints available for service "web"');
    assert.equal(
      failure({
        endpoints: endpoints([{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'other', port: 1 }] }]),
      }),
      'no endpoints available for service "web:http"',
    );
  });

  test('only loopback addresses, and the 503 says so', () => {
    const eps = endpoints([{ addresses: [{ ip: '10.1.2.3' }], ports: [{ name: 'http', port: 80 }] }]);
    assert.equal(
      failure({ endpoints: eps }),
      'no endpoints available for service "web:http": the local control plane proxies only to loopback ' +
        "addresses (127.0.0.0/8, ::1), and the service's endpoints are elsewhere (10.1.2.3)",
    );
    const mixed = endpoints([
      { addresses: [{ ip: '10.1.2.3' }, { ip: '127.0.0.5' }], ports: [{ name: 'http', port: 80 }] },
    ]);
    assert.equal(locateBackend(input({ endpoints: mixed })).host, '127.0.0.5');
  });

  test('an address naming a Pod must be that Pod IP, in the namespace (kube isValidAddress)', () => {
    const eps = endpoints([
      {
        addresses: [{ ip: '127.0.0.7', targetRef: { kind: 'Pod', name: 'p', namespace: 'default' } }],
        ports: [{ name: 'http', port: 80 }],
      },
    ]);
    assert.deepEqual(referencedPods(eps, []), ['p']);
    assert.equal(locateBackend(input({ endpoints: eps, podIps: () => ['127.0.0.7'] })).host, '127.0.0.7');
    assert.match(failure({ endpoints: eps, podIps: () => ['127.0.0.8'] }), /^no endpoints available/);
    assert.match(failure({ endpoints: eps }), /^no endpoints available/);
    assert.match(
      failure({ endpoints: eps, namespace: 'other', podIps: () => ['127.0.0.7'] }),
      /^no endpoints/,
    );
    assert.deepEqual(podIpsOf({ status: { podIPs: [{ ip: '127.0.0.7' }] } }), ['127.0.0.7']);
    assert.deepEqual(podIpsOf({ status: { podIP: '127.0.0.7' } }), ['127.0.0.7']);
  });

  test('without an Endpoints object: ready endpoints of the EndpointSlices (ready unset counts as ready)', () => {
    const slices = [
      slice({
        addressType: 'IPv4',
        endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: false } }, { addresses: ['127.0.0.2'] }],
        ports: [{ name: 'http', port: 8443 }],
      }),
    ];
    assert.deepEqual(locateBackend(input({ slices })), { scheme: 'http', host: '127.0.0.2', port: 8443 });
    assert.equal(
      failure({ slices: [slice({ addressType: 'IPv4', endpoints: [], ports: [] })] }),
      'no endpoints available for service "web"',
    );
    assert.equal(
      failure({
        slices: [
          slice({
            addressType: 'FQDN',
            endpoints: [{ addresses: ['a.b'] }],
            ports: [{ name: 'http', port: 1 }],
          }),
        ],
      }),
      'no endpoints available for service "web:http"',
    );
  });
});
