/**
 * The template parser: Go's grammar, its checks (undefined variables and functions, break/continue outside
 * range, pipelines whose later stages are constants) and its messages. The parser keeps Go's three-token
 * look-ahead because error lines are those of the most recently lexed token, and an identical look-ahead is
 * what makes every "template: NAME:LINE:" agree with Go's.
 */
import { TemplateParseError } from './errors.ts';
import { sprintf } from './go-fmt.ts';
import { InvalidSyntaxError, parseGoFloat, parseGoInteger, unquote, unquoteChar } from './go-strconv.ts';
import { describeItem, Lexer, type Item, type ItemType } from './lexer.ts';
import {
  isEmptyTree,
  nodeText,
  type ArgumentNode,
  type BranchNode,
  type CommandNode,
  type EndNode,
  type ListNode,
  type Node,
  type NumberNode,
  type PipeNode,
  type TemplateNode,
  type Tree,
  type VariableNode,
} from './nodes.ts';
import { textFromByteString, type ByteString } from '../common/go-utf8.ts';

export interface ParseInput {
  readonly name: ByteString;
  readonly text: ByteString;
  readonly leftDelim?: ByteString;
  readonly rightDelim?: ByteString;
  /** Whether a function name is defined (built-ins included): undefined names are parse errors, as in Go. */
  readonly hasFunction: (name: ByteString) => boolean;
  /** Nesting of actions and parentheses beyond which parsing stops (JavaScript's stack is not Go's). */
  readonly maxNesting: number;
}

/** All templates one text defines: the top-level one under its name, plus every {{define}} and {{block}}. */
export interface ParsedTemplates {
  readonly name: ByteString;
  readonly text: ByteString;
  readonly trees: ReadonlyMap<ByteString, Tree>;
}

class ParseFailure extends Error {}

interface Shared {
  readonly lexer: Lexer;
  readonly parseName: ByteString;
  readonly trees: Map<ByteString, Tree>;
  readonly hasFunction: (name: ByteString) => boolean;
  readonly maxNesting: number;
  nesting: number;
}

const COMMAND_STARTS: ReadonlySet<ItemType> = new Set<ItemType>([
  'bool',
  'charConstant',
  'complex',
  'dot',
  'field',
  'identifier',
  'number',
  'nil',
  'rawString',
  'string',
  'variable',
  'leftParen',
]);

const EOF_ITEM: Item = { type: 'EOF', pos: 0, value: '', line: 0 };

/** One tree being parsed; {{define}} and {{block}} bodies get their own, sharing the lexer. */
class TreeParser {
  name: ByteString;
  readonly #shared: Shared;
  /** token[0] is always the most recently lexed item; next() hands out token[peekCount] after decrementing. */
  readonly #token: [Item, Item, Item] = [EOF_ITEM, EOF_ITEM, EOF_ITEM];
  #peekCount = 0;
  #vars: ByteString[] = ['$'];
  #rangeDepth = 0;
  #actionLine = 0;
  root: ListNode | undefined;

  constructor(name: ByteString, shared: Shared) {
    this.name = name;
    this.#shared = shared;
  }

  // -- tokens -----------------------------------------------------------------------------------------------

  #next(): Item {
    if (this.#peekCount > 0) this.#peekCount--;
    else this.#token[0] = this.#shared.lexer.nextItem();
    return this.#token[this.#peekCount]!;
  }

  #backup(): void {
    this.#peekCount++;
  }

  #backup2(first: Item): void {
    this.#token[1] = first;
    this.#peekCount = 2;
  }

  #backup3(first: Item, second: Item): void {
    this.#token[1] = second;
    this.#token[2] = first;
    this.#peekCount = 3;
  }

  #peek(): Item {
    if (this.#peekCount > 0) return this.#token[this.#peekCount - 1]!;
    this.#peekCount = 1;
    this.#token[0] = this.#shared.lexer.nextItem();
    return this.#token[0];
  }

  #nextNonSpace(): Item {
    for (;;) {
      const item = this.#next();
      if (item.type !== 'space') return item;
    }
  }

  #peekNonSpace(): Item {
    const item = this.#nextNonSpace();
    this.#backup();
    return item;
  }

  // -- errors -----------------------------------------------------------------------------------------------

  #fail(message: ByteString): never {
    this.root = undefined;
    throw new ParseFailure(`template: ${this.#shared.parseName}:${this.#token[0].line}: ${message}`);
  }

  #expect(expected: ItemType, context: string): Item {
    const item = this.#nextNonSpace();
    if (item.type !== expected) this.#unexpected(item, context);
    return item;
  }

  #expectOneOf(first: ItemType, second: ItemType, context: string): Item {
    const item = this.#nextNonSpace();
    if (item.type !== first && item.type !== second) this.#unexpected(item, context);
    return item;
  }

  #unexpected(item: Item, context: string): never {
    if (item.type === 'error') {
      let extra = '';
      if (this.#actionLine !== 0 && this.#actionLine !== item.line) {
        extra = ` in action started at ${this.#shared.parseName}:${this.#actionLine}`;
        // Avoid "action in action".
        if (item.value.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.#fail(describeItem(item) + extra);
    }
    this.#fail(`unexpected ${describeItem(item)} in ${context}`);
  }

  #enter(): void {
    if (++this.#shared.nesting > this.#shared.maxNesting) {
      this.#fail(`nesting too deep: more than ${this.#shared.maxNesting} levels of actions and parentheses`);
    }
  }

  #leave(): void {
    this.#shared.nesting--;
  }

  // -- grammar ----------------------------------------------------------------------------------------------

  /** The top level: text, actions and {{define}}s until EOF. */
  parseTop(): void {
    const root: ListNode = { kind: 'list', pos: this.#peek().pos, nodes: [] };
    this.root = root;
    while (this.#peek().type !== 'EOF') {
      if (this.#peek().type === 'leftDelim') {
        const delim = this.#next();
        if (this.#nextNonSpace().type === 'define') {
          const definition = new TreeParser('definition', this.#shared);
          definition.#parseDefinition();
          continue;
        }
        this.#backup2(delim);
      }
      const node = this.#textOrAction();
      if (node.kind === 'end' || node.kind === 'else') this.#fail(`unexpected ${nodeText(node)}`);
      root.nodes.push(node);
    }
    this.add();
  }

  #parseDefinition(): void {
    const context = 'define clause';
    const name = this.#expectOneOf('string', 'rawString', context);
    this.name = this.#unquote(name.value);
    this.#expect('rightDelim', context);
    const [root, end] = this.#itemList();
    this.root = root;
    if (end.kind !== 'end') this.#fail(`unexpected ${nodeText(end)} in ${context}`);
    this.add();
  }

  /** Records this tree; a non-empty body may not replace another non-empty one of the same name. */
  add(): void {
    const existing = this.#shared.trees.get(this.name);
    const root = this.root!;
    if (!existing || isEmptyTree(existing.root)) {
      this.#shared.trees.set(this.name, { name: this.name, parseName: this.#shared.parseName, root });
      return;
    }
    if (!isEmptyTree(root)) this.#fail(sprintf('template: multiple definition of template %q', [this.name]));
  }

  /** textOrAction* up to {{end}} or {{else}}, which is returned separately. */
  #itemList(): [ListNode, EndNode] {
    const list: ListNode = { kind: 'list', pos: this.#peekNonSpace().pos, nodes: [] };
    while (this.#peekNonSpace().type !== 'EOF') {
      const node = this.#textOrAction();
      if (node.kind === 'end' || node.kind === 'else') return [list, node];
      list.nodes.push(node);
    }
    this.#fail('unexpected EOF');
  }

  #textOrAction(): Node {
    const item = this.#nextNonSpace();
    switch (item.type) {
      case 'text':
        return { kind: 'text', pos: item.pos, text: item.value };
      case 'leftDelim':
        this.#actionLine = item.line;
        try {
          return this.#action();
        } finally {
          this.#actionLine = 0;
        }
    }
    this.#unexpected(item, 'input');
  }

  #action(): Node {
    const item = this.#nextNonSpace();
    switch (item.type) {
      case 'block':
        return this.#blockControl();
      case 'break':
      case 'continue':
        return this.#breakControl(item);
      case 'else':
        return this.#elseControl();
      case 'end':
        return { kind: 'end', pos: this.#expect('rightDelim', 'end').pos, line: 0 };
      case 'if':
      case 'range':
      case 'with':
        return this.#branchControl(item.type);
      case 'template':
        return this.#templateControl();
    }
    this.#backup();
    const start = this.#peek();
    // Variables declared here stay in scope until the enclosing {{end}}.
    return {
      kind: 'action',
      pos: start.pos,
      line: start.line,
      pipe: this.#pipeline('command', 'rightDelim'),
    };
  }

  #breakControl(keyword: Item): Node {
    const kind = keyword.type === 'break' ? 'break' : 'continue';
    const item = this.#nextNonSpace();
    if (item.type !== 'rightDelim') this.#unexpected(item, `{{${kind}}}`);
    if (this.#rangeDepth === 0) this.#fail(`{{${kind}}} outside {{range}}`);
    return { kind, pos: keyword.pos, line: keyword.line };
  }

  #elseControl(): Node {
    const following = this.#peekNonSpace();
    // "{{else if …" and "{{else with …" leave the keyword for the enclosing control to parse.
    if (following.type === 'if' || following.type === 'with') {
      return { kind: 'else', pos: following.pos, line: following.line };
    }
    const item = this.#expect('rightDelim', 'else');
    return { kind: 'else', pos: item.pos, line: item.line };
  }

  #branchControl(kind: 'if' | 'range' | 'with'): BranchNode {
    this.#enter();
    const varsLength = this.#vars.length;
    try {
      const pipe = this.#pipeline(kind, 'rightDelim');
      if (kind === 'range') this.#rangeDepth++;
      const [list, first] = this.#itemList();
      let next = first;
      if (kind === 'range') this.#rangeDepth--;
      let elseList: ListNode | undefined;
      if (next.kind === 'else') {
        if (
          (kind === 'if' && this.#peek().type === 'if') ||
          (kind === 'with' && this.#peek().type === 'with')
        ) {
          // {{else if b}} is {{else}}{{if b}}…{{end}}{{end}} with the inner {{end}} shared.
          this.#next();
          elseList = { kind: 'list', pos: next.pos, nodes: [this.#branchControl(kind)] };
        } else {
          [elseList, next] = this.#itemList();
          if (next.kind !== 'end') this.#fail(`expected end; found ${nodeText(next)}`);
        }
      }
      return { kind, pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.#vars.length = varsLength;
      this.#leave();
    }
  }

  #blockControl(): Node {
    const context = 'block clause';
    const item = this.#nextNonSpace();
    const name = this.#templateName(item, context);
    const pipe = this.#pipeline(context, 'rightDelim');
    const block = new TreeParser(name, this.#shared);
    const [root, end] = block.#itemList();
    block.root = root;
    if (end.kind !== 'end') this.#fail(`unexpected ${nodeText(end)} in ${context}`);
    block.add();
    return { kind: 'template', pos: item.pos, line: item.line, name, pipe } satisfies TemplateNode;
  }

  #templateControl(): Node {
    const context = 'template clause';
    const item = this.#nextNonSpace();
    const name = this.#templateName(item, context);
    let pipe: PipeNode | undefined;
    if (this.#nextNonSpace().type !== 'rightDelim') {
      this.#backup();
      pipe = this.#pipeline(context, 'rightDelim');
    }
    return { kind: 'template', pos: item.pos, line: item.line, name, pipe } satisfies TemplateNode;
  }

  #templateName(item: Item, context: string): ByteString {
    if (item.type === 'string' || item.type === 'rawString') return this.#unquote(item.value);
    this.#unexpected(item, context);
  }

  #unquote(literal: ByteString): ByteString {
    try {
      return unquote(literal);
    } catch (error) {
      if (error instanceof InvalidSyntaxError) this.#fail(error.message);
      throw error;
    }
  }

  /** declarations? command ('|' command)* */
  #pipeline(context: string, end: ItemType): PipeNode {
    const start = this.#peekNonSpace();
    const pipe: PipeNode = {
      kind: 'pipe',
      pos: start.pos,
      line: start.line,
      isAssign: false,
      decl: [],
      cmds: [],
    };
    declarations: for (;;) {
      const variable = this.#peekNonSpace();
      if (variable.type !== 'variable') break;
      this.#next();
      // "$x foo" needs three tokens of look-ahead to tell an argument from a declaration.
      const afterVariable = this.#peek();
      const next = this.#peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        pipe.isAssign = next.type === 'assign';
        this.#nextNonSpace();
        pipe.decl.push(this.#variableNode(variable.pos, variable.value));
        this.#vars.push(variable.value);
      } else if (next.type === 'char' && next.value === ',') {
        this.#nextNonSpace();
        pipe.decl.push(this.#variableNode(variable.pos, variable.value));
        this.#vars.push(variable.value);
        if (context === 'range' && pipe.decl.length < 2) {
          const following = this.#peekNonSpace().type;
          if (following === 'variable' || following === 'rightDelim' || following === 'rightParen') {
            continue declarations;
          }
          this.#fail('range can only initialize variables');
        }
        this.#fail(`too many declarations in ${context}`);
      } else if (afterVariable.type === 'space') {
        this.#backup3(variable, afterVariable);
      } else {
        this.#backup2(variable);
      }
      break;
    }
    for (;;) {
      const item = this.#nextNonSpace();
      if (item.type === end) {
        this.#checkPipeline(pipe, context);
        return pipe;
      }
      if (!COMMAND_STARTS.has(item.type)) this.#unexpected(item, context);
      this.#backup();
      pipe.cmds.push(this.#command());
    }
  }

  #checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.#fail(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((command, index) => {
      const first = command.args[0]!.kind;
      if (
        first === 'bool' ||
        first === 'dot' ||
        first === 'nil' ||
        first === 'number' ||
        first === 'string'
      ) {
        this.#fail(`non executable command in pipeline stage ${index + 2}`);
      }
    });
  }

  #command(): CommandNode {
    const command: CommandNode = { kind: 'command', pos: this.#peekNonSpace().pos, args: [] };
    for (;;) {
      this.#peekNonSpace();
      const operand = this.#operand();
      if (operand) command.args.push(operand);
      const item = this.#next();
      if (item.type === 'space') continue;
      if (item.type === 'rightDelim' || item.type === 'rightParen') this.#backup();
      else if (item.type !== 'pipe') this.#unexpected(item, 'operand');
      break;
    }
    if (command.args.length === 0) this.#fail('empty command');
    return command;
  }

  /** A term possibly followed by .Field accesses. */
  #operand(): ArgumentNode | undefined {
    const term = this.#term();
    if (!term) return undefined;
    if (this.#peek().type !== 'field') return term;
    const pos = this.#peek().pos;
    const fields: ByteString[] = [];
    while (this.#peek().type === 'field') fields.push(this.#next().value.slice(1));
    switch (term.kind) {
      case 'field':
        return { kind: 'field', pos, ident: [...term.ident, ...fields] };
      case 'variable':
        return { kind: 'variable', pos, ident: [...term.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.#fail(sprintf('unexpected . after term %q', [nodeText(term)]));
    }
    return { kind: 'chain', pos, node: term, fields };
  }

  #term(): ArgumentNode | undefined {
    const item = this.#nextNonSpace();
    switch (item.type) {
      case 'identifier':
        if (!this.#shared.hasFunction(item.value))
          this.#fail(sprintf('function %q not defined', [item.value]));
        return { kind: 'identifier', pos: item.pos, ident: item.value };
      case 'dot':
        return { kind: 'dot', pos: item.pos };
      case 'nil':
        return { kind: 'nil', pos: item.pos };
      case 'variable':
        return this.#useVariable(item.pos, item.value);
      case 'field':
        return { kind: 'field', pos: item.pos, ident: item.value.slice(1).split('.') };
      case 'bool':
        return { kind: 'bool', pos: item.pos, value: item.value === 'true' };
      case 'charConstant':
      case 'complex':
      case 'number':
        return this.#number(item);
      case 'leftParen': {
        this.#enter();
        try {
          return this.#pipeline('parenthesized pipeline', 'rightParen');
        } finally {
          this.#leave();
        }
      }
      case 'string':
      case 'rawString':
        return { kind: 'string', pos: item.pos, quoted: item.value, text: this.#unquote(item.value) };
    }
    this.#backup();
    return undefined;
  }

  #variableNode(pos: number, name: ByteString): VariableNode {
    return { kind: 'variable', pos, ident: name.split('.') };
  }

  #useVariable(pos: number, name: ByteString): VariableNode {
    const variable = this.#variableNode(pos, name);
    if (!this.#vars.includes(variable.ident[0]!))
      this.#fail(sprintf('undefined variable %q', [variable.ident[0]!]));
    return variable;
  }

  #number(item: Item): NumberNode {
    try {
      return numberNode(item);
    } catch (error) {
      if (error instanceof NumberSyntax || error instanceof InvalidSyntaxError) this.#fail(error.message);
      throw error;
    }
  }
}

class NumberSyntax extends Error {}

const INT64_MIN = -(2n ** 63n);
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/** A number constant with Go's readings of it: as int64, uint64, float64 (and complex, flagged). */
function numberNode(item: Item): NumberNode {
  const text = item.value;
  const base = { kind: 'number' as const, pos: item.pos, text };
  if (item.type === 'charConstant') {
    const { value, next } = unquoteChar(text, 1, 0x27);
    if (text.slice(next) !== "'") throw new NumberSyntax(`malformed character constant: ${text}`);
    const rune = BigInt(value);
    return {
      ...base,
      isInt: true,
      isUint: true,
      isFloat: true,
      isComplex: false,
      int64: rune,
      uint64: rune,
      float64: value,
    };
  }
  if (item.type === 'complex') {
    const match = /^([+-]?[^+-]+(?:[eEpP][+-]?[0-9_]+)?)([+-].+)i$/.exec(text);
    const real = match ? parseGoFloat(match[1]!) : undefined;
    const imaginary = match ? parseGoFloat(match[2]!) : undefined;
    if (real === undefined || imaginary === undefined)
      throw new NumberSyntax(sprintf('illegal number syntax: %q', [text]));
    return complexNode(base, real, imaginary);
  }
  if (text.endsWith('i')) {
    const imaginary = parseGoFloat(text.slice(0, -1));
    if (imaginary !== undefined) return complexNode(base, 0, imaginary);
  }
  const unsigned = parseGoInteger(text, false);
  const signed = parseGoInteger(text, true);
  let isUint = unsigned !== undefined;
  let uint64 = unsigned ?? 0n;
  let isInt = signed !== undefined;
  let int64 = signed ?? 0n;
  if (isInt && int64 === 0n) {
    isUint = true; // "-0"
    uint64 = unsigned ?? 0n;
  }
  let isFloat = false;
  let float64 = 0;
  if (isInt) {
    isFloat = true;
    float64 = Number(int64);
  } else if (isUint) {
    isFloat = true;
    float64 = Number(uint64);
  } else {
    const parsed = parseGoFloat(text);
    if (parsed !== undefined) {
      // Parsed as a float but written like an integer: an integer too large for 64 bits.
      if (!/[.eEpP]/.test(text)) throw new NumberSyntax(sprintf('integer overflow: %q', [text]));
      isFloat = true;
      float64 = parsed;
      if (Number.isInteger(parsed) && parsed >= -TWO_63 && parsed < TWO_63) {
        isInt = true;
        int64 = BigInt(parsed);
      }
      if (Number.isInteger(parsed) && parsed >= 0 && parsed < TWO_64) {
        isUint = true;
        uint64 = BigInt(parsed);
      }
    }
  }
  if (!isInt && !isUint && !isFloat) throw new NumberSyntax(sprintf('illegal number syntax: %q', [text]));
  void INT64_MIN;
  return { ...base, isInt, isUint, isFloat, isComplex: false, int64, uint64, float64 };
}

/** A complex constant: usable as a number only when its imaginary part is zero (Go's simplifyComplex). */
function complexNode(
  base: { kind: 'number'; pos: number; text: ByteString },
  real: number,
  imaginary: number,
): NumberNode {
  const isFloat = imaginary === 0;
  const isInt = isFloat && Number.isInteger(real) && real >= -TWO_63 && real < TWO_63;
  const isUint = isFloat && Number.isInteger(real) && real >= 0 && real < TWO_64;
  return {
    ...base,
    isComplex: true,
    isFloat,
    isInt,
    isUint,
    float64: isFloat ? real : 0,
    int64: isInt ? BigInt(real) : 0n,
    uint64: isUint ? BigInt(real) : 0n,
  };
}

/** Parses a template text with all the templates it defines. Throws TemplateParseError with Go's message. */
export function parseTemplates(input: ParseInput): ParsedTemplates {
  const trees = new Map<ByteString, Tree>();
  const lexer = new Lexer(input.text, input.leftDelim ?? '', input.rightDelim ?? '', {
    breakOk: !input.hasFunction('break'),
    continueOk: !input.hasFunction('continue'),
  });
  const shared: Shared = {
    lexer,
    parseName: input.name,
    trees,
    hasFunction: input.hasFunction,
    maxNesting: input.maxNesting,
    nesting: 0,
  };
  try {
    new TreeParser(input.name, shared).parseTop();
  } catch (error) {
    if (error instanceof ParseFailure) throw new TemplateParseError(textFromByteString(error.message));
    if (error instanceof RangeError) {
      throw new TemplateParseError(`template: ${textFromByteString(input.name)}: too deeply nested to parse`);
    }
    throw error;
  }
  return { name: input.name, text: input.text, trees };
}
