// The layer table's columns: which carry information, which fit a narrow panel, where a layer
// sits (nested model, block), and the class names of charts and label sets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InspectReport, PrunedLayer, PruneReport } from '../../../src/protocol/report';
import { classLabel, classNamesOf, labelSetText } from '../../../webview/classes';
import { change } from '../../../webview/format';
import { fitColumns, informativeColumns, type ColumnId } from '../../../webview/layerColumns';
import { layerRows, placeOf } from '../../../webview/layerRows';
import { samplePrune } from './sampleReports';

const ids = (columns: { id: ColumnId }[]) => columns.map((c) => c.id);

/** The example's fashion-vgg after magnitude pruning at 0.5: conv1..conv6, bn, relu, pools, output. */
function vggPrune(): PruneReport {
  const layer = (name: string, className: string, params: number, targeted: boolean, filters: number | null = null): PrunedLayer => {
    const zeros = targeted ? Math.round(params * 0.5) : 0;
    return {
      name, className, targeted,
      before: { params, zeros: 0, sparsity: 0, filters, macs: params * 100 },
      after: { params, zeros, sparsity: params ? zeros / params : 0, filters, macs: params * 100 },
    };
  };
  const layers: PrunedLayer[] = [];
  [[1, 32, 320], [2, 32, 9248], [3, 64, 18496], [4, 64, 36928], [5, 128, 73856], [6, 128, 147584]].forEach(([k, f, p]) => {
    layers.push(layer(`conv${k}`, 'Conv2D', p, k > 1, f), layer(`bn${k}`, 'BatchNormalization', f * 4, false), layer(`relu${k}`, 'ReLU', 0, false));
    if (k % 2 === 0) layers.push(layer(`pool${k}`, 'MaxPooling2D', 0, false));
  });
  layers.push(layer('flatten', 'Flatten', 0, false), layer('output', 'Dense', 11520, true, 10));
  return { ...samplePrune, sfp: undefined, method: 'magnitude', layers };
}

test('a prune report shows params, after and Δ, and drops a sparsity before that is 0.0% everywhere', () => {
  const rows = layerRows(samplePrune);
  const conv = rows.find((r) => r.name === 'conv2d_7')!;
  assert.equal(conv.params, 4065);
  assert.equal(conv.paramsAfter, 4065 - 3048);
  assert.equal(change(conv.paramsChange!), '−75.0%');
  assert.equal(change(rows[0].paramsChange!), '', 'an untouched layer shows no change');
  const columns = ids(informativeColumns(rows));
  assert.deepEqual(columns.slice(0, 5), ['name', 'class', 'params', 'after', 'delta']);
  assert.ok(!columns.includes('sparsityBefore'), 'every layer was dense before: the column says nothing');
  assert.ok(!columns.includes('shape'), 'prune reports carry no output shapes');
  assert.ok(columns.includes('sparsityAfter') && columns.includes('readout') && columns.includes('snr'));

  const sparse = structuredClone(samplePrune);
  sparse.layers[0].before = { ...sparse.layers[0].before, zeros: 78, sparsity: 0.1 };
  assert.ok(ids(informativeColumns(layerRows(sparse))).includes('sparsityBefore'), 'one sparse layer keeps the column');
  assert.equal(layerRows(sparse)[0].paramsAfter, 780, 'after counts the non-zero weights');
});

test('an inspect report has no after or Δ; its sparsity column is "Sparsity" and only when some layer has zeros', () => {
  const inspect: InspectReport = {
    ...samplePrune, kind: 'inspect', totals: samplePrune.totals.before,
    layers: [
      { name: 'conv', className: 'Conv2D', outputShape: [26, 26, 8], params: 80, trainableParams: 80, zeros: 0, sparsity: 0, filters: 8, macs: 48_672, analysable: true },
      { name: 'flat', className: 'Flatten', outputShape: [5408], params: 0, trainableParams: 0, zeros: 0, sparsity: 0, filters: null, macs: 0, analysable: true },
    ],
  };
  assert.deepEqual(ids(informativeColumns(layerRows(inspect))), ['name', 'class', 'shape', 'params', 'filters', 'macs']);
  inspect.layers[0] = { ...inspect.layers[0], zeros: 40, sparsity: 0.5 };
  const sparsity = informativeColumns(layerRows(inspect)).find((c) => c.id === 'sparsityBefore');
  assert.equal(sparsity?.label, 'Sparsity');
});

test('a narrowing panel keeps layer, params, after and Δ, and gives up the others by importance', () => {
  const rows = layerRows(vggPrune());
  const columns = informativeColumns(rows);
  const wide = fitColumns(columns, rows, 1400, true);
  assert.deepEqual(ids(wide.columns), ids(columns), 'a wide panel shows every informative column');
  assert.equal(wide.compact, false);
  for (const width of [420, 350, 326, 200]) {
    const fit = fitColumns(columns, rows, width, true);
    for (const id of ['name', 'params', 'after', 'delta'] as const) assert.ok(ids(fit.columns).includes(id), `${id} at ${width} px`);
  }
  assert.equal(fitColumns(columns, rows, 326, true).compact, true, 'tight cells keep the four from scrolling at 326 px');
  // From 326 px (half of a 700 px window without the side bar) the four fit without scrolling.
  assert.deepEqual(ids(fitColumns(columns, rows, 326, true).columns), ['name', 'params', 'after', 'delta']);
  assert.ok(ids(fitColumns(columns, rows, 600, true).columns).includes('sparsityAfter'), 'at 600 px the sparsity after fits');
  let previous: ColumnId[] = [];
  for (let width = 200; width <= 1600; width += 20) {
    const shown = ids(fitColumns(columns, rows, width, true).columns);
    assert.ok(previous.every((id) => shown.includes(id)), `widening to ${width} px hides no column (${previous} → ${shown})`);
    previous = shown;
  }
});

test('a long layer name or a deep nesting needs more room than a short one', () => {
  const rows = layerRows(vggPrune());
  const columns = informativeColumns(rows);
  const at = (width: number, r = rows) => ids(fitColumns(columns, r, width, true).columns).length;
  const nested = rows.map((r) => ({ ...r, group: ['feature_extractor', 'block_3'] }));
  const long = rows.map((r) => ({ ...r, label: `${r.label}_with_a_much_longer_name` }));
  const widths = Array.from({ length: 70 }, (_, k) => 200 + k * 20);
  for (const variant of [nested, long]) {
    assert.ok(widths.every((w) => at(w, variant) <= at(w)), 'never more columns');
    assert.ok(widths.some((w) => at(w, variant) < at(w)), 'fewer columns at some width');
  }
  const flat = rows.map((r) => ({ ...r, group: ['feature_extractor', 'block_3'] }));
  assert.deepEqual(ids(fitColumns(columns, flat, 900, false).columns), ids(fitColumns(columns, rows, 900, false).columns), 'sorted by a column, nothing is indented');
});

test('on a narrow panel long names are cut before a number column scrolls away', () => {
  const rows = layerRows(vggPrune()).map((r) => ({ ...r, label: `mobilenetv2_1.00_96_${r.label}_expand_relu`, group: ['mobilenetv2_1.00_96', 'block_12'] }));
  const columns = informativeColumns(rows);
  const narrow = fitColumns(columns, rows, 340, true);
  assert.deepEqual(ids(narrow.columns), ['name', 'params', 'after', 'delta']);
  assert.equal(narrow.compact, true);
  assert.equal(narrow.tags, false, 'the pruned tags go first');
  assert.ok(narrow.nameMaxPx !== undefined && narrow.nameMaxPx >= 60 && narrow.nameMaxPx < 150, `names cut to ${narrow.nameMaxPx} px`);
  assert.equal(fitColumns(columns, rows, 1400, true).nameMaxPx, undefined, 'a wide panel cuts nothing');
  const example = fitColumns(informativeColumns(layerRows(vggPrune())), layerRows(vggPrune()), 326, true);
  assert.deepEqual([example.nameMaxPx, example.tags], [undefined, true], "the example's short names fit whole at 326 px, tags and all");
});

test('a layer sits in its nested models (report path or "/" in its name) and its Keras block', () => {
  assert.deepEqual(placeOf('dense'), { group: [], label: 'dense' });
  assert.deepEqual(placeOf('mobilenetv2_1.00_224/Conv1'), { group: ['mobilenetv2_1.00_224'], label: 'Conv1' });
  assert.deepEqual(placeOf('outer/inner/conv#1'), { group: ['outer', 'inner'], label: 'conv#1' });
  assert.deepEqual(placeOf('Conv1', ['mobilenetv2_1.00_224']), { group: ['mobilenetv2_1.00_224'], label: 'Conv1' });
  assert.deepEqual(placeOf('base/Conv1', ['base']), { group: ['base'], label: 'Conv1' }, 'a path that is also the name prefix is not shown twice');
  assert.deepEqual(placeOf('a/b', []), { group: ['a'], label: 'b' }, 'an empty path falls back to the name');
  assert.deepEqual(placeOf('block1_conv1'), { group: ['block1'], label: 'block1_conv1' });
  assert.deepEqual(placeOf('conv2_block1_1_conv'), { group: ['conv2_block1'], label: 'conv2_block1_1_conv' });
  assert.deepEqual(placeOf('block_16_project_BN'), { group: ['block_16'], label: 'block_16_project_BN' });
  assert.deepEqual(placeOf('block1a_expand_conv'), { group: ['block1a'], label: 'block1a_expand_conv' });
  assert.deepEqual(placeOf('resnet50/conv5_block3_out'), { group: ['resnet50', 'conv5_block3'], label: 'conv5_block3_out' });
  assert.deepEqual(placeOf('block3'), { group: [], label: 'block3' }, 'a layer named like a block is in none');
  assert.deepEqual(placeOf('conv6').group, []);
});

test('layers of a prune report with a nested path get their group; SFP-only rows too', () => {
  const report = structuredClone(samplePrune);
  report.layers[1].path = ['features'];
  report.sfp!.layers.push({ ...report.sfp!.layers[0], name: 'head/dense_9' });
  const rows = layerRows(report);
  assert.deepEqual(rows[1].group, ['features']);
  assert.deepEqual(rows[0].group, []);
  const sfpOnly = rows.find((r) => r.name === 'head/dense_9')!;
  assert.deepEqual([sfpOnly.group, sfpOnly.label], [['head'], 'dense_9']);
});

test('class names come from the model, else the dataset, else indices', () => {
  assert.equal(classNamesOf(samplePrune), undefined);
  const fromData = { ...samplePrune, dataset: { ...samplePrune.dataset, labelNames: ['T-shirt/top', 'Trouser'] } };
  assert.deepEqual(classNamesOf(fromData), ['T-shirt/top', 'Trouser']);
  const fromModel = { ...fromData, model: { ...fromData.model, classNames: ['top', 'trouser'] } };
  assert.deepEqual(classNamesOf(fromModel), ['top', 'trouser']);
  assert.equal(classLabel(1, classNamesOf(fromModel)), 'trouser');
  assert.equal(classLabel(5, classNamesOf(fromModel)), '5', 'a class the list does not name reads as its index');
  assert.equal(labelSetText([0, 1], classNamesOf(fromData)), '{T-shirt/top, Trouser}');
  assert.equal(labelSetText([0, 3], undefined), '{0, 3}');
});

test('a layer the engine cannot prune carries its reason into the table row', () => {
  const report = vggPrune();
  report.layers = report.layers.map((l) => (l.name === 'bn3' ? { ...l, prunable: false, whyNot: 'BatchNormalization keeps channels (channel-preserving)' } : { ...l, prunable: true }));
  const rows = layerRows(report);
  assert.equal(rows.find((r) => r.name === 'bn3')?.whyNot, 'BatchNormalization keeps channels (channel-preserving)');
  assert.equal(rows.find((r) => r.name === 'conv3')?.whyNot, undefined);
});
