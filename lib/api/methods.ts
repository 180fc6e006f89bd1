/**
 * Which methods a path has routes for, so a wrong method on a known path is a 405 with `Allow`
 * (RFC 9110) rather than a 404 that reads as "no such thing". Hono answers both with its notFound
 * handler; this asks a second router, built from the app's routes on first use, only on that path.
 */
import { PatternRouter } from 'hono/router/pattern-router';

interface RouteLike { method: string; path: string }

export class MethodIndex {
  #router?: PatternRouter<string>;
  #methods: string[] = [];

  /** `routes` is read on first use (the app's route list, complete by the time a request comes). */
  constructor(readonly routes: () => readonly RouteLike[], readonly extra: readonly string[] = []) {}

  /** Methods with a route matching `path`, in a fixed order (HEAD wherever GET is); empty for an unknown path. */
  allowed(path: string): string[] {
    if (!this.#router) {
      const router = new PatternRouter<string>();
      const methods = new Set<string>();
      // middleware is registered under ALL and matches everything: it says nothing about a path
      for (const r of this.routes()) if (r.method !== 'ALL') {
        router.add(r.method, r.path, r.method);
        methods.add(r.method);
      }
      this.#router = router;
      this.#methods = [...methods];
    }
    const found = new Set(this.#methods.filter((m) => this.#router!.match(m, path)[0].length > 0));
    if (found.size === 0) return [];
    if (found.has('GET')) found.add('HEAD');
    for (const m of this.extra) found.add(m);
    return ORDER.filter((m) => found.has(m)).concat([...found].filter((m) => !ORDER.includes(m)).sort());
  }
}

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
