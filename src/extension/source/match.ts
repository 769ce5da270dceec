// Which layer of which model each named constructor builds, among the models a source file saves.
// Pure: the model facts come from the caller.
import type { NamedLayerCall } from './naming';

export type NamedCall = NamedLayerCall & { layerName: string };

export interface ModelWithLayers<L> {
  layers: ReadonlyMap<string, L>;
}

export interface CallMatch<M, L> {
  call: NamedCall;
  model: M;
  layer: L;
}

/**
 * One match per constructor whose name a linked model has. Models with a prune run come first (their
 * numbers are the news), then the rest in save order: the same model saved in several formats gives
 * each constructor one match, from the first of them. Returned in source order.
 */
export async function matchCallsToModels<L, M extends ModelWithLayers<L>>(
  calls: readonly NamedLayerCall[],
  modelPaths: readonly string[],
  hasPruneRun: (modelPath: string) => Promise<boolean>,
  load: (modelPath: string) => Promise<M | undefined>,
): Promise<CallMatch<M, L>[]> {
  const named = calls.filter((c): c is NamedCall => c.layerName !== undefined);
  if (named.length === 0) return [];
  const [withRuns, models] = await Promise.all([Promise.all(modelPaths.map(hasPruneRun)), Promise.all(modelPaths.map(load))]);
  const ordered = [...models.filter((_, i) => withRuns[i]), ...models.filter((_, i) => !withRuns[i])];
  return named.flatMap((call) => {
    for (const model of ordered) {
      const layer = model?.layers.get(call.layerName);
      if (model && layer !== undefined) return [{ call, model, layer }];
    }
    return [];
  });
}
