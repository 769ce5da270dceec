// quench.refreshModels: rescans the workspace; returns the models found.
import type { DiscoveredModel } from '../models/discovery';
import type { CommandDeps } from './deps';

export async function refreshModels(deps: CommandDeps): Promise<DiscoveredModel[]> {
  await deps.index.refresh();
  return deps.index.models();
}
