// Proves the folder boundaries of DESIGN.md are enforced by `npm run lint`: each wrong import
// below must fail with no-restricted-imports, and the allowed imports beside it must pass.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const eslint = new ESLint({ cwd: repoRoot });

// Files that do not exist on disk: ESLint applies the config by path only.
async function restrictedImports(relativePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(repoRoot, relativePath) });
  assert.ok(result, `ESLint returned no result for ${relativePath}`);
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `${relativePath} did not parse`);
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const forbidden: Array<[string, string]> = [
  ['src/engine/jobs/lint-probe.ts', "import * as vscode from 'vscode';\nexport const v = vscode.version;\n"],
  ['src/engine/lint-probe.ts', "import { activate } from '../extension/extension';\nexport const a = activate;\n"],
  ['src/cli/lint-probe.ts', "import type { ExtensionContext } from 'vscode';\nexport type C = ExtensionContext;\n"],
  ['src/extension/lint-probe.ts', "import * as tf from '@tensorflow/tfjs';\nexport const t = tf.version;\n"],
  ['src/extension/commands/lint-probe.ts', "import * as h5wasm from 'h5wasm/node';\nexport const h = h5wasm;\n"],
  ['src/extension/lint-probe.ts', "import { runJob } from '../engine/jobs/index';\nexport const r = runJob;\n"],
  ['webview/lint-probe.ts', "import * as fs from 'fs';\nexport const f = fs.readFileSync;\n"],
  ['webview/lint-probe.ts', "import { readFile } from 'node:fs/promises';\nexport const f = readFile;\n"],
  ['webview/lint-probe.ts', "import type { JobContext } from '../src/engine/core/context';\nexport type C = JobContext;\n"],
  ['webview/lint-probe.ts', "import * as vscode from 'vscode';\nexport const v = vscode;\n"],
  ['src/protocol/lint-probe.ts', "import type { ExtensionContext } from 'vscode';\nexport type C = ExtensionContext;\n"],
  ['src/protocol/lint-probe.ts', "import type { Tensor } from '@tensorflow/tfjs';\nexport type T = Tensor;\n"],
  ['src/protocol/lint-probe.ts', "import type { JobContext } from '../engine/core/context';\nexport type Y = JobContext;\n"],
  ['src/engine/core/lint-probe.ts', "import { openModel } from '../formats';\nexport const o = openModel;\n"],
  ['src/engine/limits/lint-probe.ts', "import { detectFormat } from '../formats';\nexport const d = detectFormat;\n"],
  ['src/engine/formats/lint-probe.ts', "import { loadModelForJob } from '../jobs/common';\nexport const l = loadModelForJob;\n"],
  ['src/engine/train/lint-probe.ts', "import { runJob } from '../jobs';\nexport const r = runJob;\n"],
];

for (const [file, source] of forbidden) {
  const imported = source.match(/from '([^']+)'/)?.[1];
  test(`lint rejects ${file} importing ${imported}`, async () => {
    const messages = await restrictedImports(file, source);
    assert.equal(messages.length, 1, `expected one no-restricted-imports error, got ${JSON.stringify(messages)}`);
  });
}

const allowed: Array<[string, string]> = [
  ['src/engine/lint-probe.ts', "import type { EngineMethod } from '../protocol/engine';\nimport * as tf from '@tensorflow/tfjs';\nexport type M = EngineMethod;\nexport const t = tf.version;\n"],
  ['src/extension/lint-probe.ts', "import type { EngineMethod } from '../protocol/engine';\nimport * as vscode from 'vscode';\nexport type M = EngineMethod;\nexport const v = vscode.version;\n"],
  ['webview/lint-probe.ts', "import type { Report } from '../src/protocol/report';\nexport type R = Report;\n"],
  ['src/protocol/lint-probe.ts', "import type { Report } from './report';\nexport type R = Report;\n"],
  ['src/engine/limits/lint-probe.ts', "import { EngineFailure } from '../core/errors';\nexport const e = EngineFailure;\n"],
  ['src/engine/formats/lint-probe.ts', "import { formatBytes } from '../limits';\nexport const f = formatBytes;\n"],
];

for (const [file, source] of allowed) {
  test(`lint allows ${file} importing ${source.match(/from '([^']+)'/)?.[1]}`, async () => {
    assert.deepEqual(await restrictedImports(file, source), []);
  });
}
