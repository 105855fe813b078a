/**
 * k8s.io/api/core/v1 (package k8s.io.api.core.v1 in generated.proto at 1.32): Secret, ConfigMap, Namespace,
 * ServiceAccount, Service, Pod, Event, and the pod template tree the workload kinds embed.
 *
 * The pod tree covers what kubectl's generators set and the fields in common use; the volume sources kept are
 * hostPath, emptyDir, secret, nfs, persistentVolumeClaim, downwardAPI, configMap, projected, csi, ephemeral and
 * image. Fields left out (the in-tree cloud volume plugins, for one) are skipped when decoding, as any protobuf
 * decoder skips fields it does not know.
 */
import type { FieldSpec } from './types.ts';
import { message } from './types.ts';
import './meta.ts';

const OBJECT_META: FieldSpec = [1, 'metadata', 'meta.ObjectMeta'];
const QUANTITY = 'resource.Quantity';
const TIME = 'meta.Time';

// ---------------------------------------------------------------------------------------------------------
// Secret, ConfigMap, Namespace, ServiceAccount
// ---------------------------------------------------------------------------------------------------------

message('core.Secret', [
  OBJECT_META,
  [5, 'immutable', 'bool', 'p'],
  [2, 'data', 'bytes', 'mo'],
  [4, 'stringData', 'string', 'mo'],
  [3, 'type', 'string', 'o'],
]);

message('core.ConfigMap', [
  OBJECT_META,
  [4, 'immutable', 'bool', 'p'],
  [2, 'data', 'string', 'mo'],
  [3, 'binaryData', 'bytes', 'mo'],
]);

message('core.Namespace', [
  OBJECT_META,
  [2, 'spec', 'core.NamespaceSpec'],
  [3, 'status', 'core.NamespaceStatus'],
]);
message('core.NamespaceSpec', [[1, 'finalizers', 'string', 'ro']]);
message('core.NamespaceStatus', [
  [1, 'phase', 'string', 'o'],
  [2, 'conditions', 'core.NamespaceCondition', 'ro'],
]);
message('core.NamespaceCondition', [
  [1, 'type', 'string'],
  [2, 'status', 'string'],
  [4, 'lastTransitionTime', TIME],
  [5, 'reason', 'string', 'o'],
  [6, 'message', 'string', 'o'],
]);

message('core.ServiceAccount', [
  OBJECT_META,
  [2, 'secrets', 'core.ObjectReference', 'ro'],
  [3, 'imagePullSecrets', 'core.LocalObjectReference', 'ro'],
  [4, 'automountServiceAccountToken', 'bool', 'p'],
]);

message('core.ObjectReference', [
  [1, 'kind', 'string', 'o'],
  [2, 'namespace', 'string', 'o'],
  [3, 'name', 'string', 'o'],
  [4, 'uid', 'string', 'o'],
  [5, 'apiVersion', 'string', 'o'],
  [6, 'resourceVersion', 'string', 'o'],
  [7, 'fieldPath', 'string', 'o'],
]);
message('core.LocalObjectReference', [[1, 'name', 'string', 'o']]);
message('core.TypedLocalObjectReference', [
  [1, 'apiGroup', 'string', 'n'],
  [2, 'kind', 'string'],
  [3, 'name', 'string'],
]);
message('core.TypedObjectReference', [
  [1, 'apiGroup', 'string', 'n'],
  [2, 'kind', 'string'],
  [3, 'name', 'string'],
  [4, 'namespace', 'string', 'p'],
]);

// ---------------------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------------------

message('core.Service', [OBJECT_META, [2, 'spec', 'core.ServiceSpec'], [3, 'status', 'core.ServiceStatus']]);
message('core.ServiceSpec', [
  [1, 'ports', 'core.ServicePort', 'ro'],
  [2, 'selector', 'string', 'mo'],
  [3, 'clusterIP', 'string', 'o'],
  [18, 'clusterIPs', 'string', 'ro'],
  [4, 'type', 'string', 'o'],
  [5, 'externalIPs', 'string', 'ro'],
  [7, 'sessionAffinity', 'string', 'o'],
  [8, 'loadBalancerIP', 'string', 'o'],
  [9, 'loadBalancerSourceRanges', 'string', 'ro'],
  [10, 'externalName', 'string', 'o'],
  [11, 'externalTrafficPolicy', 'string', 'o'],
  [12, 'healthCheckNodePort', 'int32', 'o'],
  [13, 'publishNotReadyAddresses', 'bool', 'o'],
  [14, 'sessionAffinityConfig', 'core.SessionAffinityConfig', 'p'],
  [19, 'ipFamilies', 'string', 'ro'],
  [17, 'ipFamilyPolicy', 'string', 'p'],
  [20, 'allocateLoadBalancerNodePorts', 'bool', 'p'],
  [21, 'loadBalancerClass', 'string', 'p'],
  [22, 'internalTrafficPolicy', 'string', 'p'],
  [23, 'trafficDistribution', 'string', 'p'],
]);
message('core.ServicePort', [
  [1, 'name', 'string', 'o'],
  [2, 'protocol', 'string', 'o'],
  [6, 'appProtocol', 'string', 'p'],
  [3, 'port', 'int32'],
  [4, 'targetPort', 'intstr.IntOrString'],
  [5, 'nodePort', 'int32', 'o'],
]);
message('core.SessionAffinityConfig', [[1, 'clientIP', 'core.ClientIPConfig', 'p']]);
message('core.ClientIPConfig', [[1, 'timeoutSeconds', 'int32', 'p']]);
message('core.ServiceStatus', [
  [1, 'loadBalancer', 'core.LoadBalancerStatus'],
  [2, 'conditions', 'meta.Condition', 'ro'],
]);
message('core.LoadBalancerStatus', [[1, 'ingress', 'core.LoadBalancerIngress', 'ro']]);
message('core.LoadBalancerIngress', [
  [1, 'ip', 'string', 'o'],
  [2, 'hostname', 'string', 'o'],
  [3, 'ipMode', 'string', 'p'],
  [4, 'ports', 'core.PortStatus', 'ro'],
]);
message('core.PortStatus', [
  [1, 'port', 'int32'],
  [2, 'protocol', 'string'],
  [3, 'error', 'string', 'p'],
]);

// ---------------------------------------------------------------------------------------------------------
// Pod, PodTemplateSpec, PodSpec
// ---------------------------------------------------------------------------------------------------------

message('core.Pod', [OBJECT_META, [2, 'spec', 'core.PodSpec'], [3, 'status', 'core.PodStatus']]);
message('core.PodTemplateSpec', [OBJECT_META, [2, 'spec', 'core.PodSpec']]);

message('core.PodSpec', [
  [1, 'volumes', 'core.Volume', 'ro'],
  [20, 'initContainers', 'core.Container', 'ro'],
  [2, 'containers', 'core.Container', 'r'],
  [34, 'ephemeralContainers', 'core.EphemeralContainer', 'ro'],
  [3, 'restartPolicy', 'string', 'o'],
  [4, 'terminationGracePeriodSeconds', 'int64', 'p'],
  [5, 'activeDeadlineSeconds', 'int64', 'p'],
  [6, 'dnsPolicy', 'string', 'o'],
  [7, 'nodeSelector', 'string', 'mo'],
  [8, 'serviceAccountName', 'string', 'o'],
  [9, 'serviceAccount', 'string', 'o'],
  [21, 'automountServiceAccountToken', 'bool', 'p'],
  [10, 'nodeName', 'string', 'o'],
  [11, 'hostNetwork', 'bool', 'o'],
  [12, 'hostPID', 'bool', 'o'],
  [13, 'hostIPC', 'bool', 'o'],
  [27, 'shareProcessNamespace', 'bool', 'p'],
  [14, 'securityContext', 'core.PodSecurityContext', 'p'],
  [15, 'imagePullSecrets', 'core.LocalObjectReference', 'ro'],
  [16, 'hostname', 'string', 'o'],
  [17, 'subdomain', 'string', 'o'],
  [18, 'affinity', 'core.Affinity', 'p'],
  [19, 'schedulerName', 'string', 'o'],
  [22, 'tolerations', 'core.Toleration', 'ro'],
  [23, 'hostAliases', 'core.HostAlias', 'ro'],
  [24, 'priorityClassName', 'string', 'o'],
  [25, 'priority', 'int32', 'p'],
  [26, 'dnsConfig', 'core.PodDNSConfig', 'p'],
  [28, 'readinessGates', 'core.PodReadinessGate', 'ro'],
  [29, 'runtimeClassName', 'string', 'p'],
  [30, 'enableServiceLinks', 'bool', 'p'],
  [31, 'preemptionPolicy', 'string', 'p'],
  [32, 'overhead', QUANTITY, 'mo'],
  [33, 'topologySpreadConstraints', 'core.TopologySpreadConstraint', 'ro'],
  [35, 'setHostnameAsFQDN', 'bool', 'p'],
  [36, 'os', 'core.PodOS', 'p'],
  [37, 'hostUsers', 'bool', 'p'],
  [38, 'schedulingGates', 'core.PodSchedulingGate', 'ro'],
  [39, 'resourceClaims', 'core.PodResourceClaim', 'ro'],
  [40, 'resources', 'core.ResourceRequirements', 'p'],
]);

// Container and EphemeralContainerCommon share their fields and numbers.
const CONTAINER_FIELDS: readonly FieldSpec[] = [
  [1, 'name', 'string'],
  [2, 'image', 'string', 'o'],
  [3, 'command', 'string', 'ro'],
  [4, 'args', 'string', 'ro'],
  [5, 'workingDir', 'string', 'o'],
  [6, 'ports', 'core.ContainerPort', 'ro'],
  [19, 'envFrom', 'core.EnvFromSource', 'ro'],
  [7, 'env', 'core.EnvVar', 'ro'],
  [8, 'resources', 'core.ResourceRequirements'],
  [23, 'resizePolicy', 'core.ContainerResizePolicy', 'ro'],
  [24, 'restartPolicy', 'string', 'p'],
  [9, 'volumeMounts', 'core.VolumeMount', 'ro'],
  [21, 'volumeDevices', 'core.VolumeDevice', 'ro'],
  [10, 'livenessProbe', 'core.Probe', 'p'],
  [11, 'readinessProbe', 'core.Probe', 'p'],
  [22, 'startupProbe', 'core.Probe', 'p'],
  [12, 'lifecycle', 'core.Lifecycle', 'p'],
  [13, 'terminationMessagePath', 'string', 'o'],
  [20, 'terminationMessagePolicy', 'string', 'o'],
  [14, 'imagePullPolicy', 'string', 'o'],
  [15, 'securityContext', 'core.SecurityContext', 'p'],
  [16, 'stdin', 'bool', 'o'],
  [17, 'stdinOnce', 'bool', 'o'],
  [18, 'tty', 'bool', 'o'],
];
message('core.Container', CONTAINER_FIELDS);
message('core.EphemeralContainerCommon', CONTAINER_FIELDS);
message('core.EphemeralContainer', [
  [1, 'ephemeralContainerCommon', 'core.EphemeralContainerCommon', 'i'],
  [2, 'targetContainerName', 'string', 'o'],
]);

message('core.ContainerPort', [
  [1, 'name', 'string', 'o'],
  [2, 'hostPort', 'int32', 'o'],
  [3, 'containerPort', 'int32'],
  [4, 'protocol', 'string', 'o'],
  [5, 'hostIP', 'string', 'o'],
]);
message('core.ContainerResizePolicy', [
  [1, 'resourceName', 'string'],
  [2, 'restartPolicy', 'string'],
]);

message('core.EnvFromSource', [
  [1, 'prefix', 'string', 'o'],
  [2, 'configMapRef', 'core.ConfigMapEnvSource', 'p'],
  [3, 'secretRef', 'core.SecretEnvSource', 'p'],
]);
message('core.ConfigMapEnvSource', [
  [1, 'localObjectReference', 'core.LocalObjectReference', 'i'],
  [2, 'optional', 'bool', 'p'],
]);
message('core.SecretEnvSource', [
  [1, 'localObjectReference', 'core.LocalObjectReference', 'i'],
  [2, 'optional', 'bool', 'p'],
]);
message('core.EnvVar', [
  [1, 'name', 'string'],
  [2, 'value', 'string', 'o'],
  [3, 'valueFrom', 'core.EnvVarSource', 'p'],
]);
message('core.EnvVarSource', [
  [1, 'fieldRef', 'core.ObjectFieldSelector', 'p'],
  [2, 'resourceFieldRef', 'core.ResourceFieldSelector', 'p'],
  [3, 'configMapKeyRef', 'core.ConfigMapKeySelector', 'p'],
  [4, 'secretKeyRef', 'core.SecretKeySelector', 'p'],
]);
message('core.ObjectFieldSelector', [
  [1, 'apiVersion', 'string', 'o'],
  [2, 'fieldPath', 'string'],
]);
message('core.ResourceFieldSelector', [
  [1, 'containerName', 'string', 'o'],
  [2, 'resource', 'string'],
  [3, 'divisor', QUANTITY],
]);
message('core.ConfigMapKeySelector', [
  [1, 'localObjectReference', 'core.LocalObjectReference', 'i'],
  [2, 'key', 'string'],
  [3, 'optional', 'bool', 'p'],
]);
message('core.SecretKeySelector', [
  [1, 'localObjectReference', 'core.LocalObjectReference', 'i'],
  [2, 'key', 'string'],
  [3, 'optional', 'bool', 'p'],
]);

message('core.ResourceRequirements', [
  [1, 'limits', QUANTITY, 'mo'],
  [2, 'requests', QUANTITY, 'mo'],
  [3, 'claims', 'core.ResourceClaim', 'ro'],
]);
message('core.ResourceClaim', [
  [1, 'name', 'string'],
  [2, 'request', 'string', 'o'],
]);

message('core.VolumeMount', [
  [1, 'name', 'string'],
  [2, 'readOnly', 'bool', 'o'],
  [7, 'recursiveReadOnly', 'string', 'p'],
  [3, 'mountPath', 'string'],
  [4, 'subPath', 'string', 'o'],
  [5, 'mountPropagation', 'string', 'p'],
  [6, 'subPathExpr', 'string', 'o'],
]);
message('core.VolumeDevice', [
  [1, 'name', 'string'],
  [2, 'devicePath', 'string'],
]);

message('core.Probe', [
  [1, 'handler', 'core.ProbeHandler', 'i'],
  [2, 'initialDelaySeconds', 'int32', 'o'],
  [3, 'timeoutSeconds', 'int32', 'o'],
  [4, 'periodSeconds', 'int32', 'o'],
  [5, 'successThreshold', 'int32', 'o'],
  [6, 'failureThreshold', 'int32', 'o'],
  [7, 'terminationGracePeriodSeconds', 'int64', 'p'],
]);
message('core.ProbeHandler', [
  [1, 'exec', 'core.ExecAction', 'p'],
  [2, 'httpGet', 'core.HTTPGetAction', 'p'],
  [3, 'tcpSocket', 'core.TCPSocketAction', 'p'],
  [4, 'grpc', 'core.GRPCAction', 'p'],
]);
message('core.ExecAction', [[1, 'command', 'string', 'ro']]);
message('core.HTTPGetAction', [
  [1, 'path', 'string', 'o'],
  [2, 'port', 'intstr.IntOrString'],
  [3, 'host', 'string', 'o'],
  [4, 'scheme', 'string', 'o'],
  [5, 'httpHeaders', 'core.HTTPHeader', 'ro'],
]);
message('core.HTTPHeader', [
  [1, 'name', 'string'],
  [2, 'value', 'string'],
]);
message('core.TCPSocketAction', [
  [1, 'port', 'intstr.IntOrString'],
  [2, 'host', 'string', 'o'],
]);
message('core.GRPCAction', [
  [1, 'port', 'int32'],
  [2, 'service', 'string', 'n'],
]);
message('core.Lifecycle', [
  [1, 'postStart', 'core.LifecycleHandler', 'p'],
  [2, 'preStop', 'core.LifecycleHandler', 'p'],
]);
message('core.LifecycleHandler', [
  [1, 'exec', 'core.ExecAction', 'p'],
  [2, 'httpGet', 'core.HTTPGetAction', 'p'],
  [3, 'tcpSocket', 'core.TCPSocketAction', 'p'],
  [4, 'sleep', 'core.SleepAction', 'p'],
]);
message('core.SleepAction', [[1, 'seconds', 'int64']]);

message('core.SecurityContext', [
  [1, 'capabilities', 'core.Capabilities', 'p'],
  [2, 'privileged', 'bool', 'p'],
  [3, 'seLinuxOptions', 'core.SELinuxOptions', 'p'],
  [10, 'windowsOptions', 'core.WindowsSecurityContextOptions', 'p'],
  [4, 'runAsUser', 'int64', 'p'],
  [8, 'runAsGroup', 'int64', 'p'],
  [5, 'runAsNonRoot', 'bool', 'p'],
  [6, 'readOnlyRootFilesystem', 'bool', 'p'],
  [7, 'allowPrivilegeEscalation', 'bool', 'p'],
  [9, 'procMount', 'string', 'p'],
  [11, 'seccompProfile', 'core.SeccompProfile', 'p'],
  [12, 'appArmorProfile', 'core.AppArmorProfile', 'p'],
]);
message('core.Capabilities', [
  [1, 'add', 'string', 'ro'],
  [2, 'drop', 'string', 'ro'],
]);
message('core.SELinuxOptions', [
  [1, 'user', 'string', 'o'],
  [2, 'role', 'string', 'o'],
  [3, 'type', 'string', 'o'],
  [4, 'level', 'string', 'o'],
]);
message('core.WindowsSecurityContextOptions', [
  [1, 'gmsaCredentialSpecName', 'string', 'p'],
  [2, 'gmsaCredentialSpec', 'string', 'p'],
  [3, 'runAsUserName', 'string', 'p'],
  [4, 'hostProcess', 'bool', 'p'],
]);
message('core.SeccompProfile', [
  [1, 'type', 'string'],
  [2, 'localhostProfile', 'string', 'p'],
]);
message('core.AppArmorProfile', [
  [1, 'type', 'string'],
  [2, 'localhostProfile', 'string', 'p'],
]);
message('core.PodSecurityContext', [
  [1, 'seLinuxOptions', 'core.SELinuxOptions', 'p'],
  [8, 'windowsOptions', 'core.WindowsSecurityContextOptions', 'p'],
  [2, 'runAsUser', 'int64', 'p'],
  [6, 'runAsGroup', 'int64', 'p'],
  [3, 'runAsNonRoot', 'bool', 'p'],
  [4, 'supplementalGroups', 'int64', 'ro'],
  [12, 'supplementalGroupsPolicy', 'string', 'p'],
  [5, 'fsGroup', 'int64', 'p'],
  [7, 'sysctls', 'core.Sysctl', 'ro'],
  [9, 'fsGroupChangePolicy', 'string', 'p'],
  [10, 'seccompProfile', 'core.SeccompProfile', 'p'],
  [11, 'appArmorProfile', 'core.AppArmorProfile', 'p'],
  [13, 'seLinuxChangePolicy', 'string', 'p'],
]);
message('core.Sysctl', [
  [1, 'name', 'string'],
  [2, 'value', 'string'],
]);

// ---------------------------------------------------------------------------------------------------------
// Volumes
// ---------------------------------------------------------------------------------------------------------

message('core.Volume', [
  [1, 'name', 'string'],
  [2, 'volumeSource', 'core.VolumeSource', 'i'],
]);
message('core.VolumeSource', [
  [1, 'hostPath', 'core.HostPathVolumeSource', 'p'],
  [2, 'emptyDir', 'core.EmptyDirVolumeSource', 'p'],
  [6, 'secret', 'core.SecretVolumeSource', 'p'],
  [7, 'nfs', 'core.NFSVolumeSource', 'p'],
  [10, 'persistentVolumeClaim', 'core.PersistentVolumeClaimVolumeSource', 'p'],
  [16, 'downwardAPI', 'core.DownwardAPIVolumeSource', 'p'],
  [19, 'configMap', 'core.ConfigMapVolumeSource', 'p'],
  [26, 'projected', 'core.ProjectedVolumeSource', 'p'],
  [28, 'csi', 'core.CSIVolumeSource', 'p'],
  [29, 'ephemeral', 'core.EphemeralVolumeSource', 'p'],
  [30, 'image', 'core.ImageVolumeSource', 'p'],
]);
message('core.HostPathVolumeSource', [
  [1, 'path', 'string'],
  [2, 'type', 'string', 'p'],
]);
message('core.EmptyDirVolumeSource', [
  [1, 'medium', 'string', 'o'],
  [2, 'sizeLimit', QUANTITY, 'p'],
]);
message('core.SecretVolumeSource', [
  [1, 'secretName', 'string', 'o'],
  [2, 'items', 'core.KeyToPath', 'ro'],
  [3, 'defaultMode', 'int32', 'p'],
  [4, 'optional', 'bool', 'p'],
]);
message('core.KeyToPath', [
  [1, 'key', 'string'],
  [2, 'path', 'string'],
  [3, 'mode', 'int32', 'p'],
]);
message('core.NFSVolumeSource', [
  [1, 'server', 'string'],
  [2, 'path', 'string'],
  [3, 'readOnly', 'bool', 'o'],
]);
message('core.PersistentVolumeClaimVolumeSource', [
  [1, 'claimName', 'string'],
  [2, 'readOnly', 'bool', 'o'],
]);
message('core.DownwardAPIVolumeSource', [
  [1, 'items', 'core.DownwardAPIVolumeFile', 'ro'],
  [2, 'defaultMode', 'int32', 'p'],
]);
message('core.DownwardAPIVolumeFile', [
  [1, 'path', 'string'],
  [2, 'fieldRef', 'core.ObjectFieldSelector', 'p'],
  [3, 'resourceFieldRef', 'core.ResourceFieldSelector', 'p'],
  [4, 'mode', 'int32', 'p'],
]);
message('core.ConfigMapVolumeSource', [
  [1, 'localObjectReference', 'core.LocalObjectReference', 'i'],
  [2, 'items', 'core.KeyToPath', 'ro'],
  [3, 'defaultMode', 'int32', 'p'],
  [4, 'optional', 'bool', 'p'],
]);
message('core.ProjectedVolumeSource', [
  [1, 'sources', 'core.VolumeProjection', 'r'],
  [2, 'defaultMode', 'int32', 'p'],
]);
message('core.VolumeProjection', [
  [1, 'secret', 'core.SecretProjection', 'p'],
  [2, 'downwardAPI', 'core.DownwardAPIProjection', 'p'],
  [3, 'configMap', 'core.ConfigMapProjection', 'p'],
  [4, 'serviceAccountToken', 'core.ServiceAccountTokenProjection', 'p'],
  [5, 'clusterTrustBundle', 'core.ClusterTrustBundleProjection', 'p'],
]);
message('core.SecretProjection', [
  [1, 'localObjectReference', 'core.LocalObjectReference', 'i'],
  [2, 'items', 'core.KeyToPath', 'ro'],
  [4, 'optional', 'bool', 'p'],
]);
message('core.ConfigMapProjection', [
  [1, 'localObjectReference', 'core.LocalObjectReference', 'i'],
  [2, 'items', 'core.KeyToPath', 'ro'],
  [4, 'optional', 'bool', 'p'],
]);
message('core.DownwardAPIProjection', [[1, 'items', 'core.DownwardAPIVolumeFile', 'ro']]);
message('core.ServiceAccountTokenProjection', [
  [1, 'audience', 'string', 'o'],
  [2, 'expirationSeconds', 'int64', 'p'],
  [3, 'path', 'string'],
]);
message('core.ClusterTrustBundleProjection', [
  [1, 'name', 'string', 'p'],
  [2, 'signerName', 'string', 'p'],
  [3, 'labelSelector', 'meta.LabelSelector', 'p'],
  [5, 'optional', 'bool', 'p'],
  [4, 'path', 'string'],
]);
message('core.CSIVolumeSource', [
  [1, 'driver', 'string'],
  [2, 'readOnly', 'bool', 'p'],
  [3, 'fsType', 'string', 'p'],
  [4, 'volumeAttributes', 'string', 'mo'],
  [5, 'nodePublishSecretRef', 'core.LocalObjectReference', 'p'],
]);
message('core.EphemeralVolumeSource', [
  [1, 'volumeClaimTemplate', 'core.PersistentVolumeClaimTemplate', 'p'],
]);
message('core.ImageVolumeSource', [
  [1, 'reference', 'string', 'o'],
  [2, 'pullPolicy', 'string', 'o'],
]);

// PersistentVolumeClaim: the StatefulSet's volumeClaimTemplates and the ephemeral volume's template.
message('core.PersistentVolumeClaim', [
  OBJECT_META,
  [2, 'spec', 'core.PersistentVolumeClaimSpec'],
  [3, 'status', 'core.PersistentVolumeClaimStatus'],
]);
message('core.PersistentVolumeClaimTemplate', [OBJECT_META, [2, 'spec', 'core.PersistentVolumeClaimSpec']]);
message('core.PersistentVolumeClaimSpec', [
  [1, 'accessModes', 'string', 'ro'],
  [4, 'selector', 'meta.LabelSelector', 'p'],
  [2, 'resources', 'core.VolumeResourceRequirements'],
  [3, 'volumeName', 'string', 'o'],
  [5, 'storageClassName', 'string', 'p'],
  [6, 'volumeMode', 'string', 'p'],
  [7, 'dataSource', 'core.TypedLocalObjectReference', 'p'],
  [8, 'dataSourceRef', 'core.TypedObjectReference', 'p'],
  [9, 'volumeAttributesClassName', 'string', 'p'],
]);
message('core.VolumeResourceRequirements', [
  [1, 'limits', QUANTITY, 'mo'],
  [2, 'requests', QUANTITY, 'mo'],
]);
message('core.PersistentVolumeClaimStatus', [
  [1, 'phase', 'string', 'o'],
  [2, 'accessModes', 'string', 'ro'],
  [3, 'capacity', QUANTITY, 'mo'],
  [4, 'conditions', 'core.PersistentVolumeClaimCondition', 'ro'],
  [5, 'allocatedResources', QUANTITY, 'mo'],
  [7, 'allocatedResourceStatuses', 'string', 'mo'],
  [8, 'currentVolumeAttributesClassName', 'string', 'p'],
  [9, 'modifyVolumeStatus', 'core.ModifyVolumeStatus', 'p'],
]);
message('core.PersistentVolumeClaimCondition', [
  [1, 'type', 'string'],
  [2, 'status', 'string'],
  [3, 'lastProbeTime', TIME],
  [4, 'lastTransitionTime', TIME],
  [5, 'reason', 'string', 'o'],
  [6, 'message', 'string', 'o'],
]);
message('core.ModifyVolumeStatus', [
  [1, 'targetVolumeAttributesClassName', 'string', 'o'],
  [2, 'status', 'string'],
]);

// ---------------------------------------------------------------------------------------------------------
// Scheduling
// ---------------------------------------------------------------------------------------------------------

message('core.Toleration', [
  [1, 'key', 'string', 'o'],
  [2, 'operator', 'string', 'o'],
  [3, 'value', 'string', 'o'],
  [4, 'effect', 'string', 'o'],
  [5, 'tolerationSeconds', 'int64', 'p'],
]);
message('core.HostAlias', [
  [1, 'ip', 'string'],
  [2, 'hostnames', 'string', 'ro'],
]);
message('core.PodDNSConfig', [
  [1, 'nameservers', 'string', 'ro'],
  [2, 'searches', 'string', 'ro'],
  [3, 'options', 'core.PodDNSConfigOption', 'ro'],
]);
message('core.PodDNSConfigOption', [
  [1, 'name', 'string', 'o'],
  [2, 'value', 'string', 'p'],
]);
message('core.PodReadinessGate', [[1, 'conditionType', 'string']]);
message('core.PodOS', [[1, 'name', 'string']]);
message('core.PodSchedulingGate', [[1, 'name', 'string']]);
message('core.PodResourceClaim', [
  [1, 'name', 'string'],
  [3, 'resourceClaimName', 'string', 'p'],
  [4, 'resourceClaimTemplateName', 'string', 'p'],
]);
message('core.TopologySpreadConstraint', [
  [1, 'maxSkew', 'int32'],
  [2, 'topologyKey', 'string'],
  [3, 'whenUnsatisfiable', 'string'],
  [4, 'labelSelector', 'meta.LabelSelector', 'p'],
  [5, 'minDomains', 'int32', 'p'],
  [6, 'nodeAffinityPolicy', 'string', 'p'],
  [7, 'nodeTaintsPolicy', 'string', 'p'],
  [8, 'matchLabelKeys', 'string', 'ro'],
]);
message('core.Affinity', [
  [1, 'nodeAffinity', 'core.NodeAffinity', 'p'],
  [2, 'podAffinity', 'core.PodAffinity', 'p'],
  [3, 'podAntiAffinity', 'core.PodAntiAffinity', 'p'],
]);
message('core.NodeAffinity', [
  [1, 'requiredDuringSchedulingIgnoredDuringExecution', 'core.NodeSelector', 'p'],
  [2, 'preferredDuringSchedulingIgnoredDuringExecution', 'core.PreferredSchedulingTerm', 'ro'],
]);
message('core.NodeSelector', [[1, 'nodeSelectorTerms', 'core.NodeSelectorTerm', 'r']]);
message('core.NodeSelectorTerm', [
  [1, 'matchExpressions', 'core.NodeSelectorRequirement', 'ro'],
  [2, 'matchFields', 'core.NodeSelectorRequirement', 'ro'],
]);
message('core.NodeSelectorRequirement', [
  [1, 'key', 'string'],
  [2, 'operator', 'string'],
  [3, 'values', 'string', 'ro'],
]);
message('core.PreferredSchedulingTerm', [
  [1, 'weight', 'int32'],
  [2, 'preference', 'core.NodeSelectorTerm'],
]);
const POD_AFFINITY_FIELDS: readonly FieldSpec[] = [
  [1, 'requiredDuringSchedulingIgnoredDuringExecution', 'core.PodAffinityTerm', 'ro'],
  [2, 'preferredDuringSchedulingIgnoredDuringExecution', 'core.WeightedPodAffinityTerm', 'ro'],
];
message('core.PodAffinity', POD_AFFINITY_FIELDS);
message('core.PodAntiAffinity', POD_AFFINITY_FIELDS);
message('core.PodAffinityTerm', [
  [1, 'labelSelector', 'meta.LabelSelector', 'p'],
  [2, 'namespaces', 'string', 'ro'],
  [3, 'topologyKey', 'string'],
  [4, 'namespaceSelector', 'meta.LabelSelector', 'p'],
  [5, 'matchLabelKeys', 'string', 'ro'],
  [6, 'mismatchLabelKeys', 'string', 'ro'],
]);
message('core.WeightedPodAffinityTerm', [
  [1, 'weight', 'int32'],
  [2, 'podAffinityTerm', 'core.PodAffinityTerm'],
]);

// ---------------------------------------------------------------------------------------------------------
// PodStatus (clients rarely send it; kept so that a status survives a round trip)
// ---------------------------------------------------------------------------------------------------------

message('core.PodStatus', [
  [1, 'phase', 'string', 'o'],
  [2, 'conditions', 'core.PodCondition', 'ro'],
  [3, 'message', 'string', 'o'],
  [4, 'reason', 'string', 'o'],
  [11, 'nominatedNodeName', 'string', 'o'],
  [5, 'hostIP', 'string', 'o'],
  [16, 'hostIPs', 'core.HostIP', 'ro'],
  [6, 'podIP', 'string', 'o'],
  [12, 'podIPs', 'core.PodIP', 'ro'],
  [7, 'startTime', TIME, 'p'],
  [10, 'initContainerStatuses', 'core.ContainerStatus', 'ro'],
  [8, 'containerStatuses', 'core.ContainerStatus', 'ro'],
  [9, 'qosClass', 'string', 'o'],
  [13, 'ephemeralContainerStatuses', 'core.ContainerStatus', 'ro'],
  [14, 'resize', 'string', 'o'],
  [15, 'resourceClaimStatuses', 'core.PodResourceClaimStatus', 'ro'],
]);
message('core.PodCondition', [
  [1, 'type', 'string'],
  [2, 'status', 'string'],
  [3, 'lastProbeTime', TIME],
  [4, 'lastTransitionTime', TIME],
  [5, 'reason', 'string', 'o'],
  [6, 'message', 'string', 'o'],
]);
message('core.HostIP', [[1, 'ip', 'string']]);
message('core.PodIP', [[1, 'ip', 'string']]);
message('core.PodResourceClaimStatus', [
  [1, 'name', 'string'],
  [2, 'resourceClaimName', 'string', 'p'],
]);
message('core.ContainerStatus', [
  [1, 'name', 'string'],
  [2, 'state', 'core.ContainerState'],
  [3, 'lastState', 'core.ContainerState'],
  [4, 'ready', 'bool'],
  [5, 'restartCount', 'int32'],
  [6, 'image', 'string'],
  [7, 'imageID', 'string'],
  [8, 'containerID', 'string', 'o'],
  [9, 'started', 'bool', 'p'],
  [10, 'allocatedResources', QUANTITY, 'mo'],
  [11, 'resources', 'core.ResourceRequirements', 'p'],
  [12, 'volumeMounts', 'core.VolumeMountStatus', 'ro'],
  [13, 'user', 'core.ContainerUser', 'p'],
  [14, 'allocatedResourcesStatus', 'core.ResourceStatus', 'ro'],
]);
message('core.ContainerState', [
  [1, 'waiting', 'core.ContainerStateWaiting', 'p'],
  [2, 'running', 'core.ContainerStateRunning', 'p'],
  [3, 'terminated', 'core.ContainerStateTerminated', 'p'],
]);
message('core.ContainerStateWaiting', [
  [1, 'reason', 'string', 'o'],
  [2, 'message', 'string', 'o'],
]);
message('core.ContainerStateRunning', [[1, 'startedAt', TIME]]);
message('core.ContainerStateTerminated', [
  [1, 'exitCode', 'int32'],
  [2, 'signal', 'int32', 'o'],
  [3, 'reason', 'string', 'o'],
  [4, 'message', 'string', 'o'],
  [5, 'startedAt', TIME],
  [6, 'finishedAt', TIME],
  [7, 'containerID', 'string', 'o'],
]);
message('core.VolumeMountStatus', [
  [1, 'name', 'string'],
  [2, 'mountPath', 'string'],
  [3, 'readOnly', 'bool', 'o'],
  [4, 'recursiveReadOnly', 'string', 'p'],
]);
message('core.ContainerUser', [[1, 'linux', 'core.LinuxContainerUser', 'p']]);
message('core.LinuxContainerUser', [
  [1, 'uid', 'int64'],
  [2, 'gid', 'int64'],
  [3, 'supplementalGroups', 'int64', 'ro'],
]);
message('core.ResourceStatus', [
  [1, 'name', 'string'],
  [2, 'resources', 'core.ResourceHealth', 'ro'],
]);
message('core.ResourceHealth', [
  [1, 'resourceID', 'string'],
  [2, 'health', 'string', 'o'],
]);

// ---------------------------------------------------------------------------------------------------------
// Event (core/v1)
// ---------------------------------------------------------------------------------------------------------

message('core.Event', [
  OBJECT_META,
  [2, 'involvedObject', 'core.ObjectReference'],
  [3, 'reason', 'string', 'o'],
  [4, 'message', 'string', 'o'],
  [5, 'source', 'core.EventSource'],
  [6, 'firstTimestamp', TIME],
  [7, 'lastTimestamp', TIME],
  [8, 'count', 'int32', 'o'],
  [9, 'type', 'string', 'o'],
  [10, 'eventTime', 'meta.MicroTime'],
  [11, 'series', 'core.EventSeries', 'p'],
  [12, 'action', 'string', 'o'],
  [13, 'related', 'core.ObjectReference', 'p'],
  [14, 'reportingComponent', 'string'],
  [15, 'reportingInstance', 'string'],
]);
message('core.EventSource', [
  [1, 'component', 'string', 'o'],
  [2, 'host', 'string', 'o'],
]);
message('core.EventSeries', [
  [1, 'count', 'int32', 'o'],
  [2, 'lastObservedTime', 'meta.MicroTime'],
]);
