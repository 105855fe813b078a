/**
 * Request bodies as kube-apiserver decodes them: JSON (or YAML) that must be an object of the kind the URL names,
 * in the URL's group-version. Built-in kinds may leave apiVersion/kind out (the URL supplies them); custom
 * resources may not. Parse errors say where the text breaks without quoting it: bodies carry secret values.
 */
import { jsonErrorOffset } from '../../manifests/json-error.ts';
import { yaml } from '../../manifests/yaml.ts';
import { apiVersionOf, type ResourceInfo } from '../resources.ts';
import { ApiError, badRequest } from '../status.ts';
import { ProtobufError } from '../../common/protobuf-wire.ts';
import { decodeProtobufRequest, PROTOBUF_CONTENT_TYPE } from '../codec/protobuf.ts';
import { isPlainObject, type KubeObject } from './object.ts';

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Parses a JSON, YAML or protobuf body into a value; `what` names the expected type in the error. */
export function parseBody(bytes: Uint8Array, contentType: string, what: string): unknown {
  if (contentType.startsWith(PROTOBUF_CONTENT_TYPE)) return parseProtobufBody(bytes);
  const text = decoder.decode(bytes);
  if (/^application\/(yaml|apply-patch\+yaml)\b/.test(contentType)) return parseYamlBody(text, what);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const offset = jsonErrorOffset(text);
    throw badRequest(
      `the object provided is unrecognized (must be of type ${what}): couldn't get version/kind; json parse error: invalid JSON at byte offset ${Math.max(offset, 0)}`,
    );
  }
}

/** kubectl's typed commands send protobuf; kinds without a message table here are refused (415). */
function parseProtobufBody(bytes: Uint8Array): unknown {
  try {
    return decodeProtobufRequest(bytes);
  } catch (error) {
    if (!(error instanceof ProtobufError)) throw error;
    if (error.message.includes('not supported by this server'))
      throw new ApiError(415, 'UnsupportedMediaType', error.message);
    throw badRequest(`the body of the request could not be decoded: ${error.message}`);
  }
}

function parseYamlBody(text: string, what: string): unknown {
  const library = yaml();
  const documents = library.parseAllDocuments(text);
  const list = Array.isArray(documents) ? documents : [documents];
  const failed = list.flatMap((document) => document.errors);
  if (failed.length > 0) {
    const error = failed[0];
    const line = error?.linePos?.[0].line ?? 0;
    throw badRequest(
      `the object provided is unrecognized (must be of type ${what}): error converting YAML to JSON: yaml: line ${line}: invalid YAML`,
    );
  }
  if (list.length !== 1)
    throw badRequest(
      `the object provided is unrecognized (must be of type ${what}): expected exactly one YAML document`,
    );
  return list[0]?.toJS({ maxAliasCount: 100 }) as unknown;
}

/** Checks a parsed body is an object of the URL's kind and version, filling apiVersion/kind in when absent. */
export function objectForResource(info: ResourceInfo, value: unknown): KubeObject {
  if (!isPlainObject(value)) {
    throw badRequest(
      `the object provided is unrecognized (must be of type ${info.kind}): couldn't get version/kind; json parse error: expected a JSON object`,
    );
  }
  const apiVersion = value['apiVersion'];
  const kind = value['kind'];
  if (
    (apiVersion !== undefined && typeof apiVersion !== 'string') ||
    (kind !== undefined && typeof kind !== 'string')
  ) {
    throw badRequest(
      `the object provided is unrecognized (must be of type ${info.kind}): couldn't get version/kind; apiVersion and kind must be strings`,
    );
  }
  if (info.crd && (!kind || !apiVersion)) throw badRequest(`Object 'Kind' is missing in the request body`);
  const expectedVersion = apiVersionOf(info);
  const givenVersion = apiVersion || expectedVersion;
  const givenKind = kind || info.kind;
  if (givenKind !== info.kind) {
    const version = givenVersion.includes('/')
      ? givenVersion.slice(givenVersion.indexOf('/') + 1)
      : givenVersion;
    throw badRequest(
      `${givenKind} in version "${version}" cannot be handled as a ${info.kind}: the kind in the body does not match the resource in the URL (${info.plural})`,
    );
  }
  if (givenVersion !== expectedVersion) {
    throw badRequest(
      `the API version in the data (${givenVersion}) does not match the expected API version (${expectedVersion})`,
    );
  }
  const metadata = value['metadata'] ?? {};
  if (!isPlainObject(metadata))
    throw badRequest(
      `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: metadata must be an object`,
    );
  return { ...value, apiVersion: expectedVersion, kind: info.kind, metadata: { ...metadata } };
}
