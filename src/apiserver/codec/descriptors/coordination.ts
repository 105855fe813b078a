/** k8s.io/api/coordination/v1 (package k8s.io.api.coordination.v1 in generated.proto at 1.32): Lease. */
import { message } from './types.ts';
import './meta.ts';

message('coordination.Lease', [
  [1, 'metadata', 'meta.ObjectMeta'],
  [2, 'spec', 'coordination.LeaseSpec'],
]);
message('coordination.LeaseSpec', [
  [1, 'holderIdentity', 'string', 'p'],
  [2, 'leaseDurationSeconds', 'int32', 'p'],
  [3, 'acquireTime', 'meta.MicroTime', 'p'],
  [4, 'renewTime', 'meta.MicroTime', 'p'],
  [5, 'leaseTransitions', 'int32', 'p'],
  [6, 'strategy', 'string', 'p'],
  [7, 'preferredHolder', 'string', 'p'],
]);
