// ONNX tier: every test/onnx/**/*.test.ts under node's test runner with tsx (node-tier.mjs), judged
// by onnxruntime and onnx.checker in the venv python-env.mjs prepares (passed to the tests as
// QUENCH_PYTHON). The fixtures are real PyTorch exports committed under test/fixtures/onnx (made by
// its make-onnx.py), so the venv needs no torch. Zero tests is a failure. Where the venv cannot be
// made because no package index is reachable (or there is no python3), the tier prints one
// `onnx: skipped — <reason>` line and passes, except with CI=true, where every failure to set up is
// loud. The tests drive dist/cli.js: `npm run build` first.
// `npm run test:onnx -- test/onnx/predict.test.ts` narrows the run to the given files or folders.
import { ensurePythonEnv } from './python-env.mjs';
import { runTier, tierFiles } from './node-tier.mjs';

const files = tierFiles('onnx', ['test/onnx']);
const started = Date.now();
const ci = process.env.CI === 'true';
const env = await ensurePythonEnv({ log: (line) => console.error(line.replace(/^keras: /, 'onnx: ')) });
if (!env.python) {
  if (ci || !env.offline) {
    if (env.output) console.error(env.output.trim().split('\n').slice(-40).join('\n'));
    console.error(`onnx: FAILED to prepare the Python venv — ${env.reason}`);
    process.exit(1);
  }
  console.log(`onnx: skipped — ${env.reason}`);
  process.exit(0);
}
await runTier('onnx', files, { env: { ...process.env, QUENCH_PYTHON: env.python }, started });
