/**
 * The layers of taoguan and what each may import, enforced by `npm run lint`
 * (eslint-plugin-boundaries). docs/architecture.md explains the layers; this table is the law.
 *
 * - An element may import the elements listed against it, and nothing above it.
 * - Across elements of lib/, only a folder's index.ts is public: `../tiff/index.ts`, never
 *   `../tiff/ifd.ts`. Inside an element, files import each other freely.
 * - test/ is exempt (tests reach into modules on purpose).
 */
import boundaries from 'eslint-plugin-boundaries';

const LIB = ['errors', 'util', 'tiff', 'source', 'crs', 'grids', 'raster', 'warp', 'render', 'pipeline', 'catalog', 'optimize', 'ingest', 'api'];

/** Who may import whom. Read top to bottom as the flow: bytes → pixels → tiles → catalog → API → clouds. */
export const LAYERS = {
  errors: [],
  util: ['errors'],
  tiff: ['errors', 'util'],
  source: ['errors', 'util'],
  crs: ['errors', 'tiff'],
  grids: ['errors'],
  raster: ['errors', 'util', 'tiff', 'source'],
  warp: ['errors', 'crs', 'grids', 'tiff', 'raster'],
  render: ['errors', 'util'],
  pipeline: ['errors', 'util', 'tiff', 'source', 'crs', 'grids', 'raster', 'warp', 'render'],
  catalog: ['errors', 'util', 'tiff', 'source'],
  optimize: ['errors', 'util', 'tiff', 'source', 'crs', 'grids', 'raster', 'warp'],
  ingest: ['errors', 'util', 'tiff', 'source', 'crs', 'grids', 'raster', 'warp', 'catalog', 'optimize'],
  api: ['errors', 'util', 'tiff', 'source', 'crs', 'grids', 'raster', 'warp', 'render', 'pipeline', 'catalog'],
  adapters: ['errors', 'util', 'source', 'ingest'],
  functions: ['errors', 'util', 'source', 'catalog', 'raster', 'ingest', 'api', 'adapters'],
  cli: [...LIB, 'adapters', 'functions'],
  bin: ['cli', 'util'],
  tools: [...LIB, 'adapters', 'functions', 'cli', 'support'],
};

const elements = [
  { type: 'errors', pattern: 'lib/errors' },
  ...LIB.map((name) => ({ type: name, pattern: `lib/${name}` })),
  { type: 'adapters', pattern: 'adapters' },
  { type: 'functions', pattern: 'functions' },
  { type: 'cli', pattern: 'scripts/cli' },
  { type: 'tools', pattern: 'scripts/tools' },
  { type: 'bin', pattern: 'bin' },
  // helpers the benchmarks share with the tests
  { type: 'support', pattern: 'test' },
];

/** A lib/ element is entered by its index.ts. */
const face = (name) => (!LIB.includes(name) ? { element: { type: name } } : { element: { type: name, fileInternalPath: 'index.ts' } });

export default [
  {
    files: ['lib/**/*.ts', 'adapters/**/*.ts', 'functions/**/*.ts', 'scripts/**/*.{ts,mjs}', 'bin/**/*.mjs'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': elements,
      'boundaries/include': ['lib/**', 'adapters/**', 'functions/**', 'scripts/**', 'bin/**', 'test/**'],
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
    },
    rules: {
      // a new folder under lib/ (or a stray file at its top) must take its place in LAYERS first
      'boundaries/no-unknown-files': 'error',
      'boundaries/dependencies': ['error', {
        default: 'disallow',
        message: '{{from.type}} may not import {{to.elementPath}}/{{to.internalPath}}: an element imports only the layers listed against it in eslint.boundaries.js, and a lib/ folder only through its index.ts (docs/architecture.md)',
        policies: [
          // inside one element, anything goes
          { allow: { dependency: { relationship: { to: 'internal' } } } },
          ...Object.entries(LAYERS).map(([from, to]) => ({
            from: { element: { type: from } },
            allow: to.map((t) => ({ to: face(t) })),
          })),
        ],
      }],
    },
  },
];
