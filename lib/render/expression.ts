/**
 * Band math for `GET /compute/…?expression=(v1-v2)/(v1+v2)&v1=B08&v2=B04`, with Terracotta's
 * semantics: Python/numexpr syntax over v1…vN, a whitelist of numpy functions, and every pixel whose
 * result is NaN or ±Infinity (x/0, log(-1), sqrt(-1), overflow) or whose inputs are invalid masked out.
 *
 *   const ast = parseExpression(text, { variables: ['v1', 'v2'] }); // throws ExpressionError → 400
 *   const names = variablesOf(ast);                                 // datasets to read
 *   const run = compileExpression(ast);                             // once per expression
 *   const { values, mask } = run([b08, b04], [mask08, mask04]);      // per tile
 *
 * Grammar (loosest first, as in Python): comparisons < <= > >= == != (not chained) · | · & ·
 * + - · * / % · unary + - ~ · ** (right-associative; -2**2 is -4, 2**-1 is 0.5) · atoms: numbers
 * (1, 1.5, .5, 1e-3), variables, pi, nan, (…), calls to whitelisted functions. & | ~ take only
 * true/false operands (comparisons, isnan, isfinite), as numexpr does; booleans are 1 and 0.
 *
 * Cost per 256×256 tile, Float32 inputs, output arrays included (this 2-core machine while others
 * were running, Node 20, median of 500 after warm-up; smooth image-like inputs / white noise):
 *   (v1-v2)/(v1+v2)                                       0.42 ms, 0.47 ms with two masks / 0.45 ms
 *   where((v1 > 0.1) & (v2 < 0.5), (v1-v2)/(v1+v2), nan)  1.1 ms, 1.2 ms with two masks / 1.8 ms
 * Each node is one pass of ~0.1 ms (see expression-kernels.ts), plus ~0.12 ms for the mask.
 */
export { parseExpression } from './expression-parse.ts';
export type { ParseOptions } from './expression-parse.ts';
export { compileExpression } from './expression-compile.ts';
export type { CompileOptions, CompiledExpression, ExpressionInput, ExpressionResult } from './expression-compile.ts';
export {
  CONSTANTS, DEFAULT_VARIABLES, ExpressionError, FUNCTION_ARITY, MAX_VARIABLES, isBoolean, variablesOf,
} from './expression-syntax.ts';
export type { BinaryOp, ConstantName, ExprNode, FunctionName, UnaryOp } from './expression-syntax.ts';
