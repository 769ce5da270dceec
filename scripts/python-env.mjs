// The Keras tier's Python: a venv at .cache/py with real TensorFlow + Keras 3, installed once from
// the machine's configured package index. A marker file records the requirement list; a venv whose
// marker matches is reused at no cost, one without a marker whose packages already match is adopted,
// anything else is rebuilt.
//
//   import { ensurePythonEnv } from './python-env.mjs';
//   const env = await ensurePythonEnv();   // { python: '/…/.cache/py/bin/python', reason: null }
//                                    // or { python: null, reason: '…', offline: true|false }
//
// `node scripts/python-env.mjs` does the same and prints the python path (exit 0) or the reason (1).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What the Keras and ONNX tiers judge with (onnx + onnxruntime for the ONNX tier; its fixtures are
 * committed, so no torch). Changing this list rebuilds the venv on the next run.
 */
export const REQUIREMENTS = ['tensorflow-cpu==2.21.0', 'keras==3.15.1', 'h5py', 'onnx==1.23.1', 'onnxruntime==1.30.0'];
export const VENV_DIR = path.join(repoRoot, '.cache/py');
const MARKER = path.join(VENV_DIR, 'quench-requirements.json');
const LOG = path.join(repoRoot, '.cache/py-install.log');

/** The venv's interpreter (it may not exist yet). */
export function venvPython() {
  return process.platform === 'win32' ? path.join(VENV_DIR, 'Scripts', 'python.exe') : path.join(VENV_DIR, 'bin', 'python');
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 2 ** 20, ...options });
  return { ok: result.status === 0 && !result.error, status: result.status, error: result.error, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** Like run(), without blocking: `slow` is called once if the command is still running after `slowMs`. */
function runAsync(command, args, options, slowMs, slow) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(slow, slowMs);
    const done = (ok, error) => {
      clearTimeout(timer);
      resolve({ ok, output: error ? `${output}${error.message}` : output });
    };
    child.on('error', (error) => done(false, error));
    child.on('exit', (status) => done(status === 0));
  });
}

function readMarker() {
  try {
    return JSON.parse(fs.readFileSync(MARKER, 'utf8'));
  } catch {
    return null;
  }
}

function writeMarker(how) {
  fs.writeFileSync(MARKER, `${JSON.stringify({ requirements: REQUIREMENTS, how, at: new Date().toISOString() }, null, 2)}\n`);
}

const sameList = (a, b) => Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);

/** Whether the venv's python runs and has every requirement installed at the pinned version. */
function venvSatisfies() {
  const python = venvPython();
  if (!fs.existsSync(python)) return false;
  const script = [
    'import importlib.metadata as m, json, sys',
    'reqs = json.loads(sys.argv[1])',
    'bad = []',
    'for r in reqs:',
    '    name, _, want = r.partition("==")',
    '    try:',
    '        have = m.version(name)',
    '    except m.PackageNotFoundError:',
    '        bad.append(r); continue',
    '    if want and have != want: bad.append(r)',
    'sys.exit(1 if bad else 0)',
  ].join('\n');
  return run(python, ['-c', script, JSON.stringify(REQUIREMENTS)]).ok;
}

// pip's words when no configured index (or find-links folder) could be reached, or none offered the
// pinned versions: the tier cannot run on this machine, which is not a test failure off CI.
const UNREACHABLE = [
  /from versions: none/,
  /No matching distribution found/,
  /NewConnectionError|Failed to establish a new connection|Max retries exceeded/,
  /Temporary failure in name resolution|Name or service not known|nodename nor servname/,
  /Network is unreachable|Connection refused|ProxyError|Could not fetch URL/,
];

function lastLine(text) {
  return text.trim().split('\n').filter((l) => l.trim()).pop()?.trim() ?? '';
}

function fail(reason, offline, output = '') {
  if (output) {
    fs.mkdirSync(path.dirname(LOG), { recursive: true });
    fs.writeFileSync(LOG, output);
  }
  return { python: null, reason, offline, output };
}

/**
 * Makes sure .cache/py holds REQUIREMENTS and returns its python, or `python: null` with a one-line
 * reason. `offline` is true when the cause is that no package index could be reached (or python3
 * is missing): the caller may skip the tier then. `log` gets progress lines (installs take minutes).
 */
export async function ensurePythonEnv({ log = (line) => console.error(line) } = {}) {
  const python = venvPython();
  const marker = readMarker();
  if (marker && sameList(marker.requirements, REQUIREMENTS) && run(python, ['-c', '']).ok) {
    return { python, reason: null, offline: false };
  }
  // A venv made by hand (or by an interrupted run) with the right packages: adopt it.
  if (venvSatisfies()) {
    writeMarker('adopted');
    log(`keras: adopted the existing venv at ${path.relative(repoRoot, VENV_DIR)} (${REQUIREMENTS.join(' ')})`);
    return { python, reason: null, offline: false };
  }

  const base = process.env.QUENCH_PYTHON3 || 'python3';
  const probe = run(base, ['-c', 'import sys; print(sys.version.split()[0])']);
  if (!probe.ok) return fail(`${base} was not found on the PATH (the tier needs CPython 3.11 to build ${path.relative(repoRoot, VENV_DIR)})`, true);

  const started = Date.now();
  fs.rmSync(VENV_DIR, { recursive: true, force: true });
  const venv = run(base, ['-m', 'venv', VENV_DIR]);
  if (!venv.ok) {
    fs.rmSync(VENV_DIR, { recursive: true, force: true });
    return fail(`${base} -m venv failed: ${lastLine(venv.output)}`, false, venv.output);
  }
  // PIP_RETRIES=0: an unreachable index fails at once instead of after minutes of retries.
  // Said only once pip is clearly installing: an unreachable index fails within seconds, and then
  // the caller's one skip line is all that is printed.
  const pip = await runAsync(
    python,
    ['-m', 'pip', 'install', '--no-input', ...REQUIREMENTS],
    { env: { ...process.env, PIP_RETRIES: '0', PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' } },
    15_000,
    () => log(`keras: installing ${REQUIREMENTS.join(' ')} into ${path.relative(repoRoot, VENV_DIR)} with Python ${probe.output.trim()} (once; about a minute)`),
  );
  if (!pip.ok) {
    fs.rmSync(VENV_DIR, { recursive: true, force: true });
    const offline = UNREACHABLE.some((re) => re.test(pip.output));
    const why = offline ? `pip could not get ${REQUIREMENTS[0]} from any configured package index` : 'pip install failed';
    return fail(`${why} (${lastLine(pip.output)}; full output in ${path.relative(repoRoot, LOG)})`, offline, pip.output);
  }
  if (!venvSatisfies()) {
    return fail(`pip installed, but the venv still lacks one of ${REQUIREMENTS.join(' ')}`, false, pip.output);
  }
  writeMarker('installed');
  log(`keras: venv ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { python, reason: null, offline: false };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const env = await ensurePythonEnv();
  if (env.python) console.log(env.python);
  else {
    console.error(`keras: ${env.reason}`);
    process.exit(1);
  }
}
