// Prints jest's totals as one plain closing line ("N passed, N failed", ", N skipped" when any were), the form CI reads.
const fs = require('node:fs');

const file = process.argv[2];
if (!file || !fs.existsSync(file) || fs.statSync(file).size === 0) {
  console.log('tests: 0 passed, 1 failed (jest wrote no results)');
  process.exit(0);
}
const results = JSON.parse(fs.readFileSync(file, 'utf8'));

// Where the time went: the slowest suites (the CI budget's largest parts), then the totals.
const root = process.cwd() + '/';
const timed = results.testResults
  .map((suite) => ({ name: suite.name.replace(root, ''), seconds: (suite.endTime - suite.startTime) / 1000 }))
  .filter((suite) => Number.isFinite(suite.seconds))
  .sort((a, b) => b.seconds - a.seconds);
if (timed.length > 0) {
  const total = timed.reduce((sum, suite) => sum + suite.seconds, 0);
  console.log(`slowest suites (of ${timed.length}, ${Math.round(total)} s in all):`);
  for (const suite of timed.slice(0, 12)) console.log(`  ${suite.seconds.toFixed(0).padStart(6)} s  ${suite.name}`);
}
const failedSuites = results.numFailedTestSuites + (results.numRuntimeErrorTestSuites ?? 0);
const failed = results.numFailedTests + (failedSuites > 0 && results.numFailedTests === 0 ? failedSuites : 0);
const skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
console.log(`tests: ${results.numPassedTests} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
