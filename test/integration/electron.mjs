// `npm run test:electron`: the same extension-host suite as `npm run test:integration`, in desktop
// VS Code downloaded by @vscode/test-electron (into .vscode-test/). Needs a machine that can reach
// update.code.visualstudio.com and a display (use xvfb-run on a headless Linux box); the build
// machines of this project cannot, and run the suite in code-server instead.
import { runTests } from '@vscode/test-electron';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const suite = path.join(repoRoot, 'dist', 'test', 'integration', 'suite.js');
const resultsFile = path.join(repoRoot, 'test-results', 'integration-electron.json');

if (!fs.existsSync(suite)) {
  console.error(`${path.relative(repoRoot, suite)} is missing; run \`npm run build\` first.`);
  process.exit(1);
}
fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
fs.rmSync(resultsFile, { force: true });
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quench-electron-'));

try {
  await runTests({
    version: process.env.QUENCH_VSCODE_VERSION ?? '1.100.3',
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: suite,
    extensionTestsEnv: { QUENCH_TEST_RESULTS: resultsFile },
    launchArgs: [path.join(repoRoot, 'examples'), '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${userDataDir}`],
  });
} catch (error) {
  console.error(`test:electron: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

// runTests rejects when run() throws; the results file also guards against a suite that ran nothing.
if (fs.existsSync(resultsFile)) {
  const { passed, failed } = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  console.log(`integration (electron): ${passed} passed, ${failed} failed`);
  if (failed > 0 || !(passed > 0)) process.exitCode = 1;
} else {
  console.error(`test:electron: the suite wrote no ${path.relative(repoRoot, resultsFile)}.`);
  process.exitCode = 1;
}
