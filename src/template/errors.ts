/**
 * Template errors. Their messages are Go's, word for word ("template: NAME:LINE: …" for parse errors,
 * "template: NAME:LINE:COL: executing "NAME" at <NODE>: …" for execution errors), so that a message a user
 * finds in an External Secrets or Sealed Secrets issue matches what Cloak prints.
 */
import { CloakError } from '../common/errors.ts';

export class TemplateError extends CloakError {}

/** The template text is not a valid template. */
export class TemplateParseError extends TemplateError {
  constructor(message: string) {
    super('ERR_TEMPLATE_PARSE', message);
  }
}

/** Execution failed: a missing key in missingkey=error mode, a function's error, a type mismatch… */
export class TemplateExecError extends TemplateError {
  /** The template (or {{define}}d template) that was executing. */
  readonly templateName: string;

  constructor(message: string, templateName: string, code = 'ERR_TEMPLATE_EXEC') {
    super(code, message);
    this.templateName = templateName;
  }
}

/**
 * A bound Cloak adds to Go's semantics was reached: template call depth, nesting while parsing, output
 * size or the step budget. Go would recurse or loop much longer (or forever); Cloak stops with this.
 */
export class TemplateLimitError extends TemplateExecError {
  constructor(message: string, templateName: string) {
    super(message, templateName, 'ERR_TEMPLATE_LIMIT');
  }
}

/**
 * What a function reports to the template, as a Go function returns a non-nil error: the engine prints
 * "error calling NAME: MESSAGE". (Any other Error a function throws is treated the same way, as Go treats a
 * panic inside a function; limit errors pass through.)
 */
export class GoFuncError extends Error {}
