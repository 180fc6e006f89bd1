// Types of serve-bundle.mjs (plain JavaScript, so bin/taoguan.mjs loads it with no TypeScript loader).
export interface ServeBundle { file: string; cleanup(): void }
export function buildServeBundle(options?: { outfile?: string; readable?: boolean; sourceUrls?: boolean; worker?: boolean; splitDir?: string }): Promise<ServeBundle>;
export function buildServeBundleApart(): Promise<ServeBundle>;
