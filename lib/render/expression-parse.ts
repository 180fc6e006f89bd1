/**
 * Tokenizer and precedence-climbing parser for band-math expressions. User text is only ever
 * matched against a fixed grammar and whitelists; nothing here (or anywhere) evaluates it as code.
 *
 * Every loop consumes input and every recursion first passes the depth check, so hostile text ends
 * in an ExpressionError quickly: never a hang, never a stack overflow, never another exception type.
 */
import {
  COMPARISONS, CONSTANTS, DEFAULT_VARIABLES, ExpressionError, FUNCTIONS, MAX_VARIABLES, isBoolean,
} from './expression-syntax.ts';
import type { BinaryOp, ExprNode, FunctionName, UnaryOp } from './expression-syntax.ts';

export interface ParseOptions {
  /** Longest accepted text, in UTF-16 code units (default 1000). */
  maxLength?: number;
  /** Deepest nesting of parentheses, calls, unary operators and power exponents (default 32). */
  maxDepth?: number;
  /** Most AST nodes (default 256): bounds the work one request can ask of every pixel. */
  maxNodes?: number;
  /** Names an expression may read (default v1…v32); case-sensitive. */
  variables?: readonly string[];
}

interface Token { kind: 'number' | 'name' | 'op' | 'end'; text: string; pos: number; value: number }

// Longest first, so "**" wins over "*" and "<=" over "<".
const OPERATORS = ['**', '<=', '>=', '==', '!=', '+', '-', '*', '/', '%', '<', '>', '&', '|', '~', '(', ')', ','];
const NUMBER = /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const WORD = /[A-Za-z0-9_.]*/y;
const SPACE = /[ \t\r\n]*/y;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HINTS = new Map([
  ['=', ' (use == to compare)'], ['^', ' (use ** for powers)'], ['!', ' (use ~ for "not", != to compare)'],
  ['.', ' (attribute access is not allowed)'], ['"', ' (strings are not allowed)'], ["'", ' (strings are not allowed)'],
  ['`', ' (strings are not allowed)'], ['[', ' (indexing is not allowed)'], [';', ' (one expression only)'],
]);

/** Binding powers [left, right]: Python's order, loosest first. `**` is right-associative. */
const INFIX = new Map<string, readonly [number, number]>([
  ['<', [1, 2]], ['<=', [1, 2]], ['>', [1, 2]], ['>=', [1, 2]], ['==', [1, 2]], ['!=', [1, 2]],
  ['|', [2, 3]], ['&', [3, 4]], ['+', [4, 5]], ['-', [4, 5]], ['*', [5, 6]], ['/', [5, 6]], ['%', [5, 6]],
  ['**', [7, 6]],
]);
/** Unary operators bind looser than `**` on their right (-2**2 is -4) and tighter than `*`. */
const UNARY_BP = 6;

/** Quote user text in a message without letting it run long or smuggle control characters. */
function quote(text: string): string {
  return `"${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`;
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'the end of the expression' : quote(token.text);
}

class Lexer {
  pos = 0;
  constructor(private readonly src: string) {}

  /** The next non-blank character, without tokenizing it: lets the parser tell "f(" from "f". */
  peekChar(): string {
    SPACE.lastIndex = this.pos;
    SPACE.exec(this.src);
    this.pos = SPACE.lastIndex;
    return this.src.charAt(this.pos);
  }

  next(): Token {
    const c = this.peekChar();
    const pos = this.pos;
    if (c === '') return { kind: 'end', text: '', pos, value: 0 };
    if ((c >= '0' && c <= '9') || (c === '.' && /[0-9]/.test(this.src.charAt(pos + 1)))) return this.number(pos);
    NAME.lastIndex = pos;
    const name = NAME.exec(this.src);
    // A name must not run into a non-ASCII letter: "vі" (Cyrillic і) is reported at the і, not as "v".
    if (name && !(this.src.charCodeAt(NAME.lastIndex) > 0x7f)) {
      this.pos = NAME.lastIndex;
      return { kind: 'name', text: name[0], pos, value: 0 };
    }
    if (name) return this.unexpected(NAME.lastIndex);
    for (const op of OPERATORS) {
      if (this.src.startsWith(op, pos)) {
        this.pos = pos + op.length;
        return { kind: 'op', text: op, pos, value: 0 };
      }
    }
    return this.unexpected(pos);
  }

  private unexpected(pos: number): never {
    const c = this.src.charAt(pos);
    const code = this.src.codePointAt(pos) ?? 0;
    // Printable ASCII is shown as typed; anything else by code point, so lookalikes are visible.
    const shown = code === 0x22 ? `'"'` : code > 0x20 && code < 0x7f ? quote(c) : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new ExpressionError(`unexpected character ${shown} at position ${pos}${HINTS.get(c) ?? ''}`, pos);
  }

  private number(pos: number): Token {
    NUMBER.lastIndex = pos;
    const text = (NUMBER.exec(this.src) as RegExpExecArray)[0];
    WORD.lastIndex = pos + text.length;
    const tail = (WORD.exec(this.src) as RegExpExecArray)[0];
    if (tail !== '') throw new ExpressionError(`malformed number ${quote(text + tail)} at position ${pos}`, pos);
    const value = Number(text);
    if (!Number.isFinite(value)) throw new ExpressionError(`number ${quote(text)} at position ${pos} is out of range`, pos);
    this.pos = pos + text.length;
    return { kind: 'number', text, pos, value };
  }
}

class Parser {
  private lookahead: Token | undefined;
  private depth = 0;
  private nodes = 0;

  constructor(
    private readonly lexer: Lexer,
    private readonly variables: ReadonlySet<string>,
    private readonly maxDepth: number,
    private readonly maxNodes: number,
  ) {}

  // Tokens are read lazily so "process.exit()" reports the unknown name before the "." after it.
  peek(): Token {
    return (this.lookahead ??= this.lexer.next());
  }

  private take(): Token {
    const token = this.peek();
    this.lookahead = undefined;
    return token;
  }

  private node(node: ExprNode): ExprNode {
    if (++this.nodes > this.maxNodes) throw new ExpressionError(`expression is too complex (more than ${this.maxNodes} terms)`);
    return node;
  }

  /** Parses operators binding at least `minBp`; `pos` places a depth error. */
  expression(minBp: number, pos: number): ExprNode {
    if (++this.depth > this.maxDepth) {
      throw new ExpressionError(`expression nests too deeply at position ${pos} (limit ${this.maxDepth} levels)`, pos);
    }
    let left = this.prefix();
    let compared = false;
    for (;;) {
      const token = this.peek();
      const bp = token.kind === 'op' ? INFIX.get(token.text) : undefined;
      if (bp === undefined || bp[0] < minBp) break;
      this.take();
      const op = token.text as BinaryOp;
      if (COMPARISONS.has(op)) {
        if (compared) {
          throw new ExpressionError(`chained comparison at position ${token.pos}: write (a < b) & (b < c) instead of a < b < c`, token.pos);
        }
        compared = true;
      }
      const right = this.expression(bp[1], token.pos + op.length);
      if ((op === '&' || op === '|') && !(isBoolean(left) && isBoolean(right))) {
        throw new ExpressionError(
          `operator "${op}" at position ${token.pos} needs true/false operands such as comparisons; `
          + '& and | bind tighter than comparisons, as in Python, so write (v1 > 0) & (v2 < 1)', token.pos);
      }
      left = this.node({ type: 'binary', op, left, right });
    }
    this.depth--;
    return left;
  }

  private prefix(): ExprNode {
    const token = this.take();
    if (token.kind === 'number') return this.node({ type: 'number', value: token.value });
    if (token.kind === 'name') return this.name(token);
    if (token.text === '(') {
      const inner = this.expression(0, token.pos + 1);
      this.expect(')', token);
      return inner;
    }
    if (token.text === '-' || token.text === '+' || token.text === '~') {
      const arg = this.expression(UNARY_BP, token.pos + 1);
      if (token.text === '~' && !isBoolean(arg)) {
        throw new ExpressionError(`operator "~" at position ${token.pos} needs a true/false operand, e.g. ~(v1 > 0)`, token.pos);
      }
      return this.node({ type: 'unary', op: token.text as UnaryOp, arg });
    }
    if (token.kind === 'end') throw new ExpressionError(`expression ends unexpectedly at position ${token.pos}`, token.pos);
    throw new ExpressionError(`unexpected ${describe(token)} at position ${token.pos}`, token.pos);
  }

  private name(token: Token): ExprNode {
    const { text, pos } = token;
    if (this.lexer.peekChar() === '(') {
      const arity = FUNCTIONS.get(text);
      if (arity === undefined) throw new ExpressionError(`unknown function ${quote(text)} at position ${pos}`, pos);
      const open = this.take();
      const args: ExprNode[] = [];
      if (this.peek().text !== ')') {
        args.push(this.expression(0, open.pos + 1));
        while (this.peek().text === ',') args.push(this.expression(0, this.take().pos + 1));
      }
      this.expect(')', open);
      if (args.length !== arity) {
        throw new ExpressionError(`function "${text}" at position ${pos} takes ${arity} argument${arity > 1 ? 's' : ''}, got ${args.length}`, pos);
      }
      return this.node({ type: 'call', name: text as FunctionName, args });
    }
    if (CONSTANTS.has(text)) return this.node({ type: 'constant', name: text as 'pi' | 'nan' });
    if (this.variables.has(text)) return this.node({ type: 'variable', name: text });
    if (FUNCTIONS.has(text)) throw new ExpressionError(`function "${text}" at position ${pos} must be called, e.g. ${text}(v1)`, pos);
    if (/^v[0-9]+$/.test(text)) throw new ExpressionError(`unknown variable ${quote(text)} at position ${pos}`, pos);
    throw new ExpressionError(`unknown name ${quote(text)} at position ${pos}`, pos);
  }

  private expect(text: string, open: Token): void {
    const token = this.take();
    if (token.text === text && token.kind === 'op') return;
    throw new ExpressionError(
      `expected "${text}" at position ${token.pos} to close "${open.text}" at position ${open.pos}, found ${describe(token)}`,
      token.pos);
  }
}

function limit(value: number | undefined, fallback: number, what: string, max = Infinity): number {
  const n = value ?? fallback;
  if (!(Number.isInteger(n) || n === Infinity) || n < 1 || n > max) {
    throw new ExpressionError(`${what} must be a whole number from 1 to ${max}`);
  }
  return n;
}

/** Parse band-math text into an AST, or throw an ExpressionError naming what is wrong and where. */
export function parseExpression(text: string, options: ParseOptions = {}): ExprNode {
  const maxLength = limit(options.maxLength, 1000, 'maxLength');
  // Capped so the parser's recursion (and the compiler's) stays far from the call stack's limit.
  const maxDepth = limit(options.maxDepth, 32, 'maxDepth', 1000);
  const maxNodes = limit(options.maxNodes, 256, 'maxNodes');
  const names = options.variables ?? DEFAULT_VARIABLES;
  if (names.length > MAX_VARIABLES) throw new ExpressionError(`at most ${MAX_VARIABLES} variables are allowed`);
  for (const name of names) {
    if (typeof name !== 'string' || !IDENTIFIER.test(name) || FUNCTIONS.has(name) || CONSTANTS.has(name)) {
      throw new ExpressionError(`invalid variable name ${quote(String(name))}`);
    }
  }
  if (typeof text !== 'string') throw new ExpressionError('expression must be a string');
  if (text.length > maxLength) throw new ExpressionError(`expression is too long (${text.length} characters, limit ${maxLength})`);
  if (/^[ \t\r\n]*$/.test(text)) throw new ExpressionError('expression is empty');

  const parser = new Parser(new Lexer(text), new Set(names), maxDepth, maxNodes);
  const ast = parser.expression(0, 0);
  const rest = parser.peek();
  if (rest.kind !== 'end') throw new ExpressionError(`unexpected ${describe(rest)} at position ${rest.pos}`, rest.pos);
  return ast;
}
