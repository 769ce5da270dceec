import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { copyInto, createModelFixtures, extensionPath, listModels, scratch, waitFor } from './helpers';

export function discoveryTests(): void {
  describe('discovery', () => {
    let files: ReturnType<typeof createModelFixtures>;
    before(() => {
      files = createModelFixtures();
    });

    it('finds each format and rejects look-alikes with a reason', async () => {
      const models = await vscode.commands.executeCommand<{ path: string; format: string }[]>('quench.refreshModels');
      const formatOf = (p: string) => models.find((m) => m.path === p)?.format;
      assert.equal(formatOf(files.tiny), 'tfjs-layers');
      assert.equal(formatOf(files.h5), 'keras-h5');
      assert.equal(formatOf(files.keras), 'keras-v3');
      assert.equal(formatOf(files.fakeJson), undefined, 'a model.json that is not a model');
      assert.equal(formatOf(files.fakeH5), undefined, 'an .h5 that is not Keras');
      const { rejected } = await listModels();
      assert.match(rejected[files.fakeJson] ?? '', /\S/, 'the look-alike model.json has a reason');
      assert.match(rejected[files.fakeH5] ?? '', /\S/, 'the non-Keras .h5 has a reason');
    });

    it('lists a PyTorch .onnx export with its parameter count, and gives a garbage .onnx a reason', async () => {
      const repo = extensionPath();
      const fixtures = JSON.parse(fs.readFileSync(path.join(repo, 'test/fixtures/onnx/manifest.json'), 'utf8')) as { models: { file: string; initializerValues: number }[] };
      const cnn = fixtures.models.find((m) => m.file === 'fashion-cnn-torchscript.onnx');
      assert.ok(cnn, 'test/fixtures/onnx/manifest.json lists fashion-cnn-torchscript.onnx');
      copyInto(scratch('onnx'), path.join(repo, 'test/fixtures/onnx', cnn.file), path.join(repo, 'test/fixtures/bad/onnx-garbage.onnx'));
      const exported = scratch('onnx', cnn.file);
      const garbage = scratch('onnx', 'onnx-garbage.onnx');
      await vscode.commands.executeCommand('quench.refreshModels');
      const { models, rejected } = await listModels();
      const listed = models.find((m) => m.path === exported);
      assert.ok(listed, `${cnn.file} is listed (models: ${models.map((m) => path.basename(m.path)).join(', ')})`);
      assert.equal(listed.format, 'onnx');
      assert.equal(listed.name, 'fashion-cnn-torchscript');
      assert.equal(listed.params, cnn.initializerValues, 'the parameter count: every value of the graph\'s initializers');
      assert.ok(!models.some((m) => m.path === garbage), 'the garbage .onnx is not listed');
      assert.match(rejected[garbage] ?? '', /\S/, 'the garbage .onnx has a reason');
    });

    it('skips node_modules', async () => {
      const hidden = scratch('node_modules', 'pkg', 'model.json');
      copyInto(path.dirname(hidden), files.tiny, path.join(path.dirname(files.tiny), 'group1-shard1of1.bin'));
      const models = await vscode.commands.executeCommand<{ path: string }[]>('quench.refreshModels');
      assert.ok(!models.some((m) => m.path === hidden));
    });

    it('follows files created and deleted on disk', async () => {
      const target = scratch('watched', 'model.json');
      copyInto(path.dirname(target), path.join(extensionPath(), 'test/fixtures/tiny/group1-shard1of1.bin'));
      fs.copyFileSync(files.tiny, target);
      await waitFor('the new model to be listed', async () => (await listModels()).models.some((m) => m.path === target) || undefined);
      fs.rmSync(path.dirname(target), { recursive: true, force: true });
      await waitFor('the deleted model to leave the list', async () => !(await listModels()).models.some((m) => m.path === target) || undefined);
    });

    it('follows a model folder moved in, renamed and copied (the watcher reports only the folder)', async () => {
      // Built outside the workspace and moved in whole: no event names the model.json itself.
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'quench-it-move-'));
      const staged = path.join(outside, 'moved-in');
      copyInto(staged, files.tiny, path.join(path.dirname(files.tiny), 'group1-shard1of1.bin'));
      const movedIn = scratch('moved-in', 'model.json');
      fs.mkdirSync(path.dirname(path.dirname(movedIn)), { recursive: true });
      fs.cpSync(staged, path.dirname(movedIn), { recursive: true });
      fs.rmSync(outside, { recursive: true, force: true });
      const listed = (p: string) => async () => (await listModels()).models.some((m) => m.path === p);
      await waitFor('the model of a folder copied in to be listed', listed(movedIn));

      const renamed = scratch('renamed', 'model.json');
      fs.renameSync(path.dirname(movedIn), path.dirname(renamed));
      await waitFor('the renamed folder\'s model to be listed', listed(renamed));
      await waitFor('the old path to leave the list', async () => !(await listed(movedIn)()) || undefined);
      fs.rmSync(path.dirname(renamed), { recursive: true, force: true });
      await waitFor('the deleted folder\'s model to leave the list', async () => !(await listed(renamed)()) || undefined);
    });

    it('sets quench.modelFiles for the when clauses (visible through the menus)', async () => {
      // Context keys cannot be read back through the API; the Models view's source of truth is the list.
      const { models } = await listModels();
      assert.ok(models.length >= 3);
      for (const m of models) assert.ok(path.isAbsolute(m.path));
    });
  });
}
