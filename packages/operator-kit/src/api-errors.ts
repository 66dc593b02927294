/** The HTTP status of a failed client-node call (its ApiException's `code`), if it has one. */
export function statusCodeOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof (error as { code: unknown }).code === 'number') {
    return (error as { code: number }).code;
  }
  return undefined;
}
