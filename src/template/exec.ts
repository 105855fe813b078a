/**
 * The executor: walks a parsed template over data, with Go's evaluation rules (pipelines, variables and their
 * scopes, fields and map keys, function calls with Go's argument checks, if/with/range/template/block, break
 * and continue, missingkey modes) and Go's error messages, including the location and the node they name.
 *
 * Bounds Go does not have: template calls nest at most `maxDepth` deep (Go allows 100,000, far beyond what a
 * JavaScript stack holds), output stops at `maxOutputBytes`, and every evaluation step counts against
 * `maxSteps`, so no template runs forever. Reaching a bound is a TemplateLimitError worded like Go's errors.
 *
 * Go's messages sometimes print data values ("range can't iterate over hunter2", eq's "non-comparable
 * types"); secrets must not reach logs and statuses that way, so those values are hidden unless
 * `revealValuesInErrors` is set (the CLI sets it: its user owns the data).
 */
import {
  builtinFunction,
  isBuiltinFunction,
  runBuiltin,
  assignable,
  type BuiltinContext,
} from './builtins.ts';
import { GoFuncError, TemplateExecError, TemplateLimitError } from './errors.ts';
import type { FunctionSet } from './functions.ts';
import { FormatLimitError, sprint, sprintf } from './go-fmt.ts';
import { quote } from './go-strconv.ts';
import {
  nodeText,
  type AnyNode,
  type ArgumentNode,
  type BranchNode,
  type ChainNode,
  type CommandNode,
  type FieldNode,
  type IdentifierNode,
  type Node,
  type NumberNode,
  type PipeNode,
  type TemplateNode,
  type VariableNode,
} from './nodes.ts';
import type { ParsedTemplates } from './parser.ts';
import { Boxed, slotValue, staticType, truth, unbox, type Value } from './reflect.ts';
import { textFromByteString, type ByteString } from '../common/go-utf8.ts';
import {
  canBeNil,
  GoBytes,
  GoFunc,
  GoInt,
  GoList,
  GoMap,
  GoStruct,
  goInt,
  goTypeOf,
  isIntKind,
  zeroValue,
  type GoType,
  type GoValue,
} from './values.ts';

/** What a missing map key gives: Go's missingkey option ("default" is "invalid"). */
export type MissingKey = 'default' | 'invalid' | 'zero' | 'error';

export interface ExecLimits {
  /** Nested {{template}} calls (Go: 100,000). */
  readonly maxDepth: number;
  readonly maxOutputBytes: number;
  /** Evaluation steps: nodes walked, commands evaluated, range iterations, work charged by functions. */
  readonly maxSteps: number;
}

export const DEFAULT_EXEC_LIMITS: ExecLimits = {
  maxDepth: 1000,
  maxOutputBytes: 16 * 1024 * 1024,
  maxSteps: 10_000_000,
};

export interface ExecOptions {
  readonly missingKey?: MissingKey;
  readonly limits?: Partial<ExecLimits>;
  readonly revealValuesInErrors?: boolean;
  /** The clock functions see (CallContext.now); default: the system clock. */
  readonly now?: () => Date;
}

/** Go exports a struct field whose name starts with an upper-case letter. */
const EXPORTED = /^\p{Lu}/u;

const MISSING: unique symbol = Symbol('no final argument');
type Final = Value | typeof MISSING;

const NORMAL = 0;
const BREAK = 1;
const CONTINUE = 2;
type Flow = typeof NORMAL | typeof BREAK | typeof CONTINUE;

/** An execution error on its way up; carries the full Go-style message (a byte string). */
class ExecFailure extends Error {
  readonly templateName: ByteString;
  readonly limit: boolean;

  constructor(message: ByteString, templateName: ByteString, limit = false) {
    super(message);
    this.templateName = templateName;
    this.limit = limit;
  }
}

interface Variable {
  readonly name: ByteString;
  value: Value;
}

class Executor {
  readonly #parsed: ParsedTemplates;
  readonly #functions: FunctionSet;
  readonly #missingKey: MissingKey;
  readonly #limits: ExecLimits;
  readonly #revealValues: boolean;
  readonly #output: ByteString[] = [];
  #outputLength = 0;
  #steps = 0;
  #templateName: ByteString;
  #vars: Variable[];
  #depth = 0;
  #node: AnyNode | undefined;
  readonly #context: BuiltinContext;

  constructor(parsed: ParsedTemplates, functions: FunctionSet, data: Value, options: ExecOptions) {
    this.#parsed = parsed;
    this.#functions = functions;
    this.#missingKey = options.missingKey ?? 'default';
    this.#limits = { ...DEFAULT_EXEC_LIMITS, ...options.limits };
    this.#revealValues = options.revealValuesInErrors ?? false;
    this.#templateName = parsed.name;
    this.#vars = [{ name: '$', value: data }];
    this.#context = {
      charge: (steps: number) => this.#charge(steps),
      maxOutputBytes: this.#limits.maxOutputBytes,
      now: options.now ?? (() => new Date()),
      revealValues: this.#revealValues,
      invoke: (fn: GoFunc, args: GoValue[]) => this.#invoke(fn, args),
    };
  }

  run(data: Value): ByteString {
    const tree = this.#parsed.trees.get(this.#parsed.name);
    if (!tree) this.#fail(sprintf('%q is an incomplete or empty template', [this.#parsed.name]));
    this.#walk(data, tree.root);
    return this.#output.join('');
  }

  // -- errors and bounds -----------------------------------------------------------------------------------

  #at(node: AnyNode): void {
    this.#node = node;
  }

  /** Go's errorf: the message prefixed with the location and the node being evaluated. */
  #fail(message: ByteString, limit = false): never {
    const name = this.#templateName;
    const node = this.#node;
    let full: ByteString;
    if (!node) {
      full = `template: ${name}: ${message}`;
    } else {
      const text = this.#parsed.text.slice(0, node.pos);
      const lastNewline = text.lastIndexOf('\n');
      const column = lastNewline < 0 ? node.pos : node.pos - lastNewline - 1;
      const line = text.split('\n').length;
      full = `template: ${this.#parsed.name}:${line}:${column}: executing ${quote(name)} at <${nodeText(node)}>: ${message}`;
    }
    throw new ExecFailure(full, name, limit);
  }

  #charge(steps: number): void {
    this.#steps += steps;
    if (this.#steps > this.#limits.maxSteps) {
      this.#fail(`execution exceeds the budget of ${this.#limits.maxSteps} steps`, true);
    }
  }

  #write(text: ByteString): void {
    if (text.length === 0) return;
    this.#outputLength += text.length;
    if (this.#outputLength > this.#limits.maxOutputBytes) {
      this.#fail(`output exceeds the limit of ${this.#limits.maxOutputBytes} bytes`, true);
    }
    this.#output.push(text);
  }

  #showValue(value: GoValue): ByteString {
    return this.#revealValues ? sprintf('%v', [value]) : `<hidden ${goTypeOf(value)}>`;
  }

  // -- variables -------------------------------------------------------------------------------------------

  #push(name: ByteString, value: Value): void {
    this.#vars.push({ name, value });
  }

  #setVar(name: ByteString, value: Value): void {
    for (let index = this.#vars.length - 1; index >= 0; index--) {
      if (this.#vars[index]!.name === name) {
        this.#vars[index]!.value = value;
        return;
      }
    }
    this.#fail(`undefined variable: ${name}`);
  }

  /** Sets the variable `fromTop` places from the top of the stack (range's declared variables). */
  #setTopVar(fromTop: number, value: Value): void {
    this.#vars[this.#vars.length - fromTop]!.value = value;
  }

  #varValue(name: ByteString): Value {
    for (let index = this.#vars.length - 1; index >= 0; index--) {
      if (this.#vars[index]!.name === name) return this.#vars[index]!.value;
    }
    this.#fail(`undefined variable: ${name}`);
  }

  // -- walking ---------------------------------------------------------------------------------------------

  #walk(dot: Value, node: Node): Flow {
    this.#at(node);
    this.#charge(1);
    switch (node.kind) {
      case 'action': {
        // Variables declared here persist until the enclosing {{end}}; a declaration prints nothing.
        const value = this.#evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.#printValue(node, value);
        return NORMAL;
      }
      case 'break':
        return BREAK;
      case 'continue':
        return CONTINUE;
      case 'if':
      case 'with':
        return this.#walkIfOrWith(dot, node);
      case 'list':
        for (const child of node.nodes) {
          const flow = this.#walk(dot, child);
          if (flow !== NORMAL) return flow;
        }
        return NORMAL;
      case 'range':
        return this.#walkRange(dot, node);
      case 'template':
        this.#walkTemplate(dot, node);
        return NORMAL;
      case 'text':
        this.#write(node.text);
        return NORMAL;
      case 'end':
      case 'else':
        return this.#fail(`unknown node: ${nodeText(node)}`);
    }
  }

  #walkIfOrWith(dot: Value, node: BranchNode): Flow {
    const mark = this.#vars.length;
    try {
      const value = this.#evalPipeline(dot, node.pipe);
      if (truth(value)) return this.#walk(node.kind === 'with' ? value : dot, node.list);
      if (node.elseList) return this.#walk(dot, node.elseList);
      return NORMAL;
    } finally {
      this.#vars.length = mark;
    }
  }

  #walkRange(dot: Value, node: BranchNode): Flow {
    this.#at(node);
    const outerMark = this.#vars.length;
    try {
      const value = unbox(this.#evalPipeline(dot, node.pipe));
      const mark = this.#vars.length;
      const { decl, isAssign } = node.pipe;
      const iteration = (index: Value, element: Value): Flow => {
        this.#charge(1);
        if (decl.length > 0) {
          if (isAssign) this.#setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : element);
          else this.#setTopVar(1, element);
        }
        if (decl.length > 1) {
          if (isAssign) this.#setVar(decl[1]!.ident[0]!, element);
          else this.#setTopVar(2, index);
        }
        try {
          return this.#walk(element, node.list);
        } finally {
          this.#vars.length = mark;
        }
      };
      let ran = false;
      if (value instanceof GoList || value instanceof GoBytes) {
        const count = value instanceof GoList ? value.items.length : value.bytes.length;
        for (let position = 0; position < count; position++) {
          ran = true;
          const element =
            value instanceof GoList
              ? slotValue(value.items[position]!, value.elementType)
              : new GoInt('uint8', BigInt(value.bytes[position]!));
          if (iteration(goInt(position), element) === BREAK) break;
        }
      } else if (value instanceof GoMap) {
        for (const key of value.sortedKeys()) {
          ran = true;
          if (iteration(key, slotValue(value.entries.get(key)!, value.elementType)) === BREAK) break;
        }
      } else if (value instanceof GoInt) {
        // Go 1.24 ranges over integers: 0 … n-1, of the integer's type, with at most one variable.
        if (decl.length > 1)
          this.#fail(`can't use ${this.#showValue(value)} to iterate over more than one variable`);
        for (let count = 0n; count < value.value; count++) {
          ran = true;
          if (iteration(undefined, new GoInt(value.kind, count)) === BREAK) break;
        }
      } else if (value !== undefined) {
        // An invalid value is like a nil map: nothing to iterate, so the else branch runs.
        this.#fail(`range can't iterate over ${this.#showValue(value)}`);
      }
      if (!ran && node.elseList) return this.#walk(dot, node.elseList);
      return NORMAL;
    } finally {
      this.#vars.length = outerMark;
    }
  }

  #walkTemplate(dot: Value, node: TemplateNode): void {
    this.#at(node);
    const tree = this.#parsed.trees.get(node.name);
    if (!tree) this.#fail(sprintf('template %q not defined', [node.name]));
    if (this.#depth >= this.#limits.maxDepth) {
      this.#fail(`exceeded maximum template depth (${this.#limits.maxDepth})`, true);
    }
    const value = this.#evalPipeline(dot, node.pipe);
    const saved = { name: this.#templateName, vars: this.#vars, depth: this.#depth };
    // No dynamic scoping: the called template sees only $ (its dot).
    this.#templateName = tree.name;
    this.#vars = [{ name: '$', value }];
    this.#depth++;
    try {
      this.#walk(value, tree.root);
    } finally {
      this.#templateName = saved.name;
      this.#vars = saved.vars;
      this.#depth = saved.depth;
    }
  }

  #printValue(node: Node, value: Value): void {
    this.#at(node);
    const printable = unbox(value);
    if (printable === undefined) {
      this.#write('<no value>');
      return;
    }
    if (typeof printable === 'string') {
      this.#write(printable);
      return;
    }
    if (printable instanceof GoFunc) this.#fail(`can't print ${nodeText(node)} of type ${printable.type}`);
    this.#write(this.#format(() => sprint([printable], this.#remainingOutput())));
  }

  #remainingOutput(): number {
    return this.#limits.maxOutputBytes - this.#outputLength;
  }

  #format(action: () => ByteString): ByteString {
    try {
      return action();
    } catch (error) {
      if (error instanceof FormatLimitError) {
        this.#fail(`output exceeds the limit of ${this.#limits.maxOutputBytes} bytes`, true);
      }
      throw error;
    }
  }

  // -- evaluation ------------------------------------------------------------------------------------------

  #evalPipeline(dot: Value, pipe: PipeNode | undefined): Value {
    if (!pipe) return undefined;
    this.#at(pipe);
    let value: Final = MISSING;
    for (const command of pipe.cmds) {
      value = this.#evalCommand(dot, command, value);
      // A value of type interface{} gives way to the value inside it.
      if (value instanceof Boxed) value = unbox(value);
    }
    const result = value as Value;
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.#setVar(variable.ident[0]!, result);
      else this.#push(variable.ident[0]!, result);
    }
    return result;
  }

  #notAFunction(args: readonly ArgumentNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) {
      this.#fail(`can't give argument to non-function ${nodeText(args[0]!)}`);
    }
  }

  #evalCommand(dot: Value, command: CommandNode, final: Final): Value {
    this.#charge(1);
    const first = command.args[0]!;
    switch (first.kind) {
      case 'field':
        return this.#evalFieldNode(dot, first, command.args, final);
      case 'chain':
        return this.#evalChainNode(dot, first, command.args, final);
      case 'identifier':
        return this.#evalFunction(dot, first, command, command.args, final);
      case 'pipe':
        this.#notAFunction(command.args, final);
        return this.#evalPipeline(dot, first);
      case 'variable':
        return this.#evalVariableNode(dot, first, command.args, final);
    }
    this.#at(first);
    this.#notAFunction(command.args, final);
    switch (first.kind) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.#fail('nil is not a command');
      case 'number':
        return this.#idealConstant(first);
      case 'string':
        return first.text;
    }
  }

  /** A number constant where no type is expected: its syntax decides int or float64. */
  #idealConstant(constant: NumberNode): Value {
    this.#at(constant);
    const text = constant.text;
    if (constant.isComplex) {
      this.#fail(`${text} is a complex constant; Cloak's templates have no complex numbers`);
    }
    const isHexInt =
      text.length > 2 && text[0] === '0' && (text[1] === 'x' || text[1] === 'X') && !/[pP]/.test(text);
    const isRuneInt = text.startsWith("'");
    if (constant.isFloat && !isHexInt && !isRuneInt && /[.eEpP]/.test(text)) return constant.float64;
    if (constant.isInt) return new GoInt('int', constant.int64);
    if (constant.isUint) this.#fail(`${text} overflows int`);
    return undefined;
  }

  #evalFieldNode(
    dot: Value,
    field: FieldNode,
    args: readonly ArgumentNode[] | undefined,
    final: Final,
  ): Value {
    this.#at(field);
    return this.#evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  #evalChainNode(
    dot: Value,
    chain: ChainNode,
    args: readonly ArgumentNode[] | undefined,
    final: Final,
  ): Value {
    this.#at(chain);
    if (chain.node.kind === 'nil') this.#fail(`indirection through explicit nil in ${nodeText(chain)}`);
    const receiver = this.#evalArg(dot, null, chain.node);
    return this.#evalFieldChain(dot, receiver, chain, chain.fields, args, final);
  }

  #evalVariableNode(
    dot: Value,
    variable: VariableNode,
    args: readonly ArgumentNode[] | undefined,
    final: Final,
  ): Value {
    this.#at(variable);
    const value = this.#varValue(variable.ident[0]!);
    if (variable.ident.length === 1) {
      this.#notAFunction(args ?? [variable], final);
      return value;
    }
    return this.#evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  #evalFieldChain(
    dot: Value,
    receiver: Value,
    node: AnyNode,
    ident: readonly ByteString[],
    args: readonly ArgumentNode[] | undefined,
    final: Final,
  ): Value {
    let current = receiver;
    for (let index = 0; index < ident.length - 1; index++) {
      current = this.#evalField(dot, ident[index]!, node, undefined, MISSING, current);
    }
    return this.#evalField(dot, ident[ident.length - 1]!, node, args, final, current);
  }

  #findFunction(name: ByteString): { fn: GoFunc; builtin: boolean } | undefined {
    const own = this.#functions.get(name);
    if (own) return { fn: own, builtin: false };
    const builtin = builtinFunction(name);
    return builtin ? { fn: builtin, builtin: true } : undefined;
  }

  #evalFunction(
    dot: Value,
    node: IdentifierNode,
    command: AnyNode,
    args: readonly ArgumentNode[] | undefined,
    final: Final,
  ): Value {
    this.#at(node);
    const found = this.#findFunction(node.ident);
    if (!found) this.#fail(sprintf('%q is not a defined function', [node.ident]));
    return this.#evalCall(dot, found.fn, found.builtin, command, node.ident, args, final);
  }

  /** `.name` on a value: a method, a struct field or a map key. */
  #evalField(
    dot: Value,
    name: ByteString,
    node: AnyNode,
    args: readonly ArgumentNode[] | undefined,
    final: Final,
    receiver: Value,
  ): Value {
    if (receiver === undefined) {
      // Treated as a missing map key.
      if (this.#missingKey === 'error') this.#fail(sprintf('nil data; no entry for key %q', [name]));
      return undefined;
    }
    const type = staticType(receiver);
    if (receiver instanceof Boxed && receiver.inner === null)
      this.#fail(`nil pointer evaluating ${type}.${name}`);
    const value = receiver instanceof Boxed ? receiver.inner! : receiver;
    if (value instanceof GoStruct) {
      const method = value.methods.get(name);
      if (method) return this.#evalCall(dot, method, false, node, name, args, final);
    }
    const hasArgs = (args !== undefined && args.length > 1) || final !== MISSING;
    if (value instanceof GoStruct && value.fields.has(name)) {
      if (!EXPORTED.test(textFromByteString(name)))
        this.#fail(`${name} is an unexported field of struct type ${type}`);
      if (hasArgs) this.#fail(`${name} has arguments but cannot be invoked as function`);
      const field = value.fields.get(name)!;
      return field === null ? new Boxed(null) : field;
    }
    if (value instanceof GoMap) {
      if (hasArgs) this.#fail(`${name} is not a method but has arguments`);
      const found = value.entries.get(name);
      if (found !== undefined) return slotValue(found, value.elementType);
      switch (this.#missingKey) {
        case 'zero':
          return slotValue(zeroValue(value.elementType), value.elementType);
        case 'error':
          this.#fail(sprintf('map has no entry for key %q', [name]));
      }
      return undefined;
    }
    this.#fail(`can't evaluate field ${name} in type ${type}`);
  }

  #evalCall(
    dot: Value,
    fn: GoFunc,
    isBuiltin: boolean,
    node: AnyNode,
    name: ByteString,
    nodeArgs: readonly ArgumentNode[] | undefined,
    final: Final,
  ): Value {
    const args = nodeArgs ? nodeArgs.slice(1) : [];
    const { params, variadic } = fn.signature;
    const count = args.length + (final !== MISSING ? 1 : 0);
    let fixed = args.length;
    if (variadic) {
      fixed = params.length - 1;
      if (count < fixed) {
        this.#fail(`wrong number of args for ${name}: want at least ${params.length - 1} got ${args.length}`);
      }
    } else if (count !== params.length) {
      this.#fail(`wrong number of args for ${name}: want ${params.length} got ${count}`);
    }

    // and/or evaluate their arguments only until the result is known, and return the deciding value.
    if (isBuiltin && (name === 'and' || name === 'or')) {
      let value: Value = undefined;
      for (const arg of args) {
        value = this.#evalArg(dot, 'reflect.Value', arg);
        if (truth(value) === (name === 'or')) return value;
      }
      if (final !== MISSING) value = this.#validateType(final, 'reflect.Value');
      return value;
    }

    const argv: Value[] = [];
    let index = 0;
    for (; index < fixed && index < args.length; index++)
      argv.push(this.#evalArg(dot, params[index]!, args[index]!));
    if (variadic) {
      const elementType = params[params.length - 1]!;
      for (; index < args.length; index++) argv.push(this.#evalArg(dot, elementType, args[index]!));
    }
    if (final !== MISSING) {
      let type = params[params.length - 1]!;
      if (variadic && count - 1 < fixed) type = params[count - 1]!;
      argv.push(this.#validateType(final, type));
    }

    // The callee's name is how `call` reports errors. Go indexes the arguments for it and panics when the
    // function comes from the pipeline ({{ f | call }}), taking the whole program down; here it is named.
    if (isBuiltin && name === 'call') argv.unshift(args[0] ? nodeText(args[0]) : '<pipeline value>');

    try {
      if (isBuiltin && isBuiltinFunction(fn)) return runBuiltin(fn, argv, this.#context);
      return this.#invoke(
        fn,
        argv.map((value) => (value instanceof Boxed ? value.inner : (value ?? null))),
      );
    } catch (error) {
      if (error instanceof ExecFailure) throw error;
      if (error instanceof RangeError && /call stack/i.test(error.message)) throw error;
      this.#at(node);
      if (error instanceof FormatLimitError) {
        this.#fail(`output exceeds the limit of ${this.#limits.maxOutputBytes} bytes`, true);
      }
      this.#fail(`error calling ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Calls a registered function with plain arguments; its result comes back as Go would type it. */
  #invoke(fn: GoFunc, args: GoValue[]): Value {
    this.#charge(1);
    const result = fn.implementation(args, this.#context);
    const declared = fn.signature.result;
    if (declared === 'interface {}') return new Boxed(result);
    if (declared === 'reflect.Value') return result;
    if (result === null ? !canBeNil(declared) : goTypeOf(result) !== declared) {
      throw new GoFuncError(`function returned ${goTypeOf(result)} where its signature says ${declared}`);
    }
    return result;
  }

  #validateType(value: Value, type: GoType | null): Value {
    if (value === undefined) {
      if (type === null) return undefined;
      if (canBeNil(type)) return type === 'reflect.Value' ? undefined : zeroValue(type);
      this.#fail(`invalid value; expected ${type}`);
    }
    if (type === null || type === 'reflect.Value') return value;
    if (!assignable(value, type)) {
      let actual: GoValue | Boxed = value;
      if (value instanceof Boxed && value.inner !== null) {
        actual = value.inner;
        if (assignable(actual, type)) return actual;
      }
      this.#fail(`wrong type for value; expected ${type}; got ${staticType(actual)}`);
    }
    return value;
  }

  #evalArg(dot: Value, type: GoType | null, node: ArgumentNode): Value {
    this.#at(node);
    switch (node.kind) {
      case 'dot':
        return this.#validateType(dot, type);
      case 'nil':
        if (type !== null && canBeNil(type)) return type === 'reflect.Value' ? undefined : zeroValue(type);
        return this.#fail(`cannot assign nil to ${type ?? '<nil>'}`);
      case 'field':
        return this.#validateType(this.#evalFieldNode(dot, node, [node], MISSING), type);
      case 'variable':
        return this.#validateType(this.#evalVariableNode(dot, node, undefined, MISSING), type);
      case 'pipe':
        return this.#validateType(this.#evalPipeline(dot, node), type);
      case 'identifier':
        return this.#validateType(this.#evalFunction(dot, node, node, undefined, MISSING), type);
      case 'chain':
        return this.#validateType(this.#evalChainNode(dot, node, undefined, MISSING), type);
    }
    if (type === null) this.#fail(`can't handle ${nodeText(node)} for arg of type <nil>`);
    if (type === 'bool') {
      if (node.kind === 'bool') return node.value;
      this.#fail(`expected bool; found ${nodeText(node)}`);
    }
    if (type === 'float64') {
      if (node.kind === 'number' && node.isFloat) return node.float64;
      this.#fail(`expected float; found ${nodeText(node)}`);
    }
    if (isIntKind(type)) {
      const unsigned = type.startsWith('u');
      if (node.kind === 'number' && (unsigned ? node.isUint : node.isInt)) {
        return new GoInt(type, unsigned ? node.uint64 : node.int64);
      }
      this.#fail(`expected ${unsigned ? 'unsigned integer' : 'integer'}; found ${nodeText(node)}`);
    }
    if (type === 'interface {}' || type === 'reflect.Value') {
      this.#at(node);
      switch (node.kind) {
        case 'bool':
          return node.value;
        case 'number':
          return this.#idealConstant(node);
        case 'string':
          return node.text;
      }
    }
    if (type === 'string') {
      if (node.kind === 'string') return node.text;
      this.#fail(`expected string; found ${nodeText(node)}`);
    }
    this.#fail(`can't handle ${nodeText(node)} for arg of type ${type}`);
  }
}

/**
 * Executes the top-level template of `parsed` over `data`; returns the output as a byte string. Throws
 * TemplateExecError (Go's message) or TemplateLimitError.
 */
export function executeTemplates(
  parsed: ParsedTemplates,
  functions: FunctionSet,
  data: GoValue | undefined,
  options: ExecOptions = {},
): ByteString {
  if (data === null) data = undefined; // Execute(nil): $ is no value, not a nil interface.
  const executor = new Executor(parsed, functions, data, options);
  try {
    return executor.run(data);
  } catch (error) {
    if (error instanceof ExecFailure) {
      const message = textFromByteString(error.message);
      const name = textFromByteString(error.templateName);
      throw error.limit ? new TemplateLimitError(message, name) : new TemplateExecError(message, name);
    }
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new TemplateLimitError(
        `template: ${textFromByteString(parsed.name)}: too deeply nested to execute`,
        textFromByteString(parsed.name),
      );
    }
    throw error;
  }
}
