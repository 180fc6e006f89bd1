/**
 * The settings serverless.yml reads from the environment when it is resolved — by `serverless
 * package`, `deploy` and `offline` alike — so the README's `export …` lines reach the deployed
 * functions. A setting missing, or still a placeholder from the docs, stops the command with a
 * message naming it: nothing is ever deployed pointing at `my-cogs-bucket` or `CHANGE-ME`.
 */
const { required } = require('./settings.cjs');

module.exports = {
  bucket: required('TAOGUAN_BUCKET', 'the S3 bucket holding the COGs (the tiles function reads it; uploads to it trigger ingest)', 'my-cogs'),
  catalog: required('TAOGUAN_CATALOG', 'the catalog both functions open, mysql://USER:PASSWORD@HOST:3306/DB (RDS, reached in its VPC) or sqlite:PATH', 'mysql://taoguan:SECRET@taoguan.abc123.us-east-1.rds.amazonaws.com:3306/taoguan'),
  prefix: () => (process.env.TAOGUAN_PREFIX_KEY ?? '').trim() || 'cogs/',
};
