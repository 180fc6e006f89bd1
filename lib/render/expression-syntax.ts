/**
 * The band-math language shared by the parser and the compiler: the AST (a plain, JSON-serialisable
 * value), the whitelists of functions and constants, and the error type the API turns into a 400.
 *
 * The language is Terracotta's compute language (Python/numexpr syntax over v1…vN): same operator
 * precedence as Python, so an expression means the same thing on both servers.
 */
import { InputError } from '../errors/index.ts';

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '**' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&' | '|';
export type UnaryOp = '-' | '+' | '~';

/** Function name → number of arguments. Terracotta's numpy names plus the numexpr ones users expect. */
export const FUNCTION_ARITY = {
  where: 3,
  abs: 1, sqrt: 1, log: 1, log10: 1, log1p: 1, exp: 1, expm1: 1,
  sin: 1, cos: 1, tan: 1, arcsin: 1, arccos: 1, arctan: 1, arctan2: 2,
  sinh: 1, cosh: 1, tanh: 1, arcsinh: 1, arccosh: 1, arctanh: 1,
  minimum: 2, maximum: 2, min: 2, max: 2, mod: 2, clip: 3,
  floor: 1, ceil: 1, round: 1, isnan: 1, isfinite: 1,
} as const;
export type FunctionName = keyof typeof FUNCTION_ARITY;

/** A Map, not the object above, for lookups of user text: `"constructor" in {}` is true. */
export const FUNCTIONS: ReadonlyMap<string, number> = new Map(Object.entries(FUNCTION_ARITY));

/** Named constants (Terracotta has these two): `nan` lets a user mark pixels invalid, e.g. where(v1 < 0, nan, v1). */
export const CONSTANTS: ReadonlyMap<string, number> = new Map([['pi', Math.PI], ['nan', NaN]]);
export type ConstantName = 'pi' | 'nan';

export type ExprNode =
  | { type: 'number'; value: number }
  | { type: 'constant'; name: ConstantName }
  | { type: 'variable'; name: string }
  | { type: 'unary'; op: UnaryOp; arg: ExprNode }
  | { type: 'binary'; op: BinaryOp; left: ExprNode; right: ExprNode }
  | { type: 'call'; name: FunctionName; args: ExprNode[] };

export const MAX_VARIABLES = 32;
/** v1 … v32, Terracotta's operand names; v1 is inputs[0] unless the caller says otherwise. */
export const DEFAULT_VARIABLES: readonly string[] = Array.from({ length: MAX_VARIABLES }, (_, i) => `v${i + 1}`);

export const COMPARISONS: ReadonlySet<string> = new Set(['<', '<=', '>', '>=', '==', '!=']);

/** Bad user input (an expression, or a variable list). `position` is a 0-based index into the text. */
export class ExpressionError extends InputError {
  override name = 'ExpressionError';
  readonly position: number | undefined;
  constructor(message: string, position?: number) {
    super(message);
    this.position = position;
  }
}

/**
 * Whether a node yields a boolean (1/0). `& | ~` demand booleans, as numexpr does, because on
 * numbers they would be bitwise operations nobody means in band math.
 */
export function isBoolean(node: ExprNode): boolean {
  switch (node.type) {
    case 'binary': return COMPARISONS.has(node.op) || node.op === '&' || node.op === '|';
    case 'unary': return node.op === '~';
    case 'call': return node.name === 'isnan' || node.name === 'isfinite';
    default: return false;
  }
}

/** Every variable name an AST reads, so the API fetches only those datasets. */
export function variablesOf(ast: ExprNode): Set<string> {
  const names = new Set<string>();
  const stack: ExprNode[] = [ast];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    switch (node.type) {
      case 'variable': names.add(node.name); break;
      case 'unary': stack.push(node.arg); break;
      case 'binary': stack.push(node.left, node.right); break;
      case 'call': stack.push(...node.args); break;
      default: break;
    }
  }
  return names;
}
