/** k8s.io/api/networking/v1 (package k8s.io.api.networking.v1 in generated.proto at 1.32): Ingress, NetworkPolicy. */
import type { FieldSpec } from './types.ts';
import { message } from './types.ts';
import './core.ts';

const OBJECT_META: FieldSpec = [1, 'metadata', 'meta.ObjectMeta'];

message('networking.Ingress', [
  OBJECT_META,
  [2, 'spec', 'networking.IngressSpec'],
  [3, 'status', 'networking.IngressStatus'],
]);
message('networking.IngressSpec', [
  [4, 'ingressClassName', 'string', 'p'],
  [1, 'defaultBackend', 'networking.IngressBackend', 'p'],
  [2, 'tls', 'networking.IngressTLS', 'ro'],
  [3, 'rules', 'networking.IngressRule', 'ro'],
]);
message('networking.IngressBackend', [
  [4, 'service', 'networking.IngressServiceBackend', 'p'],
  [3, 'resource', 'core.TypedLocalObjectReference', 'p'],
]);
message('networking.IngressServiceBackend', [
  [1, 'name', 'string'],
  [2, 'port', 'networking.ServiceBackendPort'],
]);
message('networking.ServiceBackendPort', [
  [1, 'name', 'string', 'o'],
  [2, 'number', 'int32', 'o'],
]);
message('networking.IngressTLS', [
  [1, 'hosts', 'string', 'ro'],
  [2, 'secretName', 'string', 'o'],
]);
message('networking.IngressRule', [
  [1, 'host', 'string', 'o'],
  [2, 'ingressRuleValue', 'networking.IngressRuleValue', 'i'],
]);
message('networking.IngressRuleValue', [[1, 'http', 'networking.HTTPIngressRuleValue', 'p']]);
message('networking.HTTPIngressRuleValue', [[1, 'paths', 'networking.HTTPIngressPath', 'r']]);
message('networking.HTTPIngressPath', [
  [1, 'path', 'string', 'o'],
  [3, 'pathType', 'string', 'n'],
  [2, 'backend', 'networking.IngressBackend'],
]);
message('networking.IngressStatus', [[1, 'loadBalancer', 'networking.IngressLoadBalancerStatus']]);
message('networking.IngressLoadBalancerStatus', [
  [1, 'ingress', 'networking.IngressLoadBalancerIngress', 'ro'],
]);
message('networking.IngressLoadBalancerIngress', [
  [1, 'ip', 'string', 'o'],
  [2, 'hostname', 'string', 'o'],
  [4, 'ports', 'networking.IngressPortStatus', 'ro'],
]);
message('networking.IngressPortStatus', [
  [1, 'port', 'int32'],
  [2, 'protocol', 'string'],
  [3, 'error', 'string', 'p'],
]);

message('networking.NetworkPolicy', [OBJECT_META, [2, 'spec', 'networking.NetworkPolicySpec']]);
message('networking.NetworkPolicySpec', [
  [1, 'podSelector', 'meta.LabelSelector'],
  [2, 'ingress', 'networking.NetworkPolicyIngressRule', 'ro'],
  [3, 'egress', 'networking.NetworkPolicyEgressRule', 'ro'],
  [4, 'policyTypes', 'string', 'ro'],
]);
message('networking.NetworkPolicyIngressRule', [
  [1, 'ports', 'networking.NetworkPolicyPort', 'ro'],
  [2, 'from', 'networking.NetworkPolicyPeer', 'ro'],
]);
message('networking.NetworkPolicyEgressRule', [
  [1, 'ports', 'networking.NetworkPolicyPort', 'ro'],
  [2, 'to', 'networking.NetworkPolicyPeer', 'ro'],
]);
message('networking.NetworkPolicyPort', [
  [1, 'protocol', 'string', 'p'],
  [2, 'port', 'intstr.IntOrString', 'p'],
  [3, 'endPort', 'int32', 'p'],
]);
message('networking.NetworkPolicyPeer', [
  [1, 'podSelector', 'meta.LabelSelector', 'p'],
  [2, 'namespaceSelector', 'meta.LabelSelector', 'p'],
  [3, 'ipBlock', 'networking.IPBlock', 'p'],
]);
message('networking.IPBlock', [
  [1, 'cidr', 'string'],
  [2, 'except', 'string', 'ro'],
]);
