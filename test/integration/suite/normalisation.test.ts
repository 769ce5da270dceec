// The dataset step's normalisation question for a 3-channel ONNX model, answered in the real quick
// picks: Select Dataset… (no arguments) takes the last used data, "ImageNet mean/std" and no training
// data; the dataset.json beside the data then holds ImageNet's mean/std, and an evaluation reads them.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { extensionPath, scratch } from './helpers';

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** A CIFAR-10 binary batch of `count` 32x32 RGB records (label byte, then the R, G and B planes). */
function writeCifarBatch(file: string, count: number): void {
  const bytes = Buffer.alloc(count * 3073);
  for (let i = 0; i < count; i++) {
    bytes[i * 3073] = i % 10;
    for (let p = 0; p < 3072; p++) bytes[i * 3073 + 1 + p] = (i * 37 + p * 7) % 256;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
}

/**
 * Runs a command that shows quick picks and accepts the active (first) item of each one shown
 * until the command settles.
 */
async function acceptingFirstItems<T>(command: Thenable<T>): Promise<T> {
  let settled = false;
  const done = Promise.resolve(command).finally(() => {
    settled = true;
  });
  const deadline = Date.now() + 60_000;
  while (!settled && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    if (!settled) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }
  if (!settled) {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    throw new Error('the command did not settle within 60 s of accepting quick picks');
  }
  return done;
}

export function normalisationTests(): void {
  describe('dataset step: input normalisation of a 3-channel ONNX model', function () {
    const folder = () => scratch('normalisation');
    before(function () {
      if (!vscode.workspace.isTrusted) this.skip();
    });
    after(() => fs.rmSync(folder(), { recursive: true, force: true }));

    it('asks in the dataset step, saves ImageNet mean/std in dataset.json, and the evaluation applies them', async () => {
      const model = path.join(folder(), 'resnet18.onnx');
      const data = path.join(folder(), 'cifar', 'test_batch.bin');
      const descriptor = path.join(folder(), 'cifar', 'dataset.json');
      fs.mkdirSync(folder(), { recursive: true });
      fs.copyFileSync(path.join(extensionPath(), 'test/fixtures/onnx/resnet18-torchscript.onnx'), model);
      writeCifarBatch(data, 4);

      // With arguments nothing is asked: the data becomes the model's last used one.
      const bound = await vscode.commands.executeCommand<{ data?: string }>('quench.selectDataset', { model, data });
      assert.equal(bound.data, data);
      assert.ok(!fs.existsSync(descriptor), 'no question, nothing written');

      // Without: the dataset pick (last used first), the normalisation question (ImageNet first), the training pick (None first).
      const chosen = await acceptingFirstItems(vscode.commands.executeCommand<{ data?: string; trainData?: string } | undefined>('quench.selectDataset', vscode.Uri.file(model)));
      assert.equal(chosen?.data, data);
      assert.equal(chosen?.trainData, undefined);
      assert.ok(fs.existsSync(descriptor), `${descriptor} was written`);
      assert.deepEqual(JSON.parse(fs.readFileSync(descriptor, 'utf8')), IMAGENET);
      assert.deepEqual(fs.readdirSync(path.dirname(descriptor)).sort(), ['dataset.json', 'test_batch.bin'], 'no temporary file left');

      const result = await vscode.commands.executeCommand<{ outcome: string; message?: string; report?: { dataset: { preprocessing: unknown }; notes: string[] } }>(
        'quench.evaluateModel',
        { model, data },
      );
      assert.equal(result.outcome, 'done', result.message);
      assert.deepEqual(result.report!.dataset.preprocessing, { scale: '0..1', ...IMAGENET, source: 'descriptor' });
      assert.ok(!result.report!.notes.some((n) => n.includes('No mean/std')), result.report!.notes.join('\n'));
    });
  });
}
