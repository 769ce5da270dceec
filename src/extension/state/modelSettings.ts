// Per-model choices (datasets, method, layers, epochs, output format, ...) remembered in
// <folder>/.quench/models.json (modelsFile.ts), for the model's workspace folder.
import { mergeModelChoices, readModelChoices, type ModelChoices } from './modelsFile';
import { stateRootFor } from './runs';

export type { ModelChoices } from './modelsFile';

export class ModelSettingsStore {
  /** Serialises read-modify-write cycles on models.json. */
  private queue: Promise<unknown> = Promise.resolve();

  async get(modelPath: string): Promise<ModelChoices> {
    const root = stateRootFor(modelPath);
    return root ? readModelChoices(root, modelPath) : {};
  }

  /** Merges `choices` into the model's entry (undefined values leave entries as they are). */
  update(modelPath: string, choices: ModelChoices): Promise<void> {
    const next = this.queue.then(async () => {
      const root = stateRootFor(modelPath);
      if (root) await mergeModelChoices(root, modelPath, choices);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
