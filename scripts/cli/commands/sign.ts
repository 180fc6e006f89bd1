/**
 * `taoguan sign URL --expires 1h`: a signed copy of a tile URL (or a {z}/{x}/{y} template, a
 * TileJSON or WMTS URL) for a server started with a URL signing secret. The secret comes from
 * TAOGUAN_URL_SIGNING_SECRET (or --secret, which other users of the machine can see in `ps`).
 */
import { parseDuration, signUrl } from '../../../lib/api/index.ts';

export interface SignOptions {
  expires: string;
  secret?: string;
  basePath?: string;
}

export function signCommand(url: string, opts: SignOptions): void {
  const secret = opts.secret ?? process.env.TAOGUAN_URL_SIGNING_SECRET;
  if (!secret) throw new Error('no signing secret: set TAOGUAN_URL_SIGNING_SECRET (or give --secret)');
  const basePath = opts.basePath ?? process.env.TAOGUAN_BASE_PATH;
  console.log(signUrl(url, { secret, expiresIn: parseDuration(opts.expires), basePath }));
}
