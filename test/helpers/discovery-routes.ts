/**
 * Discovery and OpenAPI routes for the fake API server, straight from src/apiserver/discovery.ts and openapi.ts,
 * and a kubectl runner with its own home, kubeconfig and caches, so tests can show that the real kubectl reads
 * the documents.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  apiGroup,
  apiResourceList,
  discoveryContentType,
  discoveryRoot,
  negotiateDiscovery,
} from '../../src/apiserver/discovery.ts';
import type { OpenApiOptions } from '../../src/apiserver/openapi.ts';
import { groupVersionOfOpenApiPath, openApiGroupVersion, openApiIndex } from '../../src/apiserver/openapi.ts';
import type { ResourceInfo, ResourceRegistry } from '../../src/apiserver/resources.ts';
import { STANDARD_VERBS, customResourcePrefix } from '../../src/apiserver/resources.ts';
import type { FakeApiServer, Route } from './fake-apiserver.ts';
import { jsonReply, kubeconfigYaml } from './fake-apiserver.ts';
import { tempDir } from './keys.ts';
import type { ToolResult } from './sops-tools.ts';
import { runTool } from './sops-tools.ts';

/** One served version of the test CRD widgets.example.com, as the CRD controller would register it. */
export function widgetVersion(version: string, overrides: Partial<ResourceInfo> = {}): ResourceInfo {
  return {
    group: 'example.com',
    version,
    kind: 'Widget',
    listKind: 'WidgetList',
    plural: 'widgets',
    singular: 'widget',
    namespaced: true,
    shortNames: ['wd'],
    categories: ['all'],
    verbs: STANDARD_VERBS,
    subresources: ['status'],
    storagePrefix: customResourcePrefix('example.com', 'widgets'),
    codec: 'json',
    generation: 'non-metadata',
    strategicMerge: false,
    storageVersion: 'v1',
    crd: {
      name: 'widgets.example.com',
      printerColumns: [],
      schema: {
        type: 'object',
        description: 'A widget of some size.',
        properties: {
          spec: {
            type: 'object',
            properties: { size: { type: 'integer', description: 'How big the widget is.' } },
          },
          status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    },
    ...overrides,
  };
}

export interface DiscoveryRouteOptions {
  /** Answer /api and /apis in the legacy format whatever the client accepts. */
  legacyOnly?: boolean;
  openApi?: OpenApiOptions;
}

export function discoveryRoutes(registry: ResourceRegistry, options: DiscoveryRouteOptions = {}): Route {
  return (request) => {
    if (request.method !== 'GET') return undefined;
    const path = new URL(request.path, 'http://server').pathname;
    if (path === '/version') return jsonReply({ major: '1', minor: '32', gitVersion: 'v1.32.0' });
    if (path === '/api' || path === '/apis') {
      const format = options.legacyOnly ? 'legacy' : negotiateDiscovery(request.headers.accept);
      const body = discoveryRoot(registry, path === '/api' ? 'core' : 'apis', format, '127.0.0.1:6443');
      return { status: 200, contentType: discoveryContentType(format), body: JSON.stringify(body) };
    }
    if (path === '/openapi/v3') return jsonReply(openApiIndex(registry, options.openApi));
    if (path.startsWith('/openapi/v3/')) {
      const gv = groupVersionOfOpenApiPath(path.slice('/openapi/v3/'.length));
      const document = gv && openApiGroupVersion(registry, gv.group, gv.version, options.openApi);
      return document ? jsonReply(document) : undefined;
    }
    const core = /^\/api\/([^/]+)$/.exec(path);
    const named = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    const list = core
      ? apiResourceList(registry, '', core[1] ?? '')
      : named && apiResourceList(registry, named[1] ?? '', named[2] ?? '');
    if (list) return jsonReply(list);
    const group = /^\/apis\/([^/]+)$/.exec(path);
    const groupDocument = group && apiGroup(registry, group[1] ?? '');
    return groupDocument ? jsonReply(groupDocument) : undefined;
  };
}

/** Tries each route in turn. */
export function firstOf(...routes: Route[]): Route {
  return (request) => {
    for (const route of routes) {
      const reply = route(request);
      if (reply) return reply;
    }
    return undefined;
  };
}

export interface Kubectl {
  run(args: readonly string[], input?: string): Promise<ToolResult>;
}

/** A kubectl bound to the fake server, or undefined (with a test diagnostic) when kubectl is not installed. */
export async function kubectlFor(t: TestContext, server: FakeApiServer): Promise<Kubectl | undefined> {
  const home = await tempDir(t);
  const kubeconfig = join(home, 'kubeconfig');
  await writeFile(
    kubeconfig,
    kubeconfigYaml({
      server: server.url,
      token: server.token,
      caPem: server.caPem,
      contexts: [{ name: 'test', namespace: 'default' }],
    }),
  );
  const env = { PATH: process.env['PATH'], HOME: home, KUBECONFIG: kubeconfig };
  const run = (args: readonly string[], input?: string) =>
    runTool('kubectl', ['--cache-dir', join(home, 'cache'), ...args], { env, ...(input ? { input } : {}) });
  const probe = await run(['version', '--client']).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!probe) {
    t.diagnostic('kubectl is not installed: the documents were checked without it');
    return undefined;
  }
  return { run };
}
