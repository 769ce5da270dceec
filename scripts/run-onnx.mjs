// ONNX tier: every test/onnx/**/*.test.ts under node's test runner with tsx (node-tier.mjs), judged
// by onnxruntime and onnx.checker in the venv python-env.mjs prepares (passed to the tests as
// QUENCH_PYTHON). The fixtures are real PyTorch exports committed under test/fixtures/onnx (made by
// its make-onnx.py), so the venv needs no torch. Zero tests is a failure. Where the venv cannot be
// made because no package index is reachable (or there is no python3), the tier prints one
// `onnx: skipped — <reason>` line and passes, except with CI=true, where every failure to set up is
// loud. The optional onnxruntime-node is installed once into .cache (scripts/onnxruntime-env.mjs)
// for the tests that measure accuracy with it. The tests drive dist/cli.js: `npm run build` first.
// `npm run test:onnx -- test/onnx/predict.test.ts` narrows the run to the given files or folders.
import { ensureOnnxRuntime } from './onnxruntime-env.mjs';
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
// The optional onnxruntime-node: its tests (test/onnx/runtime.test.ts) skip visibly without it,
// except with CI=true, where it must install.
const ort = ensureOnnxRuntime({ log: (line) => console.error(line) });
if (!ort.modules) {
  if (ci) {
    console.error(`onnx: FAILED to install the optional onnxruntime-node — ${ort.reason}`);
    process.exit(1);
  }
  console.log(`onnx: onnxruntime-node tests will skip — ${ort.reason}`);
}
const ortEnv = ort.modules ? { QUENCH_TEST_ORT_MODULES: ort.modules } : {};
await runTier('onnx', files, { env: { ...process.env, QUENCH_PYTHON: env.python, ...ortEnv }, started });
