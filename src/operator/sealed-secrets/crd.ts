/**
 * The `bitnami.com/v1alpha1` SealedSecret CustomResourceDefinition Cloak ships (pure data). Its schema is the
 * one the Bitnami chart installs (same types, required fields, nullable and preserve-unknown markers, printer
 * columns and status subresource), so that manifests, `kubectl get` columns and GitOps health checks written
 * for the Bitnami controller work unchanged, and a cluster may switch between the two controllers without
 * touching the CRD's stored objects. The descriptions are our own.
 */
import type { ResourceType } from '../runtime/resource.ts';

export const SEALED_SECRETS: ResourceType = {
  group: 'bitnami.com',
  version: 'v1alpha1',
  plural: 'sealedsecrets',
  kind: 'SealedSecret',
  namespaced: true,
};

export const SEALED_SECRETS_CRD_NAME = 'sealedsecrets.bitnami.com';

const stringMap = { type: 'object', additionalProperties: { type: 'string' } };

const conditionSchema = {
  description: 'One observation of the SealedSecret; the controller maintains a single one, of type Synced.',
  type: 'object',
  required: ['status', 'type'],
  properties: {
    lastTransitionTime: {
      description: 'When the status last changed.',
      type: 'string',
      format: 'date-time',
    },
    lastUpdateTime: {
      description: 'When the condition was last written.',
      type: 'string',
      format: 'date-time',
    },
    message: { description: 'Why the Secret could not be written; empty when it was.', type: 'string' },
    reason: { description: 'A machine-readable cause of the last transition.', type: 'string' },
    status: { description: 'True, False or Unknown.', type: 'string' },
    type: { description: 'The condition type: Synced.', type: 'string' },
  },
};

const schema = {
  description:
    'A Secret sealed for Git: its values are encrypted to the controller, which unseals them into a Secret.',
  type: 'object',
  required: ['spec'],
  properties: {
    apiVersion: { description: 'The schema version of this object (bitnami.com/v1alpha1).', type: 'string' },
    kind: { description: 'SealedSecret.', type: 'string' },
    metadata: { type: 'object' },
    spec: {
      description: 'What to unseal and the shape of the Secret to make from it.',
      type: 'object',
      required: ['encryptedData'],
      properties: {
        data: {
          description: 'The deprecated v1 format: the whole Secret sealed as one value. Use encryptedData.',
          type: 'string',
          format: 'byte',
        },
        encryptedData: {
          ...stringMap,
          'x-kubernetes-preserve-unknown-fields': true,
        },
        template: {
          description: 'The metadata, type and templated items of the Secret made from this SealedSecret.',
          type: 'object',
          properties: {
            data: {
              ...stringMap,
              description: 'Items rendered as Go templates over the unsealed values.',
              nullable: true,
            },
            immutable: {
              description:
                'Make the Secret immutable: its data can then never change, only be deleted with it.',
              type: 'boolean',
            },
            metadata: {
              description: "The Secret's metadata: labels, annotations and the like.",
              type: 'object',
              nullable: true,
              properties: {
                annotations: stringMap,
                finalizers: { type: 'array', items: { type: 'string' } },
                labels: stringMap,
                name: { type: 'string' },
                namespace: { type: 'string' },
              },
              'x-kubernetes-preserve-unknown-fields': true,
            },
            type: { description: "The Secret's type, e.g. kubernetes.io/tls.", type: 'string' },
          },
        },
      },
    },
    status: {
      description: 'What the controller last observed.',
      type: 'object',
      properties: {
        conditions: { description: 'The Synced condition.', type: 'array', items: conditionSchema },
        observedGeneration: {
          description: 'The metadata.generation the status describes.',
          type: 'integer',
          format: 'int64',
        },
      },
    },
  },
};

/** The CustomResourceDefinition as an object (`kubectl apply` it, or let `cloak up` install it). */
export function sealedSecretsCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: SEALED_SECRETS_CRD_NAME },
    spec: {
      group: SEALED_SECRETS.group,
      names: {
        kind: SEALED_SECRETS.kind,
        listKind: 'SealedSecretList',
        plural: SEALED_SECRETS.plural,
        singular: 'sealedsecret',
      },
      scope: 'Namespaced',
      versions: [
        {
          name: SEALED_SECRETS.version,
          served: true,
          storage: true,
          additionalPrinterColumns: [
            { jsonPath: '.status.conditions[0].message', name: 'Status', type: 'string' },
            { jsonPath: '.status.conditions[0].status', name: 'Synced', type: 'string' },
            { jsonPath: '.metadata.creationTimestamp', name: 'Age', type: 'date' },
          ],
          schema: { openAPIV3Schema: structuredClone(schema) },
          subresources: { status: {} },
        },
      ],
    },
  };
}
