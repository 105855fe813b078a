/**
 * Structured JSON logs (pino) for controllers. Whatever a controller passes along, paths that hold secret
 * material are replaced by "[REDACTED]" before a line is written, and errors are logged as type, code and
 * message only (no properties that might carry a response body).
 */
import { pino, type DestinationStream, type Logger as PinoLogger, type LoggerOptions } from 'pino';

export type Logger = PinoLogger;

/**
 * Where secret material sits in what controllers log: Secret and SealedSecret bodies, tokens, keys, and
 * HTTP authorization headers; at the top level and one or two levels down (pino's redaction matches fixed
 * paths, `*` standing for exactly one key).
 */
const SECRET_FIELDS = [
  'data',
  'stringData',
  'binaryData',
  'encryptedData',
  'token',
  'password',
  'privateKey',
  'authorization',
  'Authorization',
  'value',
  'plaintext',
  'ciphertext',
];

export const REDACTED_PATHS: readonly string[] = SECRET_FIELDS.flatMap((field) => [
  field,
  `*.${field}`,
  `*.*.${field}`,
  `*.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`,
  `metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`,
  `*.headers.${field.toLowerCase()}`,
]).filter((path, index, all) => all.indexOf(path) === index);

export interface LoggerSettings {
  /** "info" unless given (pino's levels: trace, debug, info, warn, error, fatal, silent). */
  level?: string;
  /** The component, on every line. */
  name?: string;
  /** Where lines go (stdout unless given; tests pass a stream). */
  destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    ...(settings.name ? { name: settings.name } : {}),
    redact: { paths: [...REDACTED_PATHS], censor: '[REDACTED]' },
    serializers: { err: serializeError, error: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const status = (error as { status?: unknown }).status;
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof status === 'number' ? { status } : {}),
  };
}
