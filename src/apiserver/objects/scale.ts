/**
 * The `scale` subresource (autoscaling/v1 Scale) of Deployments, StatefulSets and custom resources that declare
 * one: what `kubectl scale` reads and writes. The replica count lives in the parent object; the Scale is a
 * view of it. Pure.
 */
import { evaluateJsonPath } from '../jsonpath.ts';
import type { ResourceInfo, ScalePaths } from '../resources.ts';
import { labelSelectorString } from '../selectors.ts';
import { badRequest, invalid } from '../status.ts';
import { isPlainObject, type KubeObject } from './object.ts';

const BUILTIN_PATHS: ScalePaths = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
};

function pathsOf(info: ResourceInfo): ScalePaths {
  return info.crd?.scale ?? BUILTIN_PATHS;
}

function first(object: KubeObject, path: string | undefined): unknown {
  return path ? evaluateJsonPath(object, path)[0] : undefined;
}

export function toScale(info: ResourceInfo, object: KubeObject): KubeObject {
  const paths = pathsOf(info);
  // Built-in workloads default to one replica; a custom resource's missing count reads as zero.
  const replicas = first(object, paths.specReplicasPath) ?? (info.crd ? 0 : 1);
  const selector = info.crd
    ? first(object, paths.labelSelectorPath)
    : labelSelectorString(isPlainObject(object['spec']) ? object['spec']['selector'] : undefined);
  const { name, namespace, uid, resourceVersion, creationTimestamp } = object.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas },
    status: { replicas: first(object, paths.statusReplicasPath) ?? 0, ...(selector ? { selector } : {}) },
  };
}

/** The parent object with the Scale's replica count written into it. */
export function withScale(info: ResourceInfo, object: KubeObject, scale: unknown): KubeObject {
  if (!isPlainObject(scale) || (scale['kind'] !== undefined && scale['kind'] !== 'Scale')) {
    throw badRequest('the body must be an autoscaling/v1 Scale');
  }
  const spec = isPlainObject(scale['spec']) ? scale['spec'] : {};
  const replicas = spec['replicas'];
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', object.metadata.name ?? '', [
      {
        field: 'spec.replicas',
        message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`,
      },
    ]);
  }
  const next = structuredClone(object);
  setAtPath(next, pathsOf(info).specReplicasPath, replicas);
  return next;
}

/** Sets a simple `.a.b.c` path, creating objects on the way. */
function setAtPath(object: Record<string, unknown>, path: string, value: unknown): void {
  const segments = path.replace(/^\./, '').split('.');
  let target = object;
  for (const segment of segments.slice(0, -1)) {
    const child = target[segment];
    target = isPlainObject(child) ? child : (target[segment] = {});
  }
  target[segments.at(-1) ?? ''] = value;
}
