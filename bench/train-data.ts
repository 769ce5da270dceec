// Fashion-MNIST from Debian's dataset-fashion-mnist as an engine Dataset (the engine's own IDX
// reader, pixels scaled to [0,1]), for the training benchmarks and the example's training script.
import { openDataset } from '../src/engine/data';
import type { Dataset } from '../src/engine/data/types';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST split ('train' | 't10k') from `dir`, first `limit` samples. */
export function fashionMnist(split: 'train' | 't10k', dir = FASHION_DIR, limit?: number): Promise<Dataset> {
  return openDataset(`${dir}/${split}-images-idx3-ubyte.gz`, { inputShape: [28, 28, 1], classes: 10, limit, split: split === 'train' ? 'train' : 'test' });
}
