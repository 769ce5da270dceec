// Per-layer and whole-model statistics (see README.md for what is counted).
export { layerStats } from './layers';
export { modelTotals, fileSizes, type FileSizes } from './totals';
