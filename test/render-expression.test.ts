import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ExpressionError, FUNCTION_ARITY, compileExpression, parseExpression, variablesOf,
} from '../lib/render/expression.ts';
import type { ExprNode, ParseOptions } from '../lib/render/expression.ts';

/** Evaluates `text` over per-variable number lists; invalid pixels come back as null. */
function evaluate(text: string, inputs: number[][], masks?: (number[] | undefined)[], options?: ParseOptions): (number | null)[] {
  const run = compileExpression(parseExpression(text, options), { variables: options?.variables });
  const { values, mask } = run(inputs.map((v) => Float32Array.from(v)), masks?.map((m) => m && Uint8Array.from(m)));
  return Array.from(values, (v, i) => {
    assert.equal(mask[i] === 255, Number.isFinite(v), `mask and value disagree at ${i}`);
    return mask[i] === 255 ? v : null;
  });
}

function near(actual: (number | null)[], expected: (number | null)[], message?: string): void {
  assert.equal(actual.length, expected.length, message);
  actual.forEach((a, i) => {
    const e = expected[i];
    if (a === null || e === null) assert.equal(a, e, `${message} [${i}]: ${a} vs ${e}`);
    else assert.ok(Math.abs(a - e) <= 1e-6 * Math.max(1, Math.abs(e)), `${message} [${i}]: ${a} vs ${e}`);
  });
}

test('every operator and function against hand-computed values', () => {
  const { PI, E } = Math;
  const cases: [string, number[][], (number | null)[]][] = [
    ['v1 + v2', [[1, -2.5], [2, 0.5]], [3, -2]],
    ['v1 - v2', [[1, -2.5], [2, 0.5]], [-1, -3]],
    ['v1 * v2', [[3, -2.5], [2, 0.5]], [6, -1.25]],
    ['v1 / v2', [[3, 1], [2, -4]], [1.5, -0.25]],
    ['v1 % v2', [[-7, 7, 7.5, 6], [3, -3, 2, 3]], [2, -2, 1.5, 0]], // Python's sign rule
    ['v1 ** v2', [[2, 9, 4], [10, 0.5, -1]], [1024, 3, 0.25]],
    ['-v1', [[2, -3]], [-2, 3]],
    ['+v1', [[2, -3]], [2, -3]],
    ['v1 < v2', [[1, 2, 3], [2, 2, 2]], [1, 0, 0]],
    ['v1 <= v2', [[1, 2, 3], [2, 2, 2]], [1, 1, 0]],
    ['v1 > v2', [[1, 2, 3], [2, 2, 2]], [0, 0, 1]],
    ['v1 >= v2', [[1, 2, 3], [2, 2, 2]], [0, 1, 1]],
    ['v1 == v2', [[1, 2, 3], [2, 2, 2]], [0, 1, 0]],
    ['v1 != v2', [[1, 2, 3], [2, 2, 2]], [1, 0, 1]],
    ['(v1 > 0) & (v2 > 0)', [[1, 1, -1, -1], [1, -1, 1, -1]], [1, 0, 0, 0]],
    ['(v1 > 0) | (v2 > 0)', [[1, 1, -1, -1], [1, -1, 1, -1]], [1, 1, 1, 0]],
    ['~(v1 > 0)', [[1, -1]], [0, 1]],
    ['where(v1 > 0, v2, -v2)', [[1, -1, 0], [5, 5, 5]], [5, -5, -5]],
    ['abs(v1)', [[-3, 2]], [3, 2]], ['sqrt(v1)', [[16, 2]], [4, Math.SQRT2]],
    ['log(v1)', [[E, 1]], [1, 0]], ['log10(v1)', [[1000, 0.01]], [3, -2]], ['log1p(v1)', [[0, E - 1]], [0, 1]],
    ['exp(v1)', [[0, 1]], [1, E]], ['expm1(v1)', [[0, 1]], [0, E - 1]],
    ['sin(v1)', [[0, PI / 2]], [0, 1]], ['cos(v1)', [[0, PI]], [1, -1]], ['tan(v1)', [[0, PI / 4]], [0, 1]],
    ['arcsin(v1)', [[1, 0]], [PI / 2, 0]], ['arccos(v1)', [[1, -1]], [0, PI]], ['arctan(v1)', [[1, 0]], [PI / 4, 0]],
    ['arctan2(v1, v2)', [[1, 1], [1, -1]], [PI / 4, 3 * PI / 4]],
    ['sinh(v1)', [[0, 1]], [0, Math.sinh(1)]], ['cosh(v1)', [[0, 1]], [1, Math.cosh(1)]], ['tanh(v1)', [[0, 1]], [0, Math.tanh(1)]],
    ['arcsinh(v1)', [[0, 1]], [0, Math.asinh(1)]], ['arccosh(v1)', [[1, 2]], [0, Math.acosh(2)]],
    ['arctanh(v1)', [[0, 0.5]], [0, Math.atanh(0.5)]],
    ['minimum(v1, v2)', [[1, 5], [2, 3]], [1, 3]], ['maximum(v1, v2)', [[1, 5], [2, 3]], [2, 5]],
    ['min(v1, v2)', [[1, 5], [2, 3]], [1, 3]], ['max(v1, v2)', [[1, 5], [2, 3]], [2, 5]],
    ['mod(v1, v2)', [[-7, 7], [3, 3]], [2, 1]],
    ['clip(v1, 0, 3)', [[-1, 2, 5]], [0, 2, 3]],
    ['floor(v1)', [[-1.5, 1.5]], [-2, 1]], ['ceil(v1)', [[-1.5, 1.5]], [-1, 2]],
    ['round(v1)', [[2.5, 3.5, -2.5, 1.4, -1.6]], [2, 4, -2, 1, -2]], // halves to even, as numpy
    ['isnan(log(v1))', [[-1, 1]], [1, 0]], ['isfinite(1 / v1)', [[0, 2]], [0, 1]],
    ['pi * v1', [[1]], [PI]], ['where(v1 < 0, nan, v1)', [[-1, 2]], [null, 2]],
  ];
  for (const [text, inputs, expected] of cases) near(evaluate(text, inputs), expected, text);
  const covered = new Set(cases.flatMap(([text]) => [...text.matchAll(/([a-z0-9]+)\(/g)].map((m) => m[1])));
  for (const name of Object.keys(FUNCTION_ARITY)) assert.ok(covered.has(name), `no case for ${name}`);
});

test('precedence and associativity follow Python / numexpr', () => {
  const cases: [string, number][] = [
    ['2**3**2', 512], ['-2**2', -4], ['2**-1', 0.5], ['(-2)**2', 4], ['1 + 2 * 3', 7], ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3], ['8 / 4 / 2', 1], ['2 * 3 % 4', 2], ['-3 % 2', 1], ['--2', 2], ['-+-2', 2], ['1e3 + .5 + 2.', 1002.5],
    ['1 + 2 > 2', 1], ['(1 > 0) | (1 > 0) & (1 < 0)', 1], ['~(1 > 0) & (1 < 0)', 0], ['2 * -3', -6], ['1E-2', 0.01],
  ];
  for (const [text, expected] of cases) near(evaluate(text, [[0]]), [expected], text);
  assert.deepEqual(parseExpression('v1 - v2 * 3'), {
    type: 'binary', op: '-', left: { type: 'variable', name: 'v1' },
    right: { type: 'binary', op: '*', left: { type: 'variable', name: 'v2' }, right: { type: 'number', value: 3 } },
  });
});

test('NDVI, and every non-finite result or invalid input is an invalid pixel', () => {
  near(evaluate('(v1-v2)/(v1+v2)', [[0.5, 0.3, 0, 0.8], [0.1, 0.3, 0, 0.2]]), [0.4 / 0.6, 0, null, 0.6]);
  near(evaluate('v1 / v2', [[1, 0, -1], [0, 0, 0]]), [null, null, null], 'x/0');
  near(evaluate('log(v1)', [[-1, 0, 1]]), [null, null, 0], 'log');
  near(evaluate('sqrt(v1)', [[-1, 4]]), [null, 2], 'sqrt');
  near(evaluate('exp(v1)', [[1000, 0]]), [null, 1], 'overflow');
  near(evaluate('v1 * 1e30 * 1e30', [[1, 0]]), [null, 0], 'beyond float32');
  near(evaluate('log(v1) > 0', [[-1, 2]]), [null, 1], 'invalid stays invalid through a comparison');
  near(evaluate('log(v1) ** 0', [[-1, 2]]), [null, 1], 'NaN ** 0');
  near(evaluate('where(v1 > 0, log(v1), -1)', [[-1, 0, Math.E]]), [-1, -1, 1], 'branch not taken');
  near(evaluate('arctan(v1) + 1 / v1 + v1 * 0', [[NaN, Infinity, -Infinity, 1]]), [null, null, null, Math.PI / 4 + 1]);
  near(evaluate('where(v1 > 0, 1, 2)', [[1, 1, -1], [0, 0, 0]], [[255, 0, 255], [0, 0, 0]]), [1, null, 2], 'v2 mask unused');
  near(evaluate('v1 + v2', [[1, 1, 1], [1, 1, 1]], [[255, 0, 255], [255, 255, 0]]), [2, null, null], 'masks ANDed');
  near(evaluate('isnan(v1) + 1', [[1, 2]], [[0, 255]]), [null, 1], 'an invalid input is not rescued by isnan');
  const shared = compileExpression(parseExpression('v1 + 1'))([Float32Array.of(1, 2, 3)], Uint8Array.of(255, 0, 1));
  assert.deepEqual([...shared.mask], [255, 0, 255]);
  assert.ok(Number.isNaN(shared.values[1]));
});

test('variablesOf, named variables and input order', () => {
  assert.deepEqual(variablesOf(parseExpression('(v1 - v2) / (v1 + v10)')), new Set(['v1', 'v2', 'v10']));
  assert.deepEqual(variablesOf(parseExpression('pi * 2')), new Set());
  const variables = ['nir', 'red'];
  near(evaluate('(nir - red) / (nir + red)', [[3], [1]], undefined, { variables }), [0.5]);
  near(evaluate('v2 * 2', [[], [21]]), [42], 'v2 is inputs[1]; v1 may be missing when unused');
  assert.throws(() => parseExpression('v1', { variables: ['where'] }), /invalid variable name "where"/);
  assert.throws(() => compileExpression(parseExpression('v1 + v2'))([Float32Array.of(1)]), /input for "v2"/);
});

test('compileExpression checks ASTs that did not come from the parser, and reuses scratch safely', () => {
  const bad = [
    { type: 'call', name: 'exec', args: [] }, { type: 'call', name: 'abs', args: [] }, { type: 'binary', op: '^', left: 1, right: 2 },
    { type: 'variable', name: '__proto__' }, { type: 'constant', name: 'constructor' }, { type: 'number', value: '1' }, null,
  ];
  for (const ast of bad) assert.throws(() => compileExpression(ast as unknown as ExprNode), ExpressionError, JSON.stringify(ast));
  const run = compileExpression(parseExpression('v1 * 2 + 1'));
  assert.deepEqual([...run([Float64Array.of(1, 2, 3)]).values], [3, 5, 7]);
  assert.deepEqual([...run([Float32Array.of(4)]).values], [9], 'a new pixel count');
  assert.deepEqual([...run([Float32Array.of(1, 2, 3, 4, 5)]).values], [3, 5, 7, 9, 11]);
  const constant = compileExpression(parseExpression('2 ** 3 - pi * 0'))([], Uint8Array.of(255, 0));
  assert.deepEqual([...constant.mask], [255, 0]);
  assert.equal(constant.values[0], 8);
});

const hostile: [string, RegExp, ParseOptions?][] = [
  ['constructor', /unknown name "constructor" at position 0/], ['this', /unknown name "this"/],
  ['globalThis', /unknown name "globalThis"/], ['__proto__', /unknown name "__proto__"/],
  ['v1.constructor', /unexpected character "\." at position 2/], ['v1.__proto__', /"\." at position 2/],
  ['process.exit()', /unknown name "process" at position 0/], ['require("fs")', /unknown function "require" at position 0/],
  ['eval("1")', /unknown function "eval"/], ['Function("x")()', /unknown function "Function"/],
  ['import("fs")', /unknown function "import"/], ['new Date()', /unknown name "new"/],
  ['abs(exec(v1))', /unknown function "exec" at position 4/], ['x => x', /unknown name "x"/],
  ['v1[0]', /unexpected character "\[" at position 2/], ['"str"', /unexpected character '"' at position 0/],
  ["'str'", /unexpected character "'" at position 0/], ['`tpl`', /unexpected character "`" at position 0/],
  [';', /unexpected character ";" at position 0/], ['v1; v2', /";" at position 2/],
  ['=', /unexpected character "=" at position 0/], ['v1 = 1', /"=" at position 3 \(use == to compare\)/],
  ['() => 1', /unexpected "\)" at position 1/], ['{}', /unexpected character "\{"/], ['$', /unexpected character "\$"/],
  ['v9', /unknown variable "v9" at position 0/, { variables: ['v1', 'v2'] }], ['V1', /unknown name "V1"/],
  ['v1, v2', /unexpected "," at position 2/], ['1e400', /number "1e400" at position 0 is out of range/],
  ['9'.repeat(400), /is out of range/], ['0x10', /malformed number "0x10"/], ['1.2.3', /malformed number "1.2.3"/],
  ['2v1', /malformed number "2v1"/], ['', /expression is empty/], [' \t\n', /expression is empty/],
  ['ｖ1', /unexpected character U\+FF56 at position 0/], ['v1 ＋ v2', /U\+FF0B at position 3/],
  ['v1\u200b', /U\+200B at position 2/], ['v\u0456', /U\+0456 at position 1/], ['\u0000', /U\+0000/],
  ['v1 \u202e+ v2', /U\+202E/], ['(v1', /expected "\)" at position 3/], ['v1)', /unexpected "\)" at position 2/],
  ['v1 +', /ends unexpectedly at position 4/], ['abs(v1, v2)', /"abs" at position 0 takes 1 argument, got 2/],
  ['where(v1)', /takes 3 arguments, got 1/], ['abs(v1,)', /unexpected "\)"/], ['abs', /"abs" at position 0 must be called/],
  ['v1(2)', /unknown function "v1"/], ['v1 ^ v2', /"\^" at position 3 \(use \*\* for powers\)/],
  ['v1 // v2', /unexpected "\/" at position 4/], ['v1 if v1 else v2', /unexpected "if" at position 3/],
  ['v1 < v2 < 1', /chained comparison at position 8/], ['v1 > 0 & v2 > 0', /operator "&" at position 7 needs true\/false/],
  ['~v1', /operator "~" at position 0 needs a true\/false operand/], ['x'.repeat(1500), /too long \(1500 characters, limit 1000\)/],
  ['('.repeat(10000) + 'v1' + ')'.repeat(10000), /nests too deeply/, { maxLength: 1e5 }],
  ['-'.repeat(10000) + 'v1', /nests too deeply/, { maxLength: 1e5 }], ['2**'.repeat(5000) + '2', /nests too deeply/, { maxLength: 1e5 }],
  ['abs('.repeat(5000) + 'v1' + ')'.repeat(5000), /nests too deeply/, { maxLength: 1e5 }],
  ['v1+'.repeat(300) + 'v1', /too complex \(more than 256 terms\)/], ['((v1))', /nests too deeply/, { maxDepth: 2 }],
];

test(`${hostile.length} hostile expressions are rejected with a clear message`, () => {
  for (const [text, message, options] of hostile) {
    assert.throws(() => parseExpression(text, options), (e: unknown) => {
      assert.ok(e instanceof ExpressionError, `${text.slice(0, 30)}: ${String(e)}`);
      assert.match(e.message, message, text.slice(0, 30));
      return true;
    });
  }
});

test('fuzz: parsing random text returns an AST or throws an ExpressionError, quickly', () => {
  const tokens = ['v1', 'v2', 'v33', '1', '2.5e3', '.5', '(', ')', ',', '+', '-', '*', '**', '/', '%', '<', '>=', '==', '!=',
    '&', '|', '~', 'where', 'abs', 'clip', 'nan', 'pi', ' ', '.', '__proto__', 'e', '"', '=', '[', '1e999', '\u00e9'];
  const texts = fc.oneof(fc.array(fc.constantFrom(...tokens), { maxLength: 40 }).map((t) => t.join('')), fc.string({ unit: 'binary', maxLength: 60 }));
  fc.assert(fc.property(texts, (text) => {
    try {
      const ast = parseExpression(text);
      assert.deepEqual(JSON.parse(JSON.stringify(ast)), ast);
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
    }
  }), { numRuns: 5000 });
});

const VARS = ['v1', 'v2', 'v3'];
const NAMES = Object.keys(FUNCTION_ARITY) as (keyof typeof FUNCTION_ARITY)[];
function astArbitrary(value: fc.Arbitrary<number>): fc.Arbitrary<ExprNode> {
  return fc.letrec<{ node: ExprNode }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', maxDepth: 6 },
      value.map((v): ExprNode => ({ type: 'number', value: v })),
      fc.constantFrom<ExprNode>(...VARS.map((name) => ({ type: 'variable' as const, name })), { type: 'constant', name: 'pi' }, { type: 'constant', name: 'nan' }),
      fc.record({ type: fc.constant('unary' as const), op: fc.constantFrom('-' as const, '+' as const, '~' as const), arg: tie('node') }),
      fc.record({ type: fc.constant('binary' as const), op: fc.constantFrom('+', '-', '*', '/', '%', '**', '<', '<=', '>', '>=', '==', '!=', '&', '|' as const), left: tie('node'), right: tie('node') }),
      fc.constantFrom(...NAMES).chain((name) => fc.array(tie('node'), { minLength: FUNCTION_ARITY[name], maxLength: FUNCTION_ARITY[name] }).map((args): ExprNode => ({ type: 'call', name, args })))),
  })).node;
}

test('fuzz: compiled random ASTs never throw, mark every non-finite value invalid, and treat pixels independently', () => {
  const pixel = fc.oneof(fc.float(), fc.constantFrom(0, 1, -1, 0.5, NaN, Infinity, -Infinity, 3.4e38));
  const inputs = fc.integer({ min: 1, max: 11 }).chain((n) => fc.tuple(
    fc.array(fc.array(pixel, { minLength: n, maxLength: n }), { minLength: 3, maxLength: 3 }),
    fc.array(fc.option(fc.array(fc.constantFrom(0, 255), { minLength: n, maxLength: n })), { minLength: 3, maxLength: 3 })));
  fc.assert(fc.property(astArbitrary(fc.double()), inputs, (ast, [columns, maskLists]) => {
    const run = compileExpression(ast);
    const arrays = columns.map((c) => Float32Array.from(c));
    const masks = maskLists.map((m) => (m === null ? undefined : Uint8Array.from(m)));
    const { values, mask } = run(arrays, masks);
    const used = [...variablesOf(ast)].map((name) => VARS.indexOf(name));
    values.forEach((v, i) => {
      assert.ok(mask[i] === 255 ? Number.isFinite(v) : mask[i] === 0 && Number.isNaN(v));
      if (used.some((k) => masks[k]?.[i] === 0)) assert.equal(mask[i], 0);
      const one = run(arrays.map((a) => a.slice(i, i + 1)), masks.map((m) => m?.slice(i, i + 1)));
      assert.ok(Object.is(one.values[0], v) && one.mask[0] === mask[i], `pixel ${i} alone: ${one.values[0]} vs ${v}`);
    });
  }), { numRuns: 2000 });
});

test('fuzz: printing a random AST with full parentheses parses back to the same AST', () => {
  const print = (n: ExprNode): string => {
    switch (n.type) {
      case 'number': return String(n.value);
      case 'constant': case 'variable': return n.name;
      case 'unary': return `(${n.op}${print(n.arg)})`;
      case 'binary': return `(${print(n.left)} ${n.op} ${print(n.right)})`;
      case 'call': return `${n.name}(${n.args.map(print).join(', ')})`;
    }
  };
  const options = { maxLength: 1e6, maxDepth: 1000, maxNodes: 1e5 };
  fc.assert(fc.property(astArbitrary(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true })), (ast) => {
    let parsed: ExprNode;
    try {
      parsed = parseExpression(print(ast), options);
    } catch (e) {
      // Only the rule that & | ~ take true/false operands may refuse a generated AST.
      assert.match((e as Error).message, /needs (a )?true\/false/);
      return;
    }
    assert.deepEqual(parsed, JSON.parse(JSON.stringify(ast))); // fast-check's records have no prototype
  }), { numRuns: 2000 });
});
