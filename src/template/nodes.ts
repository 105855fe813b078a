/**
 * The parse tree. Node texts (nodeText) are what Go's error messages show after "at <…>", so they follow
 * Go's rendering of each node exactly.
 */
import { quote } from './go-strconv.ts';
import { textFromByteString, type ByteString } from '../common/go-utf8.ts';

/** Text that Go's bytes.TrimSpace would empty (unicode.IsSpace). */
const GO_SPACE_ONLY = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

interface Positioned {
  /** Byte offset in the source text. */
  readonly pos: number;
}

export interface ListNode extends Positioned {
  readonly kind: 'list';
  readonly nodes: Node[];
}

export interface TextNode extends Positioned {
  readonly kind: 'text';
  readonly text: ByteString;
}

export interface ActionNode extends Positioned {
  readonly kind: 'action';
  readonly line: number;
  readonly pipe: PipeNode;
}

export interface PipeNode extends Positioned {
  readonly kind: 'pipe';
  readonly line: number;
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}

export interface CommandNode extends Positioned {
  readonly kind: 'command';
  readonly args: ArgumentNode[];
}

export interface IdentifierNode extends Positioned {
  readonly kind: 'identifier';
  readonly ident: ByteString;
}

export interface VariableNode extends Positioned {
  readonly kind: 'variable';
  /** "$x.a.b" is ["$x", "a", "b"]. */
  readonly ident: readonly ByteString[];
}

export interface DotNode extends Positioned {
  readonly kind: 'dot';
}

export interface NilNode extends Positioned {
  readonly kind: 'nil';
}

export interface FieldNode extends Positioned {
  readonly kind: 'field';
  /** ".a.b" is ["a", "b"]. */
  readonly ident: readonly ByteString[];
}

export interface ChainNode extends Positioned {
  readonly kind: 'chain';
  readonly node: ArgumentNode;
  readonly fields: ByteString[];
}

export interface BoolNode extends Positioned {
  readonly kind: 'bool';
  readonly value: boolean;
}

/** A number constant with every reading Go's parser found valid for it. */
export interface NumberNode extends Positioned {
  readonly kind: 'number';
  readonly isInt: boolean;
  readonly isUint: boolean;
  readonly isFloat: boolean;
  /** Imaginary and complex constants: parsed like Go, refused when evaluated (no complex values here). */
  readonly isComplex: boolean;
  readonly int64: bigint;
  readonly uint64: bigint;
  readonly float64: number;
  /** The source text, which is also how the node prints. */
  readonly text: ByteString;
}

export interface StringNode extends Positioned {
  readonly kind: 'string';
  /** The literal with its quotes, as written. */
  readonly quoted: ByteString;
  readonly text: ByteString;
}

export interface BranchNode extends Positioned {
  readonly kind: 'if' | 'range' | 'with';
  readonly line: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | undefined;
}

export interface BreakNode extends Positioned {
  readonly kind: 'break' | 'continue';
  readonly line: number;
}

export interface TemplateNode extends Positioned {
  readonly kind: 'template';
  readonly line: number;
  readonly name: ByteString;
  readonly pipe: PipeNode | undefined;
}

/** {{end}} and {{else}}: only seen by the parser. */
export interface EndNode extends Positioned {
  readonly kind: 'end' | 'else';
  readonly line: number;
}

export type ArgumentNode =
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

export type Node = ListNode | TextNode | ActionNode | BranchNode | BreakNode | TemplateNode | EndNode;

export type AnyNode = Node | ArgumentNode | CommandNode;

/** Go's String() of a node. */
export function nodeText(node: AnyNode): ByteString {
  switch (node.kind) {
    case 'list':
      return node.nodes.map(nodeText).join('');
    case 'text':
      return node.text;
    case 'action':
      return `{{${nodeText(node.pipe)}}}`;
    case 'pipe': {
      let text = '';
      if (node.decl.length > 0)
        text = `${node.decl.map(nodeText).join(', ')}${node.isAssign ? ' = ' : ' := '}`;
      return text + node.cmds.map(nodeText).join(' | ');
    }
    case 'command':
      return node.args.map((arg) => (arg.kind === 'pipe' ? `(${nodeText(arg)})` : nodeText(arg))).join(' ');
    case 'identifier':
      return node.ident;
    case 'variable':
      return node.ident.join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'field':
      return node.ident.map((ident) => `.${ident}`).join('');
    case 'chain': {
      const head = node.node.kind === 'pipe' ? `(${nodeText(node.node)})` : nodeText(node.node);
      return head + node.fields.map((field) => `.${field}`).join('');
    }
    case 'bool':
      return node.value ? 'true' : 'false';
    case 'number':
      return node.text;
    case 'string':
      return node.quoted;
    case 'if':
    case 'range':
    case 'with': {
      const elsePart = node.elseList ? `{{else}}${nodeText(node.elseList)}` : '';
      return `{{${node.kind} ${nodeText(node.pipe)}}}${nodeText(node.list)}${elsePart}{{end}}`;
    }
    case 'break':
    case 'continue':
      return `{{${node.kind}}}`;
    case 'template':
      return `{{template ${quote(node.name)}${node.pipe ? ` ${nodeText(node.pipe)}` : ''}}}`;
    case 'end':
      return '{{end}}';
    case 'else':
      return '{{else}}';
  }
}

/** A parsed template: its name, the name of the text it came from (for error locations) and its body. */
export interface Tree {
  readonly name: ByteString;
  readonly parseName: ByteString;
  readonly root: ListNode;
}

/** Whether a body holds nothing but space (Go's IsEmptyTree): such a definition may be replaced. */
export function isEmptyTree(node: Node | undefined): boolean {
  if (!node) return true;
  switch (node.kind) {
    case 'list':
      return node.nodes.every(isEmptyTree);
    case 'text':
      return GO_SPACE_ONLY.test(textFromByteString(node.text));
    default:
      return false;
  }
}
