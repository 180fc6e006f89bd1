/**
 * The cloud providers taoguan deploys to. The build makes dist/<id>/{tiles,ingest}/index.js for each
 * entry (functions/tiles.ts and functions/ingest.ts over the provider), and the functions read an
 * instance's memory through them. Adding a cloud: an adapter file exporting a Provider, a line here,
 * and its deployment file.
 */
import { aliyunFc } from './aliyun-fc.ts';
import { awsLambda } from './aws-lambda.ts';
import type { Provider } from './provider.ts';
import { tencentScf } from './tencent-scf.ts';

export type { ApiLike, Provider } from './provider.ts';

export const PROVIDERS: Readonly<Record<string, Provider>> = { aws: awsLambda, aliyun: aliyunFc, tencent: tencentScf };
