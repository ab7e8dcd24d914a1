/** A `LIKE … ESCAPE '\'` pattern matching text that contains `query`, its `%`, `_` and `\` taken literally. */
export function containsPattern(query: string): string {
  return `%${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
