// A stand-in extension host for engine-process.test.ts: starts the real engine through the real
// client, starts the prune job given as argv[2], and sends the engine's pid to its parent once the
// job is under way. The test then SIGKILLs this process, as a window reload ends the host.
import * as path from 'node:path';
import { EngineConnection } from '../../../src/extension/client/connection';
import { engineProcessStarter } from '../../../src/extension/client/process';
import type { PruneParams } from '../../../src/protocol/engine';

const repoRoot = path.resolve(__dirname, '../../..');
const connection = new EngineConnection(engineProcessStarter({ enginePath: path.join(repoRoot, 'src/engine/main.ts'), execArgv: ['--import', 'tsx'], backend: 'cpu' }));
let told = false;
connection
  .request('prune', JSON.parse(process.argv[2]!) as PruneParams, {
    onProgress: (p) => {
      if (told || !p.stage.startsWith('evaluate')) return;
      told = true;
      process.send!({ enginePid: connection.pid });
    },
  })
  .catch(() => undefined);
