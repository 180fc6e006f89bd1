/**
 * s.yaml's global pre-deploy action (`node deploy/aliyun-settings.cjs`). Serverless Devs already
 * refuses a setting that is not in the environment (`env('TAOGUAN_BUCKET') not found`) but passes on
 * whatever is there; this stops `s deploy` before any resource is touched when a setting is still a
 * placeholder from the docs, naming it.
 */
const { required } = require('./settings.cjs');

const SETTINGS = [
  required('TAOGUAN_BUCKET', 'the OSS bucket holding the COGs (the tiles function reads it; uploads to it trigger ingest)', 'my-cogs'),
  required('TAOGUAN_CATALOG', 'the catalog both functions open, mysql://USER:PASSWORD@HOST:3306/DB (RDS, reached in its VPC) or tablestore://INSTANCE?endpoint=…', 'mysql://taoguan:SECRET@rm-abc123.mysql.rds.aliyuncs.com:3306/taoguan'),
];

const problems = [];
for (const read of SETTINGS) {
  try {
    read();
  } catch (e) {
    problems.push(e.message);
  }
}
if (problems.length) {
  console.error(`s.yaml: not deploying.\n${problems.join('\n')}`);
  process.exit(1);
}
