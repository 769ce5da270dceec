// Memory limits of the engine: the budget, batch sizes that fit it, and model-size checks made
// from headers before a model is loaded.
export {
  assertFitsBudget,
  budgetPhrase,
  DEFAULT_MEMORY_BUDGET_MB,
  formatBytes,
  memoryBudgetBytes,
  memoryBudgetMB,
  pickBatchSize,
  type BatchSizeRequest,
} from './budget';
export { assertFiniteWeights } from './weights';
export { assertGraphWellFormed } from './graph';
export { assertWeightNamesValid } from './names';
export { assertModelFitsBudget, LOAD_COPIES, modelWeightSize, type WeightSize } from './modelSize';
