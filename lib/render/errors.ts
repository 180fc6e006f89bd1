/**
 * Bad render input (an unknown colormap, a malformed stretch range…). The API answers these with
 * 400 and the message; `parameter` names the query parameter at fault, so the caller can say which.
 * Anything else thrown from lib/render is a fault, not the user's doing.
 */
import { InputError } from '../errors/index.ts';

export class RenderInputError extends InputError {
  override readonly name = 'RenderInputError';
  constructor(readonly parameter: string, detail: string) {
    super(`${parameter}: ${detail}`);
  }
}
