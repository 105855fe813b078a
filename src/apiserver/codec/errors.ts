import { ProtobufError } from '../../common/protobuf-wire.ts';

/**
 * A value that is not a well-formed encoding, or an object that cannot be encoded. Messages never quote data.
 * Wire-level failures arrive as the base class, ProtobufError.
 */
export class CodecError extends ProtobufError {}
