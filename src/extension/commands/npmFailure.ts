// Why an `npm install` of an optional native package (@tensorflow/tfjs-node, onnxruntime-node) did
// not give a working installation, read from what npm printed, and the one message the user sees
// for it. No vscode import: unit-tested on captured npm outputs (test/unit/extension/fixtures/npm).

export type InstallFailureReason =
  /** No npm executable: not on the PATH, nor beside the quench.nodePath node. */
  | 'no-npm'
  /** The npm registry could not be reached (offline, DNS, proxy, refused). */
  | 'offline'
  /** The package's install script could not get its native library for this platform (tfjs-node: libtensorflow). */
  | 'no-binary'
  /** npm succeeded, but the installed package does not load (the smoke test failed). */
  | 'load-failed'
  /** npm ran past the time limit before its install script started. */
  | 'timeout'
  /** npm or moving the result into place failed for another reason (a version the registry lacks, a full disk, …). */
  | 'failed';

export interface NpmRun {
  /** stdout and stderr, interleaved as they came. */
  output: string;
  exitCode: number | null;
  /** The spawn error's code (e.g. ENOENT when the executable is missing). */
  spawnError?: string;
  timedOut?: boolean;
}

export interface InstallFailure {
  reason: InstallFailureReason;
  /** The specific cause: an error code, a host, a platform, npm's own error line. */
  detail: string;
}

const NETWORK_CODES = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENETDOWN|ECONNABORTED|EPROXY|ERR_SOCKET_TIMEOUT|CERT_[A-Z_]+|UNABLE_TO_[A-Z_]+|SELF_SIGNED_CERT_IN_CHAIN)\b/;
const NPM_ERROR = /^npm (?:error|ERR!) ?(.*)$/;

/** npm's header line for the package's own (pre/post)install script, e.g. "> onnxruntime-node@1.31.1 postinstall". */
export function isInstallScriptLine(line: string, packageName: string): boolean {
  return line.startsWith(`> ${packageName}@`) && /^> \S+@\S+ (?:pre|post)?install\b/.test(line);
}

/** Classifies a failed npm run of `packageName` (default tfjs-node); `undefined` when it did not fail. */
export function classifyNpmFailure(run: NpmRun, packageName = '@tensorflow/tfjs-node'): InstallFailure | undefined {
  if (run.spawnError === 'ENOENT') return { reason: 'no-npm', detail: 'ENOENT' };
  const lines = run.output.split(/\r?\n/);
  const npmErrors = lines.map((line) => NPM_ERROR.exec(line)?.[1]?.trim()).filter((line): line is string => line !== undefined);
  const scriptAt = lines.findIndex((line) => isInstallScriptLine(line, packageName));
  const scriptOutput = scriptAt >= 0 ? lines.slice(scriptAt).filter((line) => !NPM_ERROR.test(line)) : [];
  const folderName = packageName.split('/').at(-1)!;
  const scriptFailed = scriptAt >= 0 && npmErrors.some((line) => (/^path /.test(line) && line.trimEnd().endsWith(folderName)) || /^command failed/.test(line));

  if (scriptFailed || (run.timedOut && scriptAt >= 0)) return { reason: 'no-binary', detail: binaryDetail(scriptOutput, run.timedOut === true) };
  if (run.spawnError) return { reason: 'failed', detail: `npm could not be started (${run.spawnError})` };
  const code = npmErrors.map((line) => /^code (\S+)/.exec(line)?.[1]).find(Boolean);
  const network = npmErrors.some((line) => line.startsWith('network')) || (code !== undefined && NETWORK_CODES.test(code));
  if (network) {
    const url = npmErrors.map((line) => /request to (\S+) failed/.exec(line)?.[1]).find(Boolean);
    return { reason: 'offline', detail: [code, url ? registryOf(url) : undefined].filter(Boolean).join(' ') };
  }
  if (run.timedOut) return { reason: 'timeout', detail: 'npm did not finish in time' };
  if (run.exitCode === 0) return undefined;
  const explanation = npmErrors.find((line) => line !== '' && !/^(code|errno|syscall|path|command|A complete log)\b/.test(line));
  const status = run.exitCode === null ? 'npm was stopped' : `npm exited with code ${run.exitCode}`;
  return { reason: 'failed', detail: [status, code, explanation].filter(Boolean).join(': ') };
}

/** What went wrong inside the package's install script: an unsupported platform or an unreachable host. */
function binaryDetail(scriptOutput: string[], timedOut: boolean): string {
  const text = scriptOutput.join('\n');
  const unsupported = /Error: Unsupported system: (\S+)/.exec(text);
  if (unsupported) return `TensorFlow publishes no prebuilt library for ${unsupported[1]}`;
  const host = /(?:ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH) (\S+?)(?::\d+)?$/m.exec(text)?.[1];
  const code = NETWORK_CODES.exec(text)?.[1];
  const url = /^https?:\/\/\S+$/m.exec(text)?.[0];
  const from = host ?? (url ? new URL(url).host : undefined);
  if (timedOut) return `the download${from ? ` from ${from}` : ''} did not finish in time`;
  if (code) return `${from ?? 'its download host'} could not be reached (${code})`;
  if (/node-pre-gyp install failed/.test(text)) return 'no prebuilt addon matches this platform and building it from source failed';
  const error = scriptOutput.map((line) => /^(?:\w*Error): (.*)$/.exec(line.trim())?.[1]).find(Boolean);
  return error ?? 'its install script failed';
}

function registryOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/`;
  } catch {
    return url;
  }
}

export interface MessageContext {
  /** What was being installed, as the message names it; default "the TensorFlow backend". */
  subject?: string;
  /** Its npm package; default @tensorflow/tfjs-node. */
  packageName?: string;
  /** What its install script fetches; default "prebuilt TensorFlow library". */
  library?: string;
  /** The version asked for. */
  version: string;
  /** e.g. "linux-x64". */
  platform: string;
  /** What Quench keeps using, e.g. "WebAssembly", "TensorFlow.js for ONNX models". */
  fallback: string;
  /** The quench.nodePath setting when one is set. */
  nodePath?: string;
  timeoutSeconds?: number;
}

/** The single message shown for a failure. */
export function failureMessage(failure: InstallFailure, ctx: MessageContext): string {
  const head = `Could not install ${ctx.subject ?? 'the TensorFlow backend'}: `;
  const name = ctx.packageName ?? '@tensorflow/tfjs-node';
  const tail = ` Quench keeps using ${ctx.fallback}.`;
  const seeOutput = ' npm’s last lines are in the Quench output.';
  switch (failure.reason) {
    case 'no-npm':
      return (
        head +
        (ctx.nodePath ? `npm was found neither beside quench.nodePath (${ctx.nodePath}) nor on the PATH. ` : 'npm was not found on the PATH. ') +
        'Install Node.js (it includes npm), or set quench.nodePath to a node with npm beside it, then try again.' +
        tail
      );
    case 'offline':
      return head + `the npm registry could not be reached (${failure.detail || 'network error'}). Check the network connection or npm’s proxy settings, then try again.` + tail + seeOutput;
    case 'no-binary':
      return (
        head +
        `${name} ${ctx.version} downloaded, but its ${ctx.library ?? 'prebuilt TensorFlow library'} for ${ctx.platform} could not be installed: ${failure.detail}.` +
        tail +
        seeOutput
      );
    case 'load-failed':
      return head + `${name} ${ctx.version} installed but does not load here (${failure.detail}); nothing was kept.` + tail + seeOutput;
    case 'timeout':
      return head + `npm did not finish within ${ctx.timeoutSeconds ?? '?'} s.` + tail + seeOutput;
    case 'failed':
      return head + `${failure.detail}.` + tail + seeOutput;
  }
}
