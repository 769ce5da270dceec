// Keras tier: every test/keras/**/*.test.ts under node's test runner with tsx (node-tier.mjs),
// judged by real Keras 3 + TensorFlow in the venv python-env.mjs prepares (passed to the tests as
// QUENCH_PYTHON). Zero tests is a failure. Where the venv cannot be made because no package index
// is reachable (or there is no python3), the tier prints one `keras: skipped — <reason>` line and
// passes, except with CI=true, where every failure to set up is loud.
// `npm run test:keras -- test/keras/read.test.ts` narrows the run to the given files or folders.
import { ensurePythonEnv } from './python-env.mjs';
import { runTier, tierFiles } from './node-tier.mjs';

const files = tierFiles('keras', ['test/keras']);
const started = Date.now();
const ci = process.env.CI === 'true';
const env = await ensurePythonEnv();
if (!env.python) {
  if (ci || !env.offline) {
    if (env.output) console.error(env.output.trim().split('\n').slice(-40).join('\n'));
    console.error(`keras: FAILED to prepare the Python venv — ${env.reason}`);
    process.exit(1);
  }
  console.log(`keras: skipped — ${env.reason}`);
  process.exit(0);
}
await runTier('keras', files, { env: { ...process.env, QUENCH_PYTHON: env.python }, started });
