/** k8s.io/api/apps/v1 (package k8s.io.api.apps.v1 in generated.proto at 1.32): Deployment, StatefulSet, DaemonSet. */
import type { FieldSpec } from './types.ts';
import { message } from './types.ts';
import './core.ts';

const OBJECT_META: FieldSpec = [1, 'metadata', 'meta.ObjectMeta'];
const TIME = 'meta.Time';
const INT_OR_STRING = 'intstr.IntOrString';

message('apps.Deployment', [
  OBJECT_META,
  [2, 'spec', 'apps.DeploymentSpec'],
  [3, 'status', 'apps.DeploymentStatus'],
]);
message('apps.DeploymentSpec', [
  [1, 'replicas', 'int32', 'p'],
  [2, 'selector', 'meta.LabelSelector', 'n'],
  [3, 'template', 'core.PodTemplateSpec'],
  [4, 'strategy', 'apps.DeploymentStrategy'],
  [5, 'minReadySeconds', 'int32', 'o'],
  [6, 'revisionHistoryLimit', 'int32', 'p'],
  [7, 'paused', 'bool', 'o'],
  [9, 'progressDeadlineSeconds', 'int32', 'p'],
]);
message('apps.DeploymentStrategy', [
  [1, 'type', 'string', 'o'],
  [2, 'rollingUpdate', 'apps.RollingUpdateDeployment', 'p'],
]);
message('apps.RollingUpdateDeployment', [
  [1, 'maxUnavailable', INT_OR_STRING, 'p'],
  [2, 'maxSurge', INT_OR_STRING, 'p'],
]);
message('apps.DeploymentStatus', [
  [1, 'observedGeneration', 'int64', 'o'],
  [2, 'replicas', 'int32', 'o'],
  [3, 'updatedReplicas', 'int32', 'o'],
  [7, 'readyReplicas', 'int32', 'o'],
  [4, 'availableReplicas', 'int32', 'o'],
  [5, 'unavailableReplicas', 'int32', 'o'],
  [6, 'conditions', 'apps.DeploymentCondition', 'ro'],
  [8, 'collisionCount', 'int32', 'p'],
]);
message('apps.DeploymentCondition', [
  [1, 'type', 'string'],
  [2, 'status', 'string'],
  [6, 'lastUpdateTime', TIME],
  [7, 'lastTransitionTime', TIME],
  [4, 'reason', 'string', 'o'],
  [5, 'message', 'string', 'o'],
]);

message('apps.StatefulSet', [
  OBJECT_META,
  [2, 'spec', 'apps.StatefulSetSpec'],
  [3, 'status', 'apps.StatefulSetStatus'],
]);
message('apps.StatefulSetSpec', [
  [1, 'replicas', 'int32', 'p'],
  [2, 'selector', 'meta.LabelSelector', 'n'],
  [3, 'template', 'core.PodTemplateSpec'],
  [4, 'volumeClaimTemplates', 'core.PersistentVolumeClaim', 'ro'],
  [5, 'serviceName', 'string'],
  [6, 'podManagementPolicy', 'string', 'o'],
  [7, 'updateStrategy', 'apps.StatefulSetUpdateStrategy'],
  [8, 'revisionHistoryLimit', 'int32', 'p'],
  [9, 'minReadySeconds', 'int32', 'o'],
  [10, 'persistentVolumeClaimRetentionPolicy', 'apps.StatefulSetPersistentVolumeClaimRetentionPolicy', 'p'],
  [11, 'ordinals', 'apps.StatefulSetOrdinals', 'p'],
]);
message('apps.StatefulSetUpdateStrategy', [
  [1, 'type', 'string', 'o'],
  [2, 'rollingUpdate', 'apps.RollingUpdateStatefulSetStrategy', 'p'],
]);
message('apps.RollingUpdateStatefulSetStrategy', [
  [1, 'partition', 'int32', 'p'],
  [2, 'maxUnavailable', INT_OR_STRING, 'p'],
]);
message('apps.StatefulSetPersistentVolumeClaimRetentionPolicy', [
  [1, 'whenDeleted', 'string', 'o'],
  [2, 'whenScaled', 'string', 'o'],
]);
message('apps.StatefulSetOrdinals', [[1, 'start', 'int32']]);
message('apps.StatefulSetStatus', [
  [1, 'observedGeneration', 'int64', 'o'],
  [2, 'replicas', 'int32'],
  [3, 'readyReplicas', 'int32', 'o'],
  [4, 'currentReplicas', 'int32', 'o'],
  [5, 'updatedReplicas', 'int32', 'o'],
  [6, 'currentRevision', 'string', 'o'],
  [7, 'updateRevision', 'string', 'o'],
  [9, 'collisionCount', 'int32', 'p'],
  [10, 'conditions', 'apps.StatefulSetCondition', 'ro'],
  [11, 'availableReplicas', 'int32'],
]);
message('apps.StatefulSetCondition', [
  [1, 'type', 'string'],
  [2, 'status', 'string'],
  [3, 'lastTransitionTime', TIME],
  [4, 'reason', 'string', 'o'],
  [5, 'message', 'string', 'o'],
]);

message('apps.DaemonSet', [
  OBJECT_META,
  [2, 'spec', 'apps.DaemonSetSpec'],
  [3, 'status', 'apps.DaemonSetStatus'],
]);
message('apps.DaemonSetSpec', [
  [1, 'selector', 'meta.LabelSelector', 'n'],
  [2, 'template', 'core.PodTemplateSpec'],
  [3, 'updateStrategy', 'apps.DaemonSetUpdateStrategy'],
  [4, 'minReadySeconds', 'int32', 'o'],
  [6, 'revisionHistoryLimit', 'int32', 'p'],
]);
message('apps.DaemonSetUpdateStrategy', [
  [1, 'type', 'string', 'o'],
  [2, 'rollingUpdate', 'apps.RollingUpdateDaemonSet', 'p'],
]);
message('apps.RollingUpdateDaemonSet', [
  [1, 'maxUnavailable', INT_OR_STRING, 'p'],
  [2, 'maxSurge', INT_OR_STRING, 'p'],
]);
message('apps.DaemonSetStatus', [
  [1, 'currentNumberScheduled', 'int32'],
  [2, 'numberMisscheduled', 'int32'],
  [3, 'desiredNumberScheduled', 'int32'],
  [4, 'numberReady', 'int32'],
  [5, 'observedGeneration', 'int64', 'o'],
  [6, 'updatedNumberScheduled', 'int32', 'o'],
  [7, 'numberAvailable', 'int32', 'o'],
  [8, 'numberUnavailable', 'int32', 'o'],
  [9, 'collisionCount', 'int32', 'p'],
  [10, 'conditions', 'apps.DaemonSetCondition', 'ro'],
]);
message('apps.DaemonSetCondition', [
  [1, 'type', 'string'],
  [2, 'status', 'string'],
  [3, 'lastTransitionTime', TIME],
  [4, 'reason', 'string', 'o'],
  [5, 'message', 'string', 'o'],
]);
