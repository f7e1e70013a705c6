/** "Did you mean ...?": the known name closest to a misspelt one. */

/** Edit distance counting a swap of two adjacent characters as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `input`, when it is close enough to be a likely typo. */
export function closest(input: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const n = norm(input);
  let best: string | undefined;
  let bestScore = Infinity;
  for (const k of known) {
    const nk = norm(k);
    let score = editDistance(n, nk);
    if (n === nk) score = 0;
    else if (n.length >= 3 && nk.startsWith(n)) score = Math.min(score, 1); // an abbreviation: sla -> slaProperties
    if (score < bestScore) {
      bestScore = score;
      best = k;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(input.length, best.length) / 3));
  return bestScore <= limit ? best : undefined;
}
