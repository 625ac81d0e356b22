/**
 * The median of several runs of a benchmark, by `key`. For an even count it is the run with the
 * larger of the two middle values: the slower run when the key is a time or a ratio to a bound.
 */
export function medianBy<T>(runs: readonly T[], key: (run: T) => number): T {
  const median = [...runs].sort((left, right) => key(left) - key(right))[Math.floor(runs.length / 2)];
  if (median === undefined) throw new Error('no runs to take the median of');
  return median;
}
