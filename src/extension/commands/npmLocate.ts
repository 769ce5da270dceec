// Finds the npm to install the native backend with: the one beside the quench.nodePath node
// (run by that node), else the first npm on the PATH. No vscode import.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface NpmCommand {
  /** The executable to spawn: a node running npm-cli.js, or npm itself. */
  command: string;
  /** Arguments before npm's own (npm-cli.js when `command` is a node). */
  args: string[];
  /** Windows' npm.cmd can only be started through a shell. */
  shell: boolean;
  /** For the log, e.g. "/usr/bin/npm" or "/opt/node/bin/node …/npm-cli.js". */
  description: string;
}

export interface NpmSearch {
  /** The quench.nodePath setting, when set. */
  nodePath?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export function findNpm({ nodePath, env = process.env, platform = process.platform }: NpmSearch): NpmCommand | undefined {
  const win = platform === 'win32';
  if (nodePath && isFile(nodePath)) {
    const dir = path.dirname(nodePath);
    // Windows installs keep npm in <dir>/node_modules, Unix ones in <dir>/../lib/node_modules.
    const cli = [path.join(dir, 'node_modules', 'npm', 'bin', 'npm-cli.js'), path.join(dir, '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')].find(isFile);
    if (cli) return { command: nodePath, args: [cli], shell: false, description: `${nodePath} ${cli}` };
  }
  const npm = searchPath(win ? ['npm.cmd', 'npm.exe'] : ['npm'], env, win);
  if (!npm) return undefined;
  if (win && npm.toLowerCase().endsWith('.cmd')) {
    // Run npm-cli.js with the node beside npm.cmd where both exist: no shell, no quoting.
    const dir = path.dirname(npm);
    const cli = path.join(dir, 'node_modules', 'npm', 'bin', 'npm-cli.js');
    const node = path.join(dir, 'node.exe');
    if (isFile(cli) && isFile(node)) return { command: node, args: [cli], shell: false, description: `${node} ${cli}` };
    return { command: npm, args: [], shell: true, description: npm };
  }
  return { command: npm, args: [], shell: false, description: npm };
}

function searchPath(names: string[], env: NodeJS.ProcessEnv, win: boolean): string | undefined {
  const pathValue = (win ? Object.entries(env).find(([key]) => key.toUpperCase() === 'PATH')?.[1] : env['PATH']) ?? '';
  for (const dir of pathValue.split(win ? ';' : ':')) {
    if (!dir) continue;
    for (const name of names) {
      const candidate = path.join(dir.replace(/^"(.*)"$/, '$1'), name);
      if (isFile(candidate) && (win || isExecutable(candidate))) return candidate;
    }
  }
  return undefined;
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
