// The `quench` command: parses a subcommand, runs its engine job in this process, prints the report
// (tables, or JSON with --json). Exit codes: 0 ok, 1 the job failed, 2 usage error, 130 cancelled.
import type { EngineMethod, EngineRequests } from '../protocol/engine';
import type { Report } from '../protocol/report';
import { EngineFailure, JobCancelled } from '../engine/core/errors';
import { type JobContext } from '../engine/core/context';
import { TOOL } from '../engine/jobs/common';
import { runJob } from '../engine/jobs';
import { helpText, parseArgs, UsageError } from './args';
import { commands } from './commands';
import { progressPrinter } from './progress';
import { renderReport } from './render';

const USAGE = `Usage: quench <command> <model> [options]   (quench dataset <data> [options])

Commands:
${commands.map((c) => `  ${c.name.padEnd(9)}${c.summary}`).join('\n')}

Run "quench <command> --help" for the options of a command.
Environment: QUENCH_BACKEND=tensorflow|wasm|cpu forces the TensorFlow.js backend;
QUENCH_ONNXRUNTIME=off keeps ONNX models' evaluation on TensorFlow.js where onnxruntime-node is installed.
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${TOOL.version}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) return usageError(`unknown command "${name}"; commands: ${commands.map((c) => c.name).join(', ')}`);
  let params: EngineRequests[EngineMethod]['params'];
  let asJson = false;
  try {
    const parsed = parseArgs(rest, command.flags);
    if (parsed.help) {
      process.stdout.write(helpText(command.usage, command.summary, command.flags));
      return 0;
    }
    const [model, ...extra] = parsed.positionals;
    if (!model) throw new UsageError(`${command.positional ?? 'a model path'} is required`);
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    params = command.toParams(model, parsed.flags);
    asJson = parsed.flags['json'] === true;
  } catch (error) {
    if (error instanceof UsageError) return usageError(error.message, command.name);
    throw error;
  }

  const controller = new AbortController();
  const progress = progressPrinter();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    progress.done();
    process.stderr.write('quench: cancelling (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  const ctx: JobContext = {
    signal: controller.signal,
    progress: (p) => progress.update(p),
    log: (level, message) => {
      if (level === 'warn' || level === 'error') {
        progress.done();
        process.stderr.write(`quench: ${level}: ${message}\n`);
      }
    },
  };
  try {
    const result = await runJob(command.method, params as never, ctx);
    progress.done();
    const text = asJson ? JSON.stringify(result, null, 2) : command.render ? command.render(result as never) : renderReport(result as Report);
    process.stdout.write(`${text}\n`);
    return 0;
  } catch (error) {
    progress.done();
    return failure(error);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function usageError(message: string, command?: string): number {
  process.stderr.write(`quench: ${message}\n(see "quench ${command ? `${command} ` : ''}--help")\n`);
  return 2;
}

function failure(error: unknown): number {
  if (error instanceof JobCancelled) {
    process.stderr.write('quench: cancelled\n');
    return 130;
  }
  if (error instanceof EngineFailure) {
    process.stderr.write(`quench: ${error.message.split('\n')[0]}\n`);
    return 1;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  process.stderr.write(`quench: internal error: ${err.message.split('\n')[0]}\n`);
  if (process.env['QUENCH_DEBUG']) process.stderr.write(`${err.stack}\n`);
  return 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.exitCode = failure(error);
    },
  );
}
