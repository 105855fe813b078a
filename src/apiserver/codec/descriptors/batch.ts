/** k8s.io/api/batch/v1 (package k8s.io.api.batch.v1 in generated.proto at 1.32): Job, CronJob. */
import type { FieldSpec } from './types.ts';
import { message } from './types.ts';
import './core.ts';

const OBJECT_META: FieldSpec = [1, 'metadata', 'meta.ObjectMeta'];
const TIME = 'meta.Time';

message('batch.Job', [OBJECT_META, [2, 'spec', 'batch.JobSpec'], [3, 'status', 'batch.JobStatus']]);
message('batch.JobSpec', [
  [1, 'parallelism', 'int32', 'p'],
  [2, 'completions', 'int32', 'p'],
  [3, 'activeDeadlineSeconds', 'int64', 'p'],
  [11, 'podFailurePolicy', 'batch.PodFailurePolicy', 'p'],
  [16, 'successPolicy', 'batch.SuccessPolicy', 'p'],
  [7, 'backoffLimit', 'int32', 'p'],
  [12, 'backoffLimitPerIndex', 'int32', 'p'],
  [13, 'maxFailedIndexes', 'int32', 'p'],
  [4, 'selector', 'meta.LabelSelector', 'p'],
  [5, 'manualSelector', 'bool', 'p'],
  [6, 'template', 'core.PodTemplateSpec'],
  [8, 'ttlSecondsAfterFinished', 'int32', 'p'],
  [9, 'completionMode', 'string', 'p'],
  [10, 'suspend', 'bool', 'p'],
  [14, 'podReplacementPolicy', 'string', 'p'],
  [15, 'managedBy', 'string', 'p'],
]);
message('batch.PodFailurePolicy', [[1, 'rules', 'batch.PodFailurePolicyRule', 'r']]);
message('batch.PodFailurePolicyRule', [
  [1, 'action', 'string'],
  [2, 'onExitCodes', 'batch.PodFailurePolicyOnExitCodesRequirement', 'p'],
  [3, 'onPodConditions', 'batch.PodFailurePolicyOnPodConditionsPattern', 'ro'],
]);
message('batch.PodFailurePolicyOnExitCodesRequirement', [
  [1, 'containerName', 'string', 'p'],
  [2, 'operator', 'string'],
  [3, 'values', 'int32', 'r'],
]);
message('batch.PodFailurePolicyOnPodConditionsPattern', [
  [1, 'type', 'string'],
  [2, 'status', 'string'],
]);
message('batch.SuccessPolicy', [[1, 'rules', 'batch.SuccessPolicyRule', 'r']]);
message('batch.SuccessPolicyRule', [
  [1, 'succeededIndexes', 'string', 'p'],
  [2, 'succeededCount', 'int32', 'p'],
]);
message('batch.JobStatus', [
  [1, 'conditions', 'batch.JobCondition', 'ro'],
  [2, 'startTime', TIME, 'p'],
  [3, 'completionTime', TIME, 'p'],
  [4, 'active', 'int32', 'o'],
  [5, 'succeeded', 'int32', 'o'],
  [6, 'failed', 'int32', 'o'],
  [11, 'terminating', 'int32', 'p'],
  [7, 'completedIndexes', 'string', 'o'],
  [10, 'failedIndexes', 'string', 'p'],
  [8, 'uncountedTerminatedPods', 'batch.UncountedTerminatedPods', 'p'],
  [9, 'ready', 'int32', 'p'],
]);
message('batch.JobCondition', [
  [1, 'type', 'string'],
  [2, 'status', 'string'],
  [3, 'lastProbeTime', TIME],
  [4, 'lastTransitionTime', TIME],
  [5, 'reason', 'string', 'o'],
  [6, 'message', 'string', 'o'],
]);
message('batch.UncountedTerminatedPods', [
  [1, 'succeeded', 'string', 'ro'],
  [2, 'failed', 'string', 'ro'],
]);

message('batch.CronJob', [
  OBJECT_META,
  [2, 'spec', 'batch.CronJobSpec'],
  [3, 'status', 'batch.CronJobStatus'],
]);
message('batch.CronJobSpec', [
  [1, 'schedule', 'string'],
  [8, 'timeZone', 'string', 'p'],
  [2, 'startingDeadlineSeconds', 'int64', 'p'],
  [3, 'concurrencyPolicy', 'string', 'o'],
  [4, 'suspend', 'bool', 'p'],
  [5, 'jobTemplate', 'batch.JobTemplateSpec'],
  [6, 'successfulJobsHistoryLimit', 'int32', 'p'],
  [7, 'failedJobsHistoryLimit', 'int32', 'p'],
]);
message('batch.JobTemplateSpec', [OBJECT_META, [2, 'spec', 'batch.JobSpec']]);
message('batch.CronJobStatus', [
  [1, 'active', 'core.ObjectReference', 'ro'],
  [4, 'lastScheduleTime', TIME, 'p'],
  [5, 'lastSuccessfulTime', TIME, 'p'],
]);
