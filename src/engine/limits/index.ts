// Memory limits of the engine: the budget, batch sizes that fit it, and checks on a model's
// config and weights. The model-size check made from file headers is formats/modelSize.ts.
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
