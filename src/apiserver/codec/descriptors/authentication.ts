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

// SelfSubjectReview (`kubectl auth whoami`) and TokenReview.
message('authentication.UserInfo', [
  [1, 'username', 'string', 'o'],
  [2, 'uid', 'string', 'o'],
  [3, 'groups', 'string', 'ro'],
  [4, 'extra', 'authentication.ExtraValue', 'mo'],
]);
message('authentication.ExtraValue', [[1, 'items', 'string', 'r']]);
message('authentication.SelfSubjectReview', [
  [1, 'metadata', 'meta.ObjectMeta'],
  [2, 'status', 'authentication.SelfSubjectReviewStatus', 'o'],
]);
message('authentication.SelfSubjectReviewStatus', [[1, 'userInfo', 'authentication.UserInfo', 'o']]);
message('authentication.TokenReview', [
  [1, 'metadata', 'meta.ObjectMeta'],
  [2, 'spec', 'authentication.TokenReviewSpec'],
  [3, 'status', 'authentication.TokenReviewStatus', 'o'],
]);
message('authentication.TokenReviewSpec', [
  [1, 'token', 'string', 'o'],
  [2, 'audiences', 'string', 'ro'],
]);
message('authentication.TokenReviewStatus', [
  [1, 'authenticated', 'bool', 'o'],
  [2, 'user', 'authentication.UserInfo', 'o'],
  [4, 'audiences', 'string', 'ro'],
  [3, 'error', 'string', 'o'],
]);
