/**
 * Field selectors: which fields each kind lets clients select on (kube-apiserver's field label conversion
 * functions), and their values for one object.
 */
import type { ResourceInfo } from '../resources.ts';
import { isPlainObject, type KubeObject } from './object.ts';

const KIND_FIELDS: Record<string, readonly string[]> = {
  '/Secret': ['type'],
  '/Namespace': ['status.phase'],
  '/Pod': [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  '/Event': [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  'batch/Job': ['status.successful'],
};

export function supportedFieldLabels(info: ResourceInfo): readonly string[] {
  return ['metadata.name', 'metadata.namespace', ...(KIND_FIELDS[`${info.group}/${info.kind}`] ?? [])];
}

export function selectableFields(object: KubeObject): Record<string, string> {
  const fields: Record<string, string> = {
    'metadata.name': object.metadata.name ?? '',
    'metadata.namespace': object.metadata.namespace ?? '',
  };
  const group = object.apiVersion?.includes('/') ? object.apiVersion.split('/')[0] : '';
  for (const path of KIND_FIELDS[`${group}/${object.kind ?? ''}`] ?? [])
    fields[path] = fieldValue(object, path);
  if (object.kind === 'Event' && fields['source'] === '')
    fields['source'] = fieldValue(object, 'source.component');
  return fields;
}

function fieldValue(object: KubeObject, path: string): string {
  let value: unknown = object;
  for (const segment of path.split('.')) value = isPlainObject(value) ? value[segment] : undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}
