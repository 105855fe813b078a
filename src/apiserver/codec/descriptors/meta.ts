/**
 * k8s.io/apimachinery: meta/v1 (ObjectMeta and friends), util/intstr, api/resource and runtime, with the Go
 * types that have their own JSON form marked `special`. Field numbers from their generated.proto at 1.32.
 */
import { message } from './types.ts';

// meta.v1.Time and MicroTime are google.protobuf.Timestamp-shaped; their Unmarshal replaces the value and reads
// a zero-length message as the zero time.
message(
  'meta.Time',
  [
    [1, 'seconds', 'int64'],
    [2, 'nanos', 'int32'],
  ],
  { special: 'Time', replace: true },
);
message(
  'meta.MicroTime',
  [
    [1, 'seconds', 'int64'],
    [2, 'nanos', 'int32'],
  ],
  { special: 'MicroTime', replace: true },
);

// intstr.IntOrString {type 0 = Int, 1 = String}: JSON is the number or the string.
message(
  'intstr.IntOrString',
  [
    [1, 'type', 'int64'],
    [2, 'intVal', 'int32'],
    [3, 'strVal', 'string'],
  ],
  { special: 'IntOrString' },
);

// resource.Quantity is written as its canonical string; Unmarshal parses it (and replaces the value).
message('resource.Quantity', [[1, 'string', 'string']], { special: 'Quantity', replace: true });

// meta.v1.FieldsV1 and runtime.RawExtension hold JSON text in bytes field 1; their JSON form is that text.
message('meta.FieldsV1', [[1, 'Raw', 'bytes']], { special: 'RawJSON' });
message('runtime.RawExtension', [[1, 'raw', 'bytes']], { special: 'RawJSON' });

message('meta.ObjectMeta', [
  [1, 'name', 'string', 'o'],
  [2, 'generateName', 'string', 'o'],
  [3, 'namespace', 'string', 'o'],
  [4, 'selfLink', 'string', 'o'],
  [5, 'uid', 'string', 'o'],
  [6, 'resourceVersion', 'string', 'o'],
  [7, 'generation', 'int64', 'o'],
  [8, 'creationTimestamp', 'meta.Time'],
  [9, 'deletionTimestamp', 'meta.Time', 'p'],
  [10, 'deletionGracePeriodSeconds', 'int64', 'p'],
  [11, 'labels', 'string', 'mo'],
  [12, 'annotations', 'string', 'mo'],
  [13, 'ownerReferences', 'meta.OwnerReference', 'ro'],
  [14, 'finalizers', 'string', 'ro'],
  [17, 'managedFields', 'meta.ManagedFieldsEntry', 'ro'],
]);

message('meta.OwnerReference', [
  [5, 'apiVersion', 'string'],
  [1, 'kind', 'string'],
  [3, 'name', 'string'],
  [4, 'uid', 'string'],
  [6, 'controller', 'bool', 'p'],
  [7, 'blockOwnerDeletion', 'bool', 'p'],
]);

message('meta.ManagedFieldsEntry', [
  [1, 'manager', 'string', 'o'],
  [2, 'operation', 'string', 'o'],
  [3, 'apiVersion', 'string', 'o'],
  [4, 'time', 'meta.Time', 'p'],
  [6, 'fieldsType', 'string', 'o'],
  [7, 'fieldsV1', 'meta.FieldsV1', 'p'],
  [8, 'subresource', 'string', 'o'],
]);

message('meta.LabelSelector', [
  [1, 'matchLabels', 'string', 'mo'],
  [2, 'matchExpressions', 'meta.LabelSelectorRequirement', 'ro'],
]);

message('meta.LabelSelectorRequirement', [
  [1, 'key', 'string'],
  [2, 'operator', 'string'],
  [3, 'values', 'string', 'ro'],
]);

message('meta.Condition', [
  [1, 'type', 'string'],
  [2, 'status', 'string'],
  [3, 'observedGeneration', 'int64', 'o'],
  [4, 'lastTransitionTime', 'meta.Time'],
  [5, 'reason', 'string'],
  [6, 'message', 'string'],
]);

// What kube-apiserver answers with for `as=PartialObjectMetadata[List]` and for errors in a protobuf watch.
message('meta.ListMeta', [
  [1, 'selfLink', 'string', 'o'],
  [2, 'resourceVersion', 'string', 'o'],
  [3, 'continue', 'string', 'o'],
  [4, 'remainingItemCount', 'int64', 'p'],
]);

message('meta.PartialObjectMetadata', [[1, 'metadata', 'meta.ObjectMeta']]);

message('meta.PartialObjectMetadataList', [
  [1, 'metadata', 'meta.ListMeta'],
  [2, 'items', 'meta.PartialObjectMetadata', 'r'],
]);

// meta/v1beta1 numbers its list's fields the other way round (ListMeta was added after items, in 1.15).
message('meta.v1beta1.PartialObjectMetadataList', [
  [2, 'metadata', 'meta.ListMeta'],
  [1, 'items', 'meta.PartialObjectMetadata', 'r'],
]);

message('meta.Status', [
  [1, 'metadata', 'meta.ListMeta'],
  [2, 'status', 'string', 'o'],
  [3, 'message', 'string', 'o'],
  [4, 'reason', 'string', 'o'],
  [5, 'details', 'meta.StatusDetails', 'p'],
  [6, 'code', 'int32', 'o'],
]);

message('meta.StatusDetails', [
  [1, 'name', 'string', 'o'],
  [2, 'group', 'string', 'o'],
  [3, 'kind', 'string', 'o'],
  [6, 'uid', 'string', 'o'],
  [4, 'causes', 'meta.StatusCause', 'ro'],
  [5, 'retryAfterSeconds', 'int32', 'o'],
]);

message('meta.StatusCause', [
  [1, 'reason', 'string', 'o'],
  [2, 'message', 'string', 'o'],
  [3, 'field', 'string', 'o'],
]);
