// Extension-host tier: runs the bundled Mocha suite (dist/test/integration/suite.js, built by
// `npm run build`) inside code-server's real extension host, with this repository as the extension
// under development and examples/ as the workspace. The suite writes its results as JSON; this
// runner reads them and fails on any failure, on zero tests, and on a missing results file.
// A copy of the results is kept in test-results/<name>.json.
//
// The suite runs twice: once in a trusted workspace (workspace trust off) and once with workspace
// trust on and the folder untrusted (restricted mode), where the jobs' tests skip themselves and the
// restricted-mode tests run. Each launch must report the trust state it was started for, run at
// least one test and fail none.
//
//   node scripts/run-integration.mjs                  the extension's suite, both launches
//   node scripts/run-integration.mjs --trusted-only   the trusted launch only (quicker while editing)
//   node scripts/run-integration.mjs --harness-check  test/integration/harness-check (the harness itself)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchChromium, repoRoot, startCodeServer, tail, testPayloadUrl } from './code-server.mjs';

const harnessCheck = process.argv.includes('--harness-check');
const timeoutMs = Number(process.env.QUENCH_INTEGRATION_TIMEOUT_S ?? 900) * 1000;
const started = Date.now();

async function suiteBundle() {
  if (!harnessCheck) return path.join(repoRoot, 'dist', 'test', 'integration', 'suite.js');
  const esbuild = await import('esbuild');
  const outfile = path.join(repoRoot, 'dist', 'test', 'integration', 'harness-check.js');
  await esbuild.build({
    entryPoints: [path.join(repoRoot, 'test', 'integration', 'harness-check', 'index.ts')],
    outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning',
  });
  return outfile;
}

function exampleWorkspace() {
  const examples = path.join(repoRoot, 'examples');
  if (fs.existsSync(examples)) return { workspace: examples, cleanup: () => {} };
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'quench-workspace-'));
  return { workspace: temp, cleanup: () => fs.rmSync(temp, { recursive: true, force: true }) };
}

/** The results once the file holds complete JSON; null while it is absent. */
function readResults(file) {
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null; // still being written
  }
}

async function main() {
  const bundle = await suiteBundle();
  if (!fs.existsSync(bundle)) throw new Error(`integration: ${path.relative(repoRoot, bundle)} is missing; run \`npm run build\` first.`);
  const launches = harnessCheck
    ? [{ name: 'harness-check', trusted: true }]
    : [{ name: 'integration', trusted: true }, ...(process.argv.includes('--trusted-only') ? [] : [{ name: 'integration-untrusted', trusted: false }])];
  let code = 0;
  for (const launch of launches) code = Math.max(code, report(launch, await runLaunch(bundle, launch)));
  return code;
}

/**
 * One code-server launch running the suite. Untrusted: workspace trust on and the folder never
 * trusted. The startup trust prompt does not block the payload's extension host (checked: the
 * untrusted tests pass with it on), but it is turned off so no modal sits over the workbench.
 */
async function runLaunch(bundle, { name, trusted }) {
  const launchStarted = Date.now();
  // The environment of code-server reaches its extension host (the harness check asserts it), so
  // each run gets its own results file: runs in the same checkout cannot read each other's results.
  const envResults = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'quench-results-')), `${name}.json`);
  const keptResults = path.join(repoRoot, 'test-results', `${name}.json`);

  const { workspace, cleanup } = exampleWorkspace();
  const server = await startCodeServer({
    workspace,
    trust: !trusted,
    settings: trusted ? {} : { 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' },
    env: { QUENCH_TEST_RESULTS: envResults },
  });
  let browser;
  const browserLog = [];
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') browserLog.push(`[${message.type()}] ${message.text()}`);
    });
    page.on('pageerror', (error) => browserLog.push(`[pageerror] ${error.message}`));
    await page.goto(testPayloadUrl(server, { workspace, extensionDevelopmentPath: repoRoot, extensionTestsPath: bundle.replace(/\.js$/, '') }));

    let found = null;
    const deadline = Date.now() + timeoutMs;
    while (!found && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      found = readResults(envResults);
    }
    if (!found) {
      console.error(`code-server log (tail):\n${tail(server.logFile)}\nbrowser console (tail):\n${browserLog.slice(-30).join('\n')}`);
      throw new Error(`${name}: the suite wrote no results to ${envResults} (QUENCH_TEST_RESULTS) within ${timeoutMs / 1000} s.`);
    }
    fs.mkdirSync(path.dirname(keptResults), { recursive: true });
    fs.writeFileSync(keptResults, JSON.stringify(found, null, 2));
    return { ...found, seconds: (Date.now() - launchStarted) / 1000 };
  } finally {
    await browser?.close().catch(() => {});
    await server.stop();
    cleanup();
    fs.rmSync(path.dirname(envResults), { recursive: true, force: true });
  }
}

function report({ name, trusted }, results) {
  const passed = Number(results.passed);
  const failed = Number(results.failed);
  for (const failure of results.failures ?? []) console.error(`  ✖ ${failure.title}\n    ${String(failure.error).split('\n').join('\n    ')}`);
  const skipped = Number(results.skipped ?? 0);
  const total = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${name}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''} (${results.seconds.toFixed(1)} s; ${total} s so far)`);
  if (!Number.isInteger(passed) || !Number.isInteger(failed)) return 1;
  if (failed > 0) return 1;
  if (passed === 0) {
    console.error(`${name}: no test ran.`);
    return 1;
  }
  // A launch meant to be untrusted that came up trusted would skip the restricted-mode tests and pass.
  if (results.trusted !== undefined && results.trusted !== trusted) {
    console.error(`${name}: the workspace was ${results.trusted ? 'trusted' : 'untrusted'}, expected ${trusted ? 'trusted' : 'untrusted'}.`);
    return 1;
  }
  return 0;
}

main().then((code) => process.exit(code), (error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
