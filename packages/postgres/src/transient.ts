/** node-postgres: SQLSTATE class 08 (connection exception), 57P01-03 (shutting down, starting up), 53 (resources), or a dropped connection. */
export function isTransientPostgresError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string' && /^(08...|57P0[1-3]|53...)$/.test(code)) return true;
  return /Connection terminated/i.test(error.message);
}
