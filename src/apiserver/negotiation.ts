/**
 * Which representation a resource request's Accept header asks for, decided as kube-apiserver's
 * NegotiateOutputMediaType decides it: media ranges by q-value (then the more specific first, then in header
 * order), each tried against the serializers in order (JSON, YAML, protobuf); `as=<Kind>;g=meta.k8s.io;v=v1|v1beta1`
 * asks for a transformation (`Table`, `PartialObjectMetadata`, `PartialObjectMetadataList`), and a range whose
 * transformation or stream the endpoint cannot produce is skipped. When nothing is acceptable the answer is 406.
 *
 * What this server writes: plain objects and Tables as JSON, PartialObjectMetadata(List) as JSON or as
 * Kubernetes protobuf (client-go's metadata client asks for protobuf first). A header naming only types it
 * cannot write (YAML, plain protobuf) gets JSON, as before this negotiation existed, unless the header asked
 * for a transformation: then it is the 406 kube gives. Pure.
 */
import { parseAccept, type MediaRange } from './discovery.ts';
import { ApiError } from './status.ts';

export type MetaVersion = 'v1' | 'v1beta1';

export type ResponseFormat =
  | { as: 'object' }
  | { as: 'Table'; version: MetaVersion }
  | {
      as: 'PartialObjectMetadata' | 'PartialObjectMetadataList';
      version: MetaVersion;
      encoding: 'json' | 'protobuf';
    };

/** The serializers kube-apiserver offers for built-in resources, in its order (the 406 message lists them). */
const SERIALIZERS = [
  { type: 'application', subtype: 'json', stream: true },
  { type: 'application', subtype: 'yaml', stream: false },
  { type: 'application', subtype: 'vnd.kubernetes.protobuf', stream: true },
] as const;

type Serializer = (typeof SERIALIZERS)[number];

export const ACCEPTED_MEDIA_TYPES: readonly string[] = SERIALIZERS.map(
  (serializer) => `${serializer.type}/${serializer.subtype}`,
);

const META_GROUP = 'meta.k8s.io';

/** The 406 of negotiation.NewNotAcceptableError. */
export function notAcceptable(
  message = `only the following media types are accepted: ${ACCEPTED_MEDIA_TYPES.join(', ')}`,
): ApiError {
  return new ApiError(406, 'NotAcceptable', message);
}

export function negotiateResponse(accept: string | undefined): ResponseFormat {
  const header = accept?.trim() ?? '';
  if (header === '') return { as: 'object' };
  const ranges = sortRanges(parseAccept(header).filter((range) => range.quality > 0));
  for (const range of ranges) {
    const [type = '', subtype = ''] = range.type.split('/');
    for (const serializer of SERIALIZERS) {
      if (!matches(type, subtype, serializer)) continue;
      const format = formatFor(range, serializer);
      if (format) return format;
    }
  }
  if (ranges.some((range) => range.params.has('as'))) throw notAcceptable();
  return { as: 'object' };
}

/** goautoneg's order: higher q first; at equal q a concrete type before `*`; otherwise header order. */
function sortRanges(ranges: MediaRange[]): MediaRange[] {
  const wildcardRank = (range: MediaRange): number => {
    const [type, subtype] = range.type.split('/');
    return (type === '*' ? 2 : 0) + (subtype === '*' ? 1 : 0);
  };
  return ranges
    .map((range, index) => ({ range, index }))
    .sort(
      (a, b) =>
        b.range.quality - a.range.quality ||
        wildcardRank(a.range) - wildcardRank(b.range) ||
        a.index - b.index,
    )
    .map(({ range }) => range);
}

function matches(type: string, subtype: string, serializer: Serializer): boolean {
  if (type === '*' && subtype === '*') return true;
  return type === serializer.type && (subtype === '*' || subtype === serializer.subtype);
}

/** acceptMediaTypeOptions + AllowsMediaTypeTransform, for what this server can write. */
function formatFor(range: MediaRange, serializer: Serializer): ResponseFormat | undefined {
  const stream = range.params.get('stream') ?? '';
  if (stream !== '' && (!serializer.stream || stream !== 'watch')) return undefined;
  const as = range.params.get('as');
  const group = range.params.get('g');
  const version = range.params.get('v');
  if (as === undefined && group === undefined && version === undefined)
    return serializer.subtype === 'json' ? { as: 'object' } : undefined;
  if (group !== META_GROUP || (version !== 'v1' && version !== 'v1beta1')) return undefined;
  switch (as) {
    case 'Table':
      return serializer.subtype === 'json' ? { as: 'Table', version } : undefined;
    case 'PartialObjectMetadata':
    case 'PartialObjectMetadataList':
      if (serializer.subtype === 'yaml') return undefined;
      return { as, version, encoding: serializer.subtype === 'json' ? 'json' : 'protobuf' };
    default:
      return undefined;
  }
}
