/**
 * k8s.io/api/authorization/v1 (generated.proto and types.go at Kubernetes 1.32): the access reviews. kubectl's
 * typed client sends SelfSubjectAccessReviews and SelfSubjectRulesReviews as protobuf (`kubectl auth can-i`) and
 * does not fall back to JSON.
 */
import { message, type FieldSpec } from './types.ts';
import './meta.ts';

/** `[name, fields]` in Go struct order; flags as the codec reads them (o omitempty, p pointer, r repeated, m map). */
const AUTHORIZATION_MESSAGES: readonly (readonly [string, readonly FieldSpec[]])[] = [
  ['authorization.ExtraValue', [[1, 'items', 'string', 'r']]],
  [
    'authorization.FieldSelectorRequirement',
    [
      [1, 'key', 'string'],
      [2, 'operator', 'string'],
      [3, 'values', 'string', 'ro'],
    ],
  ],
  [
    'authorization.FieldSelectorAttributes',
    [
      [1, 'rawSelector', 'string', 'o'],
      [2, 'requirements', 'authorization.FieldSelectorRequirement', 'ro'],
    ],
  ],
  [
    'authorization.LabelSelectorAttributes',
    [
      [1, 'rawSelector', 'string', 'o'],
      [2, 'requirements', 'meta.LabelSelectorRequirement', 'ro'],
    ],
  ],
  [
    'authorization.ResourceAttributes',
    [
      [1, 'namespace', 'string', 'o'],
      [2, 'verb', 'string', 'o'],
      [3, 'group', 'string', 'o'],
      [4, 'version', 'string', 'o'],
      [5, 'resource', 'string', 'o'],
      [6, 'subresource', 'string', 'o'],
      [7, 'name', 'string', 'o'],
      [8, 'fieldSelector', 'authorization.FieldSelectorAttributes', 'p'],
      [9, 'labelSelector', 'authorization.LabelSelectorAttributes', 'p'],
    ],
  ],
  [
    'authorization.NonResourceAttributes',
    [
      [1, 'path', 'string', 'o'],
      [2, 'verb', 'string', 'o'],
    ],
  ],
  [
    'authorization.SubjectAccessReviewSpec',
    [
      [1, 'resourceAttributes', 'authorization.ResourceAttributes', 'p'],
      [2, 'nonResourceAttributes', 'authorization.NonResourceAttributes', 'p'],
      [3, 'user', 'string', 'o'],
      [4, 'groups', 'string', 'ro'],
      [5, 'extra', 'authorization.ExtraValue', 'mo'],
      [6, 'uid', 'string', 'o'],
    ],
  ],
  [
    'authorization.SelfSubjectAccessReviewSpec',
    [
      [1, 'resourceAttributes', 'authorization.ResourceAttributes', 'p'],
      [2, 'nonResourceAttributes', 'authorization.NonResourceAttributes', 'p'],
    ],
  ],
  [
    'authorization.SubjectAccessReviewStatus',
    [
      [1, 'allowed', 'bool'],
      [4, 'denied', 'bool', 'o'],
      [2, 'reason', 'string', 'o'],
      [3, 'evaluationError', 'string', 'o'],
    ],
  ],
  ['authorization.SelfSubjectRulesReviewSpec', [[1, 'namespace', 'string', 'o']]],
  [
    'authorization.ResourceRule',
    [
      [1, 'verbs', 'string', 'r'],
      [2, 'apiGroups', 'string', 'ro'],
      [3, 'resources', 'string', 'ro'],
      [4, 'resourceNames', 'string', 'ro'],
    ],
  ],
  [
    'authorization.NonResourceRule',
    [
      [1, 'verbs', 'string', 'r'],
      [2, 'nonResourceURLs', 'string', 'ro'],
    ],
  ],
  [
    'authorization.SubjectRulesReviewStatus',
    [
      [1, 'resourceRules', 'authorization.ResourceRule', 'r'],
      [2, 'nonResourceRules', 'authorization.NonResourceRule', 'r'],
      [3, 'incomplete', 'bool'],
      [4, 'evaluationError', 'string', 'o'],
    ],
  ],
  [
    'authorization.SubjectAccessReview',
    [
      [1, 'metadata', 'meta.ObjectMeta'],
      [2, 'spec', 'authorization.SubjectAccessReviewSpec'],
      [3, 'status', 'authorization.SubjectAccessReviewStatus'],
    ],
  ],
  [
    'authorization.LocalSubjectAccessReview',
    [
      [1, 'metadata', 'meta.ObjectMeta'],
      [2, 'spec', 'authorization.SubjectAccessReviewSpec'],
      [3, 'status', 'authorization.SubjectAccessReviewStatus'],
    ],
  ],
  [
    'authorization.SelfSubjectAccessReview',
    [
      [1, 'metadata', 'meta.ObjectMeta'],
      [2, 'spec', 'authorization.SelfSubjectAccessReviewSpec'],
      [3, 'status', 'authorization.SubjectAccessReviewStatus'],
    ],
  ],
  [
    'authorization.SelfSubjectRulesReview',
    [
      [1, 'metadata', 'meta.ObjectMeta'],
      [2, 'spec', 'authorization.SelfSubjectRulesReviewSpec'],
      [3, 'status', 'authorization.SubjectRulesReviewStatus'],
    ],
  ],
];

for (const [name, fields] of AUTHORIZATION_MESSAGES) message(name, fields);
