/**
 * A benchmark file run as a script: runs it, prints its tables, and exits 0, or prints the error and
 * exits 1 (the services and clients it started would keep the process alive otherwise).
 */
export function runScript<T>(run: () => Promise<T>, print: (result: T) => void): void {
  run().then(
    (result) => {
      print(result);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
