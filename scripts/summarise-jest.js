// Prints jest's totals as one plain closing line ("N passed, N failed", ", N skipped" when any were), the
// form CI reads, over every results file given (the suite's tiers: one jest run each).
const fs = require('node:fs');

const files = process.argv.slice(2);
const runs = [];
let missing = 0;
for (const file of files) {
  if (!fs.existsSync(file) || fs.statSync(file).size === 0) missing++;
  else runs.push(JSON.parse(fs.readFileSync(file, 'utf8')));
}

// Where the time went: the slowest suites (the CI budget's largest parts), then the totals.
const root = process.cwd() + '/';
const timed = runs
  .flatMap((results) => results.testResults)
  .map((suite) => ({ name: suite.name.replace(root, ''), seconds: (suite.endTime - suite.startTime) / 1000 }))
  .filter((suite) => Number.isFinite(suite.seconds))
  .sort((a, b) => b.seconds - a.seconds);
if (timed.length > 0) {
  const total = timed.reduce((sum, suite) => sum + suite.seconds, 0);
  console.log(`slowest suites (of ${timed.length}, ${Math.round(total)} s in all):`);
  for (const suite of timed.slice(0, 12)) console.log(`  ${suite.seconds.toFixed(0).padStart(6)} s  ${suite.name}`);
  const tests = runs
    .flatMap((results) => results.testResults.flatMap((suite) => suite.assertionResults.map((test) => ({ suite: suite.name.replace(root, ''), test }))))
    .filter(({ test }) => Number.isFinite(test.duration))
    .sort((a, b) => b.test.duration - a.test.duration);
  console.log('slowest tests:');
  for (const { suite, test } of tests.slice(0, 15)) {
    console.log(`  ${(test.duration / 1000).toFixed(0).padStart(6)} s  ${suite.split('/').pop()}: ${test.title.slice(0, 100)}`);
  }
}
const sum = (field) => runs.reduce((total, results) => total + (results[field] ?? 0), 0);
let failed = 0;
for (const results of runs) {
  const failedSuites = results.numFailedTestSuites + (results.numRuntimeErrorTestSuites ?? 0);
  failed += results.numFailedTests + (failedSuites > 0 && results.numFailedTests === 0 ? failedSuites : 0);
}
// A tier whose jest wrote no results counts as a failure.
failed += missing;
const skipped = sum('numPendingTests') + sum('numTodoTests');
const noResults = missing > 0 ? ` (${missing} of ${files.length} jest runs wrote no results)` : '';
console.log(`tests: ${sum('numPassedTests')} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}${noResults}`);
