// Prune Model…'s remembered choices: where the flow starts for a model, how the output format moves
// the output, what is stored in .quench/models.json after a run, and the engine request it makes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultPrunedPath } from '../../../src/extension/commands/defaultOutput';
import {
  applyArgs, choicesToRemember, DEFAULT_MAX_DROP, formatOfPath, outPickedByPerson, pruneDefaults, pruneParams, pruneSummary, rememberedBudget, withFinetuneDefault, withFormat, withOutput,
  type JobDefaults, type PruneChoices,
} from '../../../src/extension/commands/pruneOptions';
import { trainingDataBeside } from '../../../src/extension/commands/trainingData';
import { mergeModelChoices, modelsFilePath, readModelChoices } from '../../../src/extension/state/modelsFile';

const root = path.resolve('/ws');
const modelJson = path.join(root, 'fashion-vgg', 'model.json');
const model = { path: modelJson, format: 'tfjs-layers' as const };
const settings: JobDefaults = { method: 'afcc', readoutEpochs: 5, finetuneEpochs: 0 };

function tempRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'quench-models-'));
}

test('a model never pruned starts from the settings: same format, beside the original, dead filters kept', () => {
  const d = pruneDefaults(settings, model);
  assert.equal(d.format, 'tfjs-layers');
  assert.equal(d.out, path.join(root, 'fashion-vgg', 'model.pruned', 'model.json'));
  assert.equal(d.structured, false);
  assert.equal(d.finetuneEpochs, 0);
  assert.equal(d.data, undefined);
  const h5 = pruneDefaults(settings, { path: path.join(root, 'net.h5'), format: 'keras-h5' });
  assert.equal(h5.out, path.join(root, 'net.pruned.h5'));
});

test('the remembered choice is where the next run starts', () => {
  const remembered: JobDefaults = { ...settings, data: path.join(root, 'data'), method: 'magnitude', sparsity: 0.6, format: 'keras-v3', structured: true, finetuneEpochs: 2, trainData: path.join(root, 'train') };
  const d = pruneDefaults(remembered, model);
  assert.equal(d.method, 'magnitude');
  assert.equal(d.sparsity, 0.6);
  assert.equal(d.structured, true);
  assert.equal(d.format, 'keras-v3');
  assert.equal(d.out, path.join(root, 'fashion-vgg', 'model.pruned.keras'), 'the default output follows the remembered format');
  assert.equal(d.finetuneEpochs, 2);
  // A remembered output chosen by the person wins, and its name says the format when none is stored.
  const custom = pruneDefaults({ ...settings, out: path.join(root, 'release', 'small.h5') }, model);
  assert.deepEqual([custom.out, custom.format], [path.join(root, 'release', 'small.h5'), 'keras-h5']);
});

test('a new format moves a default output to that format and renames a chosen one', () => {
  const d = pruneDefaults(settings, model);
  assert.equal(withFormat(d, modelJson, 'keras-h5').out, path.join(root, 'fashion-vgg', 'model.pruned.h5'));
  assert.equal(withFormat(withFormat(d, modelJson, 'keras-h5'), modelJson, 'tfjs-layers').out, d.out, 'and back');
  const chosen = withOutput(d, path.join(root, 'release', 'small.h5'));
  assert.equal(chosen.format, 'keras-h5', 'a chosen file name decides the format');
  assert.equal(withFormat(chosen, modelJson, 'keras-v3').out, path.join(root, 'release', 'small.keras'));
  assert.equal(withFormat(chosen, modelJson, 'tfjs-layers').out, path.join(root, 'release', 'small', 'model.json'));
  assert.equal(withFormat(chosen, modelJson, 'onnx').out, path.join(root, 'release', 'small.onnx'));
  assert.equal(withFormat(d, modelJson, 'onnx').out, path.join(root, 'fashion-vgg', 'model.pruned.onnx'));
  assert.equal(formatOfPath('net.onnx'), 'onnx');
  const folder = withOutput(d, path.join(root, 'web', 'small', 'model.json'));
  assert.equal(withFormat(folder, modelJson, 'keras-h5').out, path.join(root, 'web', 'small.h5'));
  assert.equal(withOutput(d, path.join(root, 'out.bin')).format, 'tfjs-layers', 'a name without a format keeps the format');
  assert.equal(formatOfPath('x.hdf5'), 'keras-h5');
  assert.equal(outPickedByPerson(defaultPrunedPath(modelJson, 'keras-v3'), modelJson), false);
  assert.equal(outPickedByPerson(path.join(root, 'x.h5'), modelJson), true);
});

test('after a run the choice is stored, the output only when the person picked it', () => {
  const chosen: PruneChoices = { ...withFormat(pruneDefaults(settings, model), modelJson, 'keras-h5'), data: path.join(root, 'data'), maxDrop: null, method: 'magnitude', sparsity: 0.5, structured: true, finetuneEpochs: 1, trainData: path.join(root, 'train') };
  const stored = choicesToRemember(chosen, modelJson);
  assert.deepEqual(
    { data: stored.data, method: stored.method, sparsity: stored.sparsity, format: stored.format, structured: stored.structured, finetuneEpochs: stored.finetuneEpochs, trainData: stored.trainData, out: stored.out },
    { data: chosen.data, method: 'magnitude', sparsity: 0.5, format: 'keras-h5', structured: true, finetuneEpochs: 1, trainData: chosen.trainData, out: undefined },
  );
  assert.equal(choicesToRemember({ ...chosen, out: path.join(root, 'keep', 'here.h5') }, modelJson).out, path.join(root, 'keep', 'here.h5'));
});

test('the engine request carries format, structured and fine-tuning only as chosen', () => {
  const base: PruneChoices = { ...pruneDefaults({ ...settings, maxDrop: null }, model), data: path.join(root, 'data') };
  const plain = pruneParams(modelJson, base, 500);
  assert.equal(plain.format, 'tfjs-layers');
  assert.equal(plain.structured, undefined);
  assert.equal(plain.finetune, undefined);
  assert.equal(plain.limit, 500);
  assert.equal(plain.layers, undefined, 'no layers picked: the method default');
  const full = pruneParams(modelJson, { ...withFormat(base, modelJson, 'keras-v3'), structured: true, finetuneEpochs: 3, trainData: path.join(root, 'train'), layers: ['conv5'] });
  assert.equal(full.format, 'keras-v3');
  assert.equal(full.out, path.join(root, 'fashion-vgg', 'model.pruned.keras'));
  assert.equal(full.structured, true);
  assert.deepEqual(full.finetune, { epochs: 3, trainData: path.join(root, 'train') });
  assert.deepEqual(full.layers, ['conv5']);
  assert.equal(pruneParams(modelJson, { ...base, finetuneEpochs: 0, trainData: path.join(root, 'train') }).finetune, undefined, 'remembered training data without epochs fine-tunes nothing');
});

test('an arguments object overrides the remembered choice; a format alone moves the default output', () => {
  const d = pruneDefaults({ ...settings, structured: true }, model);
  const a = applyArgs(d, { data: '/d', format: 'keras-h5' }, modelJson);
  assert.deepEqual([a.data, a.format, a.out, a.structured], ['/d', 'keras-h5', path.join(root, 'fashion-vgg', 'model.pruned.h5'), true]);
  const b = applyArgs(d, { out: path.join(root, 'o.keras') }, modelJson);
  assert.deepEqual([b.out, b.format], [path.join(root, 'o.keras'), 'keras-v3']);
  const c = applyArgs(d, { out: path.join(root, 'o.keras'), format: 'keras-h5', structured: false }, modelJson);
  assert.deepEqual([c.out, c.format, c.structured], [path.join(root, 'o.keras'), 'keras-h5', false], 'both given: the engine judges the mismatch');
});

test('the last step says in one line what will run', () => {
  const relative = (p: string) => path.relative(root, p);
  const d = { ...pruneDefaults({ ...settings, method: 'magnitude', sparsity: 0.5, maxDrop: null }, model), layers: ['conv5', 'output'] };
  assert.equal(pruneSummary(d, 'Magnitude', relative), `Magnitude · sparsity 0.5 · 2 layers · → ${path.join('fashion-vgg', 'model.pruned', 'model.json')} (tfjs-layers)`);
  const more = { ...d, method: 'afcc' as const, layers: [], structured: true, finetuneEpochs: 1, trainData: path.join(root, 'train') };
  assert.match(pruneSummary(more, 'AFCC', relative), /^AFCC · default layers · fine-tune 1 epoch on train · dead filters removed · →/);
});

test('.quench/models.json keeps every option per model, with workspace paths relative', async () => {
  const dir = tempRoot();
  try {
    const a = path.join(dir, 'a', 'model.json');
    const b = path.join(dir, 'b.h5');
    await mergeModelChoices(dir, a, { data: path.join(dir, 'data'), method: 'magnitude', sparsity: 0.5, format: 'keras-h5', structured: true, finetuneEpochs: 2, trainData: path.join(dir, 'train') });
    await mergeModelChoices(dir, b, { method: 'afcc' });
    const file = JSON.parse(fs.readFileSync(modelsFilePath(dir), 'utf8'));
    assert.deepEqual(file['a/model.json'], { data: 'data', method: 'magnitude', sparsity: 0.5, format: 'keras-h5', structured: true, finetuneEpochs: 2, trainData: 'train' });
    assert.deepEqual(file['b.h5'], { method: 'afcc' });
    const back = await readModelChoices(dir, a);
    assert.equal(back.data, path.join(dir, 'data'));
    assert.equal(back.structured, true);
    // A later run that turns structured off and changes nothing else keeps the rest.
    await mergeModelChoices(dir, a, { structured: false, format: undefined });
    const later = await readModelChoices(dir, a);
    assert.deepEqual([later.structured, later.format, later.sparsity], [false, 'keras-h5', 0.5]);
    // The stored choice is where the flow starts next time.
    const next = pruneDefaults({ ...settings, ...later }, { path: a, format: 'tfjs-layers' });
    assert.deepEqual([next.method, next.format, next.out, next.structured], ['magnitude', 'keras-h5', path.join(dir, 'a', 'model.pruned.h5'), false]);
    assert.deepEqual(await readModelChoices(dir, path.join(dir, 'unknown.keras')), {});
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a broken models.json reads as no choices and is replaced by the next write', async () => {
  const dir = tempRoot();
  try {
    fs.mkdirSync(path.join(dir, '.quench'));
    fs.writeFileSync(modelsFilePath(dir), '{ not json');
    const m = path.join(dir, 'm.keras');
    assert.deepEqual(await readModelChoices(dir, m), {});
    await mergeModelChoices(dir, m, { format: 'keras-v3' });
    assert.deepEqual(await readModelChoices(dir, m), { format: 'keras-v3' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the first question: a model never pruned starts within 0.5 pp, one pruned at a fixed method keeps that way', () => {
  assert.equal(rememberedBudget({}), DEFAULT_MAX_DROP);
  assert.equal(DEFAULT_MAX_DROP, 0.5);
  assert.equal(rememberedBudget({ method: 'magnitude' }), null, 'a stored method from before budgets: a fixed sparsity');
  assert.equal(rememberedBudget({ method: 'magnitude', maxDrop: 1 }), 1, 'a stored budget wins');
  assert.equal(rememberedBudget({ maxDrop: null }), null);
  const d = pruneDefaults(settings, model);
  assert.deepEqual([d.maxDrop, d.budgetMethod, d.objective], [0.5, 'magnitude', 'params'], 'within a budget the method is magnitude (the CLI default), the objective parameters');
  const remembered = pruneDefaults({ ...settings, maxDrop: 2, budgetMethod: 'magnitude', objective: 'macs' }, model);
  assert.deepEqual([remembered.maxDrop, remembered.budgetMethod, remembered.objective], [2, 'magnitude', 'macs']);
});

test('within a budget the engine request carries the budget, the budget method and the objective, not the fixed options', () => {
  const chosen: PruneChoices = { ...pruneDefaults({ ...settings, method: 'magnitude', sparsity: 0.7, layers: ['conv5'], threshold: 0.4 }, model), data: path.join(root, 'data'), finetuneEpochs: 1 };
  const params = pruneParams(modelJson, chosen, 300);
  assert.deepEqual(
    { method: params.method, maxDrop: params.maxDrop, objective: params.objective, limit: params.limit, finetune: params.finetune, out: params.out },
    { method: 'magnitude', maxDrop: 0.5, objective: 'params', limit: 300, finetune: { epochs: 1, trainData: undefined }, out: path.join(root, 'fashion-vgg', 'model.pruned', 'model.json') },
  );
  assert.deepEqual([params.sparsity, params.threshold, params.layers, params.targetSparsity], [undefined, undefined, undefined, undefined]);
  assert.deepEqual(pruneParams(modelJson, { ...chosen, finetuneEpochs: 0 }).finetune, { epochs: 0, trainData: undefined }, 'no fine-tuning is said, or the engine would fine-tune one epoch');
  const fixed = pruneParams(modelJson, { ...chosen, maxDrop: null });
  assert.deepEqual([fixed.method, fixed.maxDrop, fixed.sparsity, fixed.layers], ['magnitude', undefined, 0.7, ['conv5']]);
});

test('fine-tuning nobody chose becomes one epoch under a budget where training data exists', () => {
  const unset = { maxDrop: 0.5, finetuneEpochs: 0, finetuneUnset: true };
  assert.equal(withFinetuneDefault(unset, true).finetuneEpochs, 1);
  assert.equal(withFinetuneDefault(unset, false).finetuneEpochs, 0, 'no training data: nothing to fine-tune on');
  assert.equal(withFinetuneDefault({ ...unset, finetuneUnset: false }, true).finetuneEpochs, 0, 'a chosen 0 stays 0');
  assert.equal(withFinetuneDefault({ ...unset, maxDrop: null }, true).finetuneEpochs, 0, 'a fixed sparsity keeps the setting');
});

test('arguments naming a fixed method, sparsity or layers without maxDrop prune that way', () => {
  const d = pruneDefaults(settings, model);
  assert.equal(applyArgs(d, { data: '/d' }, modelJson).maxDrop, 0.5, 'data alone: the remembered budget');
  assert.equal(applyArgs(d, { method: 'magnitude', sparsity: 0.5 }, modelJson).maxDrop, null);
  assert.equal(applyArgs(d, { layers: ['conv5'] }, modelJson).maxDrop, null, "the editor's Prune this layer…");
  assert.equal(applyArgs(d, { method: 'afcc', maxDrop: 1 }, modelJson).maxDrop, 1, 'an explicit budget wins');
});

test('what is remembered: the budget and its method and objective, the fixed method only when it ran', () => {
  const budget: PruneChoices = { ...pruneDefaults({ ...settings, maxDrop: 1, budgetMethod: 'afcc', objective: 'size' }, model), data: path.join(root, 'data') };
  const stored = choicesToRemember(budget, modelJson);
  assert.deepEqual([stored.maxDrop, stored.budgetMethod, stored.objective, stored.method], [1, 'afcc', 'size', undefined]);
  const fixed = choicesToRemember({ ...budget, maxDrop: null, method: 'magnitude' }, modelJson);
  assert.deepEqual([fixed.maxDrop, fixed.method, fixed.budgetMethod], [null, 'magnitude', undefined]);
});

test('the last step of a budgeted prune says the budget, the method and the objective', () => {
  const relative = (p: string) => path.relative(root, p);
  const d = { ...pruneDefaults(settings, model), finetuneEpochs: 1 };
  assert.equal(pruneSummary(d, 'Auto', relative), `Top-1 within 0.5 pp · Auto, most parameters removed · fine-tune 1 epoch on the training data beside the evaluation data · → ${path.join('fashion-vgg', 'model.pruned', 'model.json')} (tfjs-layers)`);
});

test('training data beside the evaluation data is found by its file names', async () => {
  const dir = tempRoot();
  try {
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    fs.writeFileSync(path.join(data, 't10k-images-idx3-ubyte.gz'), '');
    fs.writeFileSync(path.join(data, 't10k-labels-idx1-ubyte.gz'), '');
    assert.equal(await trainingDataBeside(data), undefined, 'a test set alone');
    fs.writeFileSync(path.join(data, 'train-images-idx3-ubyte.gz'), '');
    assert.equal(await trainingDataBeside(data), path.join(data, 'train-images-idx3-ubyte.gz'));
    assert.equal(await trainingDataBeside(path.join(data, 't10k-images-idx3-ubyte.gz')), path.join(data, 'train-images-idx3-ubyte.gz'));
    fs.mkdirSync(path.join(dir, 'images', 'test'), { recursive: true });
    assert.equal(await trainingDataBeside(path.join(dir, 'images', 'test')), undefined);
    fs.mkdirSync(path.join(dir, 'images', 'train'));
    assert.equal(await trainingDataBeside(path.join(dir, 'images', 'test')), path.join(dir, 'images', 'train'));
    fs.writeFileSync(path.join(dir, 'x_test.npy'), '');
    assert.equal(await trainingDataBeside(path.join(dir, 'x_test.npy')), undefined);
    fs.writeFileSync(path.join(dir, 'x_train.npy'), '');
    assert.equal(await trainingDataBeside(path.join(dir, 'x_test.npy')), path.join(dir, 'x_train.npy'));
    assert.equal(await trainingDataBeside(path.join(dir, 'missing')), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
