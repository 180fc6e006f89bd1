/**
 * Compiles an expression AST into a straight-line program of whole-array kernels over a few Float64
 * scratch arrays ("slots"), then runs it per tile. Float64 inside (numpy computes band math in
 * float64 too), Float32 out.
 *
 * Compilation does the per-expression work once: it checks the AST against the whitelists again (an
 * AST may come from a cache or a file, not only from the parser), folds constant subtrees by running
 * the same kernels on one element, and assigns slots so a node's result reuses a dead operand's slot.
 */
import { BINARY, FUNCTION_KERNELS, UNARY } from './expression-kernels.ts';
import type { Arr, Kernel } from './expression-kernels.ts';
import { CONSTANTS, DEFAULT_VARIABLES, ExpressionError, FUNCTIONS } from './expression-syntax.ts';
import type { ExprNode } from './expression-syntax.ts';

export type ExpressionInput = Float32Array | Float64Array;
export interface ExpressionResult {
  /** The result per pixel; NaN wherever `mask` is 0. */
  values: Float32Array;
  /** 255 where the result is valid, 0 where an input was invalid or the result is not a finite float32. */
  mask: Uint8Array;
}
/**
 * Evaluates a compiled expression. `inputs[i]` holds variable `variables[i]` (v1 → inputs[0] by
 * default); only the variables the expression reads need an array, and those must all be the same
 * length. `masks` is one validity mask for all inputs, or one per input (undefined: all valid);
 * 0 is invalid, anything else valid.
 */
export type CompiledExpression = (
  inputs: readonly (ExpressionInput | undefined)[],
  masks?: Uint8Array | readonly (Uint8Array | undefined)[],
) => ExpressionResult;

export interface CompileOptions {
  /** Variable names in the order of the `inputs` array (default v1…v32). */
  variables?: readonly string[];
}

type Operand = { kind: 'input' | 'slot' | 'const'; index: number };
interface Step { kernel: Kernel; args: Operand[]; dst: number }

/** A step that writes a constant into its slot; a fill costs ~0.03 ms a tile, a kept array 0.5 MB. */
const fillWith = (value: number): Kernel => (o, _args, n) => { o.fill(value, 0, n); };

export function compileExpression(ast: ExprNode, options: CompileOptions = {}): CompiledExpression {
  const names = options.variables ?? DEFAULT_VARIABLES;
  const steps: Step[] = [];
  const consts: number[] = [];
  const used: number[] = []; // input indexes the program reads
  const free: number[] = [];
  let slotCount = 0;
  const allocate = (): number => free.pop() ?? slotCount++;

  const constant = (value: number): Operand => {
    // ±Infinity is invalid like NaN (an AST need not come from the parser, which refuses 1e400).
    consts.push(value - value === 0 ? value : NaN);
    return { kind: 'const', index: consts.length - 1 };
  };

  const emit = (kernel: Kernel, children: readonly ExprNode[]): Operand => {
    const compiled = children.map(compile);
    if (compiled.every((a) => a.kind === 'const')) {
      const out = new Float64Array(1);
      kernel(out, compiled.map((a) => Float64Array.of(consts[a.index])), 1);
      return constant(out[0]);
    }
    const args = compiled.map((a): Operand => {
      if (a.kind !== 'const') return a;
      const dst = allocate();
      steps.push({ kernel: fillWith(consts[a.index]), args: [], dst });
      return { kind: 'slot', index: dst };
    });
    // Operands are dead once this step has read them, so its result may reuse one of their slots.
    for (const a of args) if (a.kind === 'slot') free.push(a.index);
    const dst = allocate();
    steps.push({ kernel, args, dst });
    return { kind: 'slot', index: dst };
  };

  function compile(node: ExprNode): Operand {
    switch (node?.type) {
      case 'number':
        if (typeof node.value !== 'number') break;
        return constant(node.value);
      case 'constant': {
        const value = CONSTANTS.get(node.name);
        if (value === undefined) break;
        return constant(value);
      }
      case 'variable': {
        const index = names.indexOf(node.name);
        if (index < 0) throw new ExpressionError(`unknown variable "${String(node.name)}"`);
        if (!used.includes(index)) used.push(index);
        return { kind: 'input', index };
      }
      case 'unary':
        if (node.op === '+') return compile(node.arg);
        if (node.op !== '-' && node.op !== '~') break;
        return emit(UNARY[node.op], [node.arg]);
      case 'binary':
        if (!Object.hasOwn(BINARY, node.op)) break;
        return emit(BINARY[node.op], [node.left, node.right]);
      case 'call':
        if (!Object.hasOwn(FUNCTION_KERNELS, node.name) || node.args?.length !== FUNCTIONS.get(node.name)) break;
        return emit(FUNCTION_KERNELS[node.name], node.args);
      default:
        break;
    }
    throw new ExpressionError(`invalid expression node ${JSON.stringify(node)?.slice(0, 80)}`);
  }

  const result = compile(ast);
  const rootConstant = result.kind === 'const' ? consts[result.index] : undefined;
  return makeRunner(steps, used, slotCount, result, rootConstant, names);
}

/**
 * Scratch arrays shared by every compiled expression, per pixel count (a few tile sizes): a cached
 * expression then holds no pixel memory. Evaluation is synchronous, so no two evaluations use them
 * at once. Beyond KEEP arrays (a deep expression's need) the pool is trimmed after use.
 */
const pools = new Map<number, Float64Array[]>();
const KEEP = 8;

function scratch(n: number, count: number): Float64Array[] {
  let pool = pools.get(n);
  if (pool === undefined) {
    if (pools.size >= 3) pools.delete(pools.keys().next().value as number);
    pools.set(n, (pool = []));
  }
  while (pool.length < count) pool.push(new Float64Array(n));
  return pool;
}

function makeRunner(
  steps: readonly Step[], used: readonly number[], slotCount: number,
  result: Operand, rootConstant: number | undefined, names: readonly string[],
): CompiledExpression {
  return (inputs, masks) => {
    const n = pixelCount(inputs, masks, used, names);
    const slots = scratch(n, slotCount);
    const resolve = (a: Operand): Arr => (a.kind === 'slot' ? slots : inputs as Arr[])[a.index];
    const values = new Float32Array(n);
    const last = steps.length - 1;
    // Steps run in post-order, so the last one computes the root: it writes the output array itself.
    for (let s = 0; s <= last; s++) {
      const step = steps[s];
      step.kernel(s === last ? values : slots[step.dst], step.args.map(resolve), n);
    }
    if (slots.length > KEEP) slots.length = KEEP;
    if (rootConstant !== undefined) values.fill(rootConstant);
    else if (result.kind === 'input') values.set(resolve(result));
    return { values, mask: finish(values, masksFor(masks, used, n), n) };
  };
}

function pixelCount(
  inputs: readonly (ExpressionInput | undefined)[], masks: Uint8Array | readonly (Uint8Array | undefined)[] | undefined,
  used: readonly number[], names: readonly string[],
): number {
  let n = -1;
  for (const index of used) {
    const input = inputs[index];
    if (!(input instanceof Float32Array || input instanceof Float64Array)) {
      throw new Error(`expression input for "${names[index]}" (inputs[${index}]) must be a Float32Array or Float64Array`);
    }
    if (n >= 0 && input.length !== n) throw new Error(`expression inputs differ in length (${n} and ${input.length})`);
    n = input.length;
  }
  if (n < 0) n = masks instanceof Uint8Array ? masks.length : (inputs.find((a) => a !== undefined)?.length ?? -1);
  if (n < 0) throw new Error('an expression without variables needs an input or a mask to take its pixel count from');
  return n;
}

/** The masks that apply: the one shared mask, or those of the inputs the expression reads. */
function masksFor(
  masks: Uint8Array | readonly (Uint8Array | undefined)[] | undefined, used: readonly number[], n: number,
): Uint8Array[] {
  const list = masks instanceof Uint8Array ? [masks] : used.map((index) => masks?.[index]);
  const present = list.filter((m): m is Uint8Array => m !== undefined);
  for (const m of present) {
    if (!(m instanceof Uint8Array) || m.length !== n) throw new Error(`expression masks must be Uint8Arrays of ${n} pixels`);
  }
  return present;
}

/**
 * The output mask: the AND of the input masks, and of finiteness judged on the Float32 values (a
 * finite float64 can overflow float32). Values the mask rules out become NaN. One pass reading at
 * most two masks, because each pass over a tile costs ~0.1 ms whatever it does; plain branches,
 * because invalid pixels come in runs (nodata areas, edges) and so predict well: measured faster
 * here than the branch-free forms the kernels use.
 */
function finish(values: Float32Array, masks: readonly Uint8Array[], n: number): Uint8Array {
  const mask = new Uint8Array(n);
  if (masks.length === 0) {
    for (let i = 0; i < n; i++) { const v = values[i]; if (v - v === 0) mask[i] = 255; else values[i] = NaN; }
    return mask;
  }
  const first = masks[0];
  let rest = masks[masks.length - 1];
  if (masks.length > 2) {
    rest = new Uint8Array(n).fill(1);
    for (const m of masks.slice(1)) for (let i = 0; i < n; i++) rest[i] &= +(m[i] !== 0);
  }
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v - v === 0 && first[i] !== 0 && rest[i] !== 0) mask[i] = 255;
    else values[i] = NaN;
  }
  return mask;
}
