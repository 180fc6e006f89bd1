import { Command } from 'commander';
import { infoCommand } from './commands/info.ts';

const program = new Command()
  .name('taoguan')
  .description('Dynamic raster tiles from Cloud Optimized GeoTIFFs, for serverless function compute and one machine.')
  .version('0.1.0')
  .showHelpAfterError();

program
  .command('info')
  .description("print a GeoTIFF's structure and whether it is a valid COG (like gdalinfo / rio cogeo info)")
  .argument('<location>', 'a local path, http(s):// URL, or s3:// oss:// cos:// location')
  .option('--json', 'print JSON for machines instead of text')
  .option('--requests', 'also print the range requests made to read the header')
  .addHelpText('after', `
Examples:
  taoguan info data/S2_B04.tif
  taoguan info https://example.com/cog.tif --requests
  taoguan info oss://my-bucket/imagery/dem.tif --json      (OSS_REGION, ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET)
  taoguan info cos://imagery-1250000000/dem.tif             (COS_REGION, TENCENTCLOUD_SECRETID/SECRETKEY)
  taoguan info s3://bucket/key.tif                          (AWS_REGION, AWS credentials; TAOGUAN_S3_ENDPOINT for other stores)`)
  .action(infoCommand);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`taoguan: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
