/**
 * An npm package some module loads at run time (a store's SDK, a codec's WebAssembly), and how the
 * bundles carry it: the registries that own such modules list theirs, and both bundlers (the
 * functions' build and serve's bundle) read those lists instead of keeping their own.
 */
export interface RuntimePackage {
  /** The module specifier the code imports. */
  spec: string;
  /** In a function zip: bundled apart to node_modules/<sidecar> and required on first use (an SDK). */
  sidecar?: string;
  /** Or: the package reads this file from beside its main file (its WebAssembly), copied beside index.js. */
  wasm?: string;
}
