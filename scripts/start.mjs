// `npm start` (after `npm run build`): opens VS Code with Quench under development on the example
// workspace. Desktop VS Code when its `code` command is on the PATH; otherwise code-server in the
// browser, installed once into .cache/code-server/, until Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, startCodeServer } from './code-server.mjs';

const workspace = path.join(repoRoot, 'examples');
if (!fs.existsSync(workspace)) {
  console.error(`The example workspace ${workspace} is missing.`);
  process.exit(1);
}

function hasDesktopCode() {
  if (process.env.QUENCH_START_BROWSER === '1') return false;
  const probe = spawnSync('code', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' });
  return probe.status === 0;
}

if (hasDesktopCode()) {
  const code = spawn('code', [`--extensionDevelopmentPath=${repoRoot}`, workspace], { stdio: 'inherit', shell: process.platform === 'win32' });
  code.on('exit', (status) => process.exit(status ?? 0));
} else {
  console.log('No desktop `code` command on the PATH: starting VS Code in the browser (code-server).');
  const server = await startCodeServer({ workspace, extensionDir: repoRoot });
  console.log(`\nQuench is ready. Open this URL in a browser:\n\n  ${server.folderUrl(workspace)}\n\nCtrl-C stops the server.`);
  // code-server.mjs stops the server and removes its throw-away folders on Ctrl-C.
  await new Promise(() => {});
}
