/**
 * k8s.io/api/authentication/v1 (package k8s.io.api.authentication.v1 in generated.proto at 1.32): TokenRequest,
 * the body of `POST .../serviceaccounts/<name>/token` (`kubectl create token`).
 */
import { message } from './types.ts';
import './meta.ts';

message('authentication.TokenRequest', [
  [1, 'metadata', 'meta.ObjectMeta'],
  [2, 'spec', 'authentication.TokenRequestSpec'],
  [3, 'status', 'authentication.TokenRequestStatus'],
]);
message('authentication.TokenRequestSpec', [
  [1, 'audiences', 'string', 'r'],
  [4, 'expirationSeconds', 'int64', 'n'],
  [3, 'boundObjectRef', 'authentication.BoundObjectReference', 'n'],
]);
// The proto names of fields 2 and 4 are aPIVersion and uID; their JSON names are apiVersion and uid.
message('authentication.BoundObjectReference', [
  [1, 'kind', 'string', 'o'],
  [2, 'apiVersion', 'string', 'o'],
  [3, 'name', 'string', 'o'],
  [4, 'uid', 'string', 'o'],
]);
message('authentication.TokenRequestStatus', [
  [1, 'token', 'string'],
  [2, 'expirationTimestamp', 'meta.Time'],
]);
