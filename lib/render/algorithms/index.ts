/**
 * The algorithm registry (TiTiler's `algorithm=` names): one file an algorithm, one line here.
 * prepareAlgorithm checks the name and `algorithm_params` before any pixel is read, so a request
 * naming an unknown algorithm or parameter is a 400 that names it.
 */
import { nearest } from '../../util/index.ts';
import { RenderInputError } from '../errors.ts';
import type { Algorithm, AlgorithmFrame, AlgorithmOutput } from './algorithm.ts';
import { hillshade } from './hillshade.ts';
import { slope } from './slope.ts';
import { terrainrgb } from './terrainrgb.ts';
import { terrarium } from './terrarium.ts';
import type { StyleInput } from '../styles/index.ts';

export type { Algorithm, AlgorithmFrame, AlgorithmOutput, ParamSpec } from './algorithm.ts';

export const ALGORITHMS: Readonly<Record<string, Algorithm>> = { hillshade, slope, terrainrgb, terrarium };

/** What a request asks: the name and the parameters as given (JSON values). */
export interface AlgorithmRequest {
  name: string;
  params?: Readonly<Record<string, unknown>>;
}

export interface PreparedAlgorithm {
  name: string;
  buffer: number;
  output: Algorithm['output'];
  range?: readonly [number, number];
  run(input: StyleInput, frame: AlgorithmFrame): AlgorithmOutput;
}

export function prepareAlgorithm(request: AlgorithmRequest): PreparedAlgorithm {
  const name = request.name.toLowerCase();
  if (!Object.hasOwn(ALGORITHMS, name)) {
    const guess = nearest(name, Object.keys(ALGORITHMS));
    const hint = guess.distance <= 3 ? ` (did you mean ${guess.name}?)` : '';
    throw new RenderInputError('algorithm', `unknown algorithm ${JSON.stringify(request.name.slice(0, 60))}${hint}; algorithms are ${Object.keys(ALGORITHMS).join(', ')}`);
  }
  const algorithm = ALGORITHMS[name];
  const params = resolveParams(name, algorithm, request.params ?? {});
  return { name, buffer: algorithm.buffer, output: algorithm.output, range: algorithm.range, run: (input, frame) => algorithm.run(input, params, frame) };
}

function resolveParams(name: string, algorithm: Algorithm, given: Readonly<Record<string, unknown>>): Record<string, number> {
  const specs = Object.entries(algorithm.params);
  const values = Object.fromEntries(specs.map(([k, spec]) => [k, spec.default]));
  const known = specs.flatMap(([k, spec]) => [k, ...(spec.aliases ?? [])]);
  const takes = specs.length ? `${name} takes ${specs.map(([k]) => k).join(', ')}` : `${name} takes no parameters`;
  for (const [key, value] of Object.entries(given)) {
    const entry = specs.find(([k, spec]) => k === key || spec.aliases?.includes(key));
    if (!entry) {
      const guess = known.length ? nearest(key.toLowerCase(), known) : undefined;
      const hint = guess && guess.distance <= 2 ? ` (did you mean ${guess.name}?)` : '';
      throw new RenderInputError('algorithm_params', `unknown parameter ${JSON.stringify(key.slice(0, 60))}${hint}; ${takes}`);
    }
    const [k, spec] = entry;
    const v = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < spec.min || v > spec.max) {
      throw new RenderInputError('algorithm_params', `${key} must be a number from ${spec.min} to ${spec.max}, got ${JSON.stringify(value)}`);
    }
    values[k] = v;
  }
  return values;
}
