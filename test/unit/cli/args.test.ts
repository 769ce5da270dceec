// Flags map onto the engine's request params exactly; bad flags are usage errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs, UsageError } from '../../../src/cli/args';
import { commands } from '../../../src/cli/commands';

function params(name: string, argv: string[]): unknown {
  const command = commands.find((c) => c.name === name)!;
  const parsed = parseArgs(argv, command.flags);
  return command.toParams(parsed.positionals[0]!, parsed.flags);
}

describe('CLI flags -> engine params', () => {
  it('prune maps every flag', () => {
    assert.deepEqual(
      params('prune', ['m.h5', '--data', 'd', '--limit', '500', '--method', 'magnitude', '--layers', 'a,b', '--threshold', '0.25', '--target-sparsity=0.9', '--sparsity', '0.5', '--seed', '3', '--readout-epochs', '4', '--no-recalibrate-bn', '--finetune-epochs', '2', '--train-data', 't', '--train-layers', 'c', '--optimizer', 'adam', '--lr', '0.001', '--batch-size', '64', '--structured', '--out', 'o.keras', '--format', 'keras-v3', '--matrices', 'm.json']),
      {
        model: 'm.h5', data: 'd', limit: 500, method: 'magnitude', layers: ['a', 'b'], threshold: 0.25, targetSparsity: 0.9, sparsity: 0.5, seed: 3, readoutEpochs: 4, recalibrateBn: false,
        finetune: { epochs: 2, trainData: 't', trainLayers: ['c'], optimizer: 'adam', learningRate: 0.001, batchSize: 64 },
        structured: true, out: 'o.keras', format: 'keras-v3', matricesPath: 'm.json',
      },
    );
    assert.deepEqual(params('prune', ['m', '--data', 'd']), { model: 'm', data: 'd', method: 'afcc' });
  });

  it('analyze and compare', () => {
    assert.deepEqual(params('analyze', ['m', '--data', 'd', '--layers', 'x', '--matrices', 'f.json']), { model: 'm', data: 'd', layers: ['x'], matricesPath: 'f.json' });
    assert.deepEqual(params('compare', ['m', '--data', 'd', '--methods', 'afcc,random']), { model: 'm', data: 'd', methods: ['afcc', 'random'] });
  });

  it('--train-data alone feeds the readouts and BatchNorm re-estimation; with --finetune-epochs it is the fine-tuning data', () => {
    assert.deepEqual(params('prune', ['m', '--data', 'd', '--method', 'magnitude', '--sparsity', '0.5', '--train-data', 't']), { model: 'm', data: 'd', method: 'magnitude', sparsity: 0.5, trainData: 't' });
    assert.deepEqual(params('compare', ['m', '--data', 'd', '--methods', 'afcc', '--train-data', 't']), { model: 'm', data: 'd', methods: ['afcc'], trainData: 't' });
    assert.deepEqual(params('prune', ['m', '--data', 'd', '--train-data', 't', '--finetune-epochs', '1']), { model: 'm', data: 'd', method: 'afcc', finetune: { epochs: 1, trainData: 't' } });
  });

  it('rejects unknown flags, bad values and dangling fine-tune options', () => {
    assert.throws(() => params('eval', ['m', '--data', 'd', '--limit', 'ten']), UsageError);
    assert.throws(() => params('prune', ['m', '--data', 'd', '--method', 'best']), /--method must be one of/);
    assert.throws(() => params('prune', ['m', '--data', 'd', '--sparsity', '1.5']), /between 0 and 1/);
    assert.throws(() => params('prune', ['m', '--data', 'd', '--lr', '0.1']), /--lr needs --finetune-epochs/);
    assert.throws(() => params('inspect', ['m', '--verbose']), /unknown option --verbose/);
    assert.throws(() => params('eval', ['m', '--data']), /--data needs a value/);
  });
});
