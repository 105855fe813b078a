/**
 * Go's text/template for Cloak: the public surface of src/template (see README.md for the data model and
 * for function authors).
 */
export { parseTemplate, renderTemplate, renderToByteString, DEFAULT_TEMPLATE_LIMITS } from './engine.ts';
export type { RenderOptions, TemplateLimits, TemplateSource } from './engine.ts';
export type { MissingKey } from './exec.ts';
export {
  TemplateError,
  TemplateExecError,
  TemplateLimitError,
  TemplateParseError,
  GoFuncError,
} from './errors.ts';
export { defineFunction, FunctionSet, NO_FUNCTIONS, type FunctionDefinition } from './functions.ts';
export { loadFunctionSet, FUNCTION_SET_NAMES, type FunctionSetName } from './function-sets.ts';
export * from './values.ts';
export {
  byteStringFromBytes,
  byteStringFromText,
  bytesFromByteString,
  textFromByteString,
  type ByteString,
} from '../common/go-utf8.ts';
