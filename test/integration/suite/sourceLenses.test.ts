// Lenses, hovers and code actions on the lines of code that build a model's layers: the example's
// model.py (explicit names, Sequential list, saved as .keras / .h5 / model.json) and small fixture
// sources whose model files were written by running them under real Keras / TF.js (auto-names, a
// functional model, tf.layers in JS). Mocha `describe` context: registered inside editor.test.ts.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { copyInto, extensionPath, scratch, workspaceRoot } from './helpers';

/** Polls a provider command until it yields something (the first call waits on an engine inspect). */
export async function until<T>(get: () => Thenable<T[] | undefined>, timeoutMs = 120_000, enough = (items: T[]) => items.length > 0): Promise<T[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const items = (await get()) ?? [];
    if (enough(items) || Date.now() > end) return items;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export const lensesOf = (uri: vscode.Uri) => vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);

const fixtures = () => path.join(extensionPath(), 'test/integration/suite/fixtures/source');

interface LineLens {
  line: string;
  title: string;
  args: unknown[];
}

/** The lenses of a source file once `count` are there (discovery and the engine's inspect come first), with each one's source line. */
async function lensLines(file: string, count: number): Promise<LineLens[]> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  await vscode.window.showTextDocument(document);
  const lenses = await until(() => lensesOf(document.uri), 120_000, (items) => items.length >= count);
  return lenses
    .sort((a, b) => a.range.start.compareTo(b.range.start))
    .map((l) => ({ line: document.lineAt(l.range.start.line).text.trim(), title: l.command?.title ?? '', args: l.command?.arguments ?? [] }));
}

function lensOn(lenses: LineLens[], lineStart: string): LineLens[] {
  return lenses.filter((l) => l.line.startsWith(lineStart));
}

export function sourceLensTests(): void {
  const modelPy = () => path.join(workspaceRoot(), 'fashion-vgg', 'model.py');

  it('model.py of the example: a lens at each of its 23 layer constructors, with that layer', async function () {
    if (!fs.existsSync(modelPy())) this.skip();
    const lenses = await lensLines(modelPy(), 23);
    assert.equal(lenses.length, 23, JSON.stringify(lenses.map((l) => l.title)));
    for (const lens of lenses) {
      const name = lens.title.split(' · ')[0]!;
      assert.ok(lens.line.includes(`name="${name}"`), `the lens ${lens.title} sits on ${lens.line}`);
    }
    // (A prune run of the example, by this suite or one running beside it, adds "· 80% pruned · ..." to conv5.)
    const [conv5, conv6] = lensOn(lenses, 'layers.Conv2D(128, 3').map((l) => l.title);
    assert.ok(conv5?.startsWith('conv5 · 73,856 params'), conv5);
    assert.ok(conv6?.startsWith('conv6 · 147,584 params'), conv6);
    assert.deepEqual(lensOn(lenses, 'layers.Dense(').map((l) => l.title.split(' · ').slice(0, 2).join(' · ')), ['output · 11,520 params']);
    // Saved as .keras first in model.py: that file's layers (any of the three would do).
    assert.equal(lenses[0]!.args[0], path.join(workspaceRoot(), 'fashion-vgg', 'fashion-vgg.keras'));
    assert.deepEqual(lenses[0]!.args[1], 'conv1');
  });

  it('hover and code actions on a constructor in model.py: the layer row, Prune this layer… and Show in Quench report', async function () {
    if (!fs.existsSync(modelPy())) this.skip();
    await lensLines(modelPy(), 23);
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(modelPy()));
    const at = document.positionAt(document.getText().indexOf('name="conv5"'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, at);
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\*\*conv5\*\*/);
    assert.match(text, /\| Params \| 73,856 \|/);
    assert.match(text, /\| Class \| Conv2D \|/);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, new vscode.Range(at, at));
    const prune = actions.find((a) => a.title === 'Prune this layer…');
    const show = actions.find((a) => a.title === 'Show in Quench report');
    assert.ok(prune && show, JSON.stringify(actions.map((a) => a.title)));
    const model = path.join(workspaceRoot(), 'fashion-vgg', 'fashion-vgg.keras');
    assert.equal(prune.command?.command, 'quench.pruneModel');
    // The flow opens with the layer preselected (the ellipsis), rather than running on remembered choices.
    assert.deepEqual(prune.command?.arguments, [{ model, layers: ['conv5'], ask: true }]);
    assert.equal(show.command?.command, 'quench.internal.showLayer');
    assert.deepEqual(show.command?.arguments, [model, 'conv5']);
  });

  it('a Sequential list with layers Keras named itself, saved as .keras: conv2d, conv2d_1, re_lu, ...', async () => {
    copyInto(scratch('seq'), path.join(fixtures(), 'cnn_seq.py'), path.join(fixtures(), 'cnn_seq.keras'));
    const lenses = await lensLines(scratch('seq', 'cnn_seq.py'), 11);
    assert.deepEqual(lenses.map((l) => [l.line.replace(/\(.*$/, ''), l.title]), [
      ['keras.Input', 'input_layer · 0 params'],
      ['Conv2D', 'conv2d · 40 params'],
      ['layers.BatchNormalization', 'batch_normalization · 16 params'],
      ['layers.ReLU', 're_lu · 0 params'],
      ['layers.MaxPooling2D', 'max_pooling2d · 0 params'],
      ['keras.layers.Conv2D', 'wide · 296 params'],
      ['Conv2D', 'conv2d_1 · 584 params'],
      ['layers.BatchNormalization', 'batch_normalization_1 · 32 params'],
      ['layers.Activation', 'activation · 0 params'],
      ['layers.GlobalAveragePooling2D', 'global_average_pooling2d · 0 params'],
      ['Dense', 'dense · 27 params'],
    ]);
    assert.equal(lenses[1]!.args[0], scratch('seq', 'cnn_seq.keras'));
  });

  it('a functional model through tf.keras and an aliased import, saved as .h5 via os.path.join', async () => {
    copyInto(scratch('func'), path.join(fixtures(), 'cnn_func.py'), path.join(fixtures(), 'cnn_func.h5'));
    const lenses = await lensLines(scratch('func', 'cnn_func.py'), 10);
    const titles = lenses.map((l) => l.title);
    assert.deepEqual(lensOn(lenses, 'x = tf.keras.layers.Conv2D(').map((l) => l.title), ['conv2d · 54 params'], JSON.stringify(titles));
    assert.deepEqual(lensOn(lenses, 'y = L.Conv2D(').map((l) => l.title), ['branch · 330 params']);
    assert.deepEqual(lensOn(lenses, 'y = L.DepthwiseConv2D(').map((l) => l.title), ['depthwise_conv2d · 60 params']);
    assert.deepEqual(lensOn(lenses, 'x = L.Conv2D(8, 1)').map((l) => l.title), ['conv2d_1 · 56 params']);
    assert.deepEqual(lensOn(lenses, 'outputs = L.Dense(').map((l) => l.title), ['probs · 3,459 params']);
    assert.equal(lenses.length, 10, JSON.stringify(titles));
    assert.equal(lenses[0]!.args[0], scratch('func', 'cnn_func.h5'));
  });

  it("a JS file using tf.layers, saved to 'file://./tfjs_cnn' (a model.json): tfjs-layers' own names", async () => {
    copyInto(scratch('js'), path.join(fixtures(), 'tfjs_cnn.mjs'));
    copyInto(scratch('js', 'tfjs_cnn'), path.join(fixtures(), 'tfjs_cnn', 'model.json'), path.join(fixtures(), 'tfjs_cnn', 'weights.bin'));
    const lenses = await lensLines(scratch('js', 'tfjs_cnn.mjs'), 8);
    assert.deepEqual(lenses.map((l) => l.title), [
      'conv2d_Conv2D1 · 40 params',
      'batch_normalization_BatchNormalization1 · 16 params',
      're_lu_ReLU1 · 0 params',
      'max_pooling2d_MaxPooling2D1 · 0 params',
      'wide · 296 params',
      'conv2d_Conv2D2 · 584 params',
      'flatten_Flatten1 · 0 params',
      'dense_Dense1 · 99 params',
    ]);
    assert.ok(lenses.every((l) => l.line.startsWith('model.add(tf.layers.')));
    assert.equal(lenses[0]!.args[0], scratch('js', 'tfjs_cnn', 'model.json'));
  });

  it('a source file that saves no model the workspace has gets no lenses', async () => {
    fs.mkdirSync(scratch('nosave'), { recursive: true });
    fs.writeFileSync(scratch('nosave', 'other.py'), fs.readFileSync(path.join(fixtures(), 'cnn_seq.py'), 'utf8').replace('cnn_seq.keras', 'elsewhere.keras'));
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(scratch('nosave', 'other.py')));
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(await lensesOf(document.uri), []);
  });

  it('after a prune run, the lens of a pruned layer says how much and the run’s top-1 change', async function () {
    if (!vscode.workspace.isTrusted || !fs.existsSync(modelPy())) this.skip();
    const model = path.join(workspaceRoot(), 'fashion-vgg', 'fashion-vgg.keras');
    const result = await vscode.commands.executeCommand<{ outcome: string; message?: string }>('quench.pruneModel', {
      model,
      data: path.join(workspaceRoot(), 'data'),
      method: 'magnitude',
      sparsity: 0.8,
      layers: ['conv5'],
      limit: 256,
      out: scratch('pruned', 'fashion-vgg.pruned.keras'),
    });
    assert.equal(result.outcome, 'done', result.message);
    const pattern = /^conv5 · 73,856 params · 80% pruned · [+−±]\d+\.\d pp$/;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(modelPy()));
    const lenses = await until(() => lensesOf(document.uri), 60_000, (items) => items.some((l) => pattern.test(l.command?.title ?? '')));
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(titles.some((t) => pattern.test(t)), JSON.stringify(titles));
    // Layers the run did not prune keep the plain lens.
    assert.ok(titles.includes('conv4 · 36,928 params'), JSON.stringify(titles));
  });
}
