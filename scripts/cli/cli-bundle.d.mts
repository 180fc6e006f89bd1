// Types of cli-bundle.mjs (plain JavaScript, so bin/taoguan.mjs loads it with no TypeScript loader).
export function sourcesKey(root?: string): string;
export function cachedCliBundle(): Promise<{ cli: string; worker: string }>;
