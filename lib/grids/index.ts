/** lib/grids — tile matrix sets (OGC TMS) as plain values, and the geometry of one tile in them. */
export * from './tms.ts';
