/** Levenshtein distance: for "did you mean …" hints on colormap and parameter names. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** The candidate nearest `name` and its distance (the first of equals). */
export function nearest(name: string, candidates: Iterable<string>): { name: string; distance: number } {
  let best = '', distance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name, candidate);
    if (d < distance) {
      best = candidate;
      distance = d;
    }
  }
  return { name: best, distance };
}
