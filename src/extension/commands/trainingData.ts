// Whether training data sits beside an evaluation set, by file names only (the engine opens and
// checks it): an IDX `train-images-idx3-ubyte[.gz]` in the same folder, `x_train.npy` next to
// `x_test.npy`, a `train` folder beside a `test` or `val` image folder, CIFAR's `data_batch_*.bin`
// next to `test_batch.bin`. The Prune flow uses it to offer a fine-tuning epoch under a budget.
import * as path from 'node:path';
import { promises as fs } from 'node:fs';

const IDX_IMAGES = /-images[-.]idx3-ubyte(\.gz)?$/i;

/** The training data's path when found beside `evalPath`, else undefined. Never throws. */
export async function trainingDataBeside(evalPath: string): Promise<string | undefined> {
  const stat = await fs.stat(evalPath).catch(() => null);
  if (!stat) return undefined;
  const folder = stat.isDirectory() ? evalPath : path.dirname(evalPath);
  const names = await fs.readdir(folder).catch(() => [] as string[]);
  const idxTrain = names.find((n) => IDX_IMAGES.test(n) && /train/i.test(n));
  if (idxTrain && (stat.isDirectory() || IDX_IMAGES.test(path.basename(evalPath)) || /-labels[-.]idx1-ubyte/i.test(evalPath))) return path.join(folder, idxTrain);
  if (names.some((n) => /^data_batch_\d+\.bin$/.test(n)) && names.includes('test_batch.bin')) return folder;
  if (stat.isFile() && /\.npy$/i.test(evalPath)) {
    const candidate = path.join(folder, path.basename(evalPath).replace(/test|val/i, 'train'));
    if (candidate !== evalPath && names.includes(path.basename(candidate))) return candidate;
  }
  if (stat.isDirectory() && /^(test|val|valid|validation)$/i.test(path.basename(evalPath))) {
    const parent = path.dirname(evalPath);
    const train = (await fs.readdir(parent).catch(() => [] as string[])).find((n) => /^train$/i.test(n));
    if (train && (await fs.stat(path.join(parent, train)).then((s) => s.isDirectory(), () => false))) return path.join(parent, train);
  }
  return undefined;
}
