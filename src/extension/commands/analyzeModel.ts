// quench.analyzeModel: the SFP analysis (per-filter label sets, clusters, noise, SNR) without pruning.
import type * as vscode from 'vscode';
import type { AnalyzeReport } from '../../protocol/report';
import type { JobOutcome } from '../jobs/runner';
import { refuseUntrusted } from '../jobs/trust';
import type { CommandDeps } from './deps';
import { commandInput, reportCommandError, resolveModel } from './input';
import { pickDataset, rememberDataset } from './pickDataset';
import { pickLayers } from './pickers';
import { jobDefaults } from './jobDefaults';
import { matricesPathFor } from '../state/runs';

export interface AnalyzeModelArgs {
  model?: string | vscode.Uri;
  data?: string;
  layers?: string[];
  readoutEpochs?: number;
  threshold?: number;
  seed?: number;
  limit?: number;
  ifBusy?: 'ask' | 'cancel' | 'refuse';
}

export async function analyzeModel(deps: CommandDeps, ...args: unknown[]): Promise<JobOutcome<AnalyzeReport> | undefined> {
  const { target, options } = commandInput<AnalyzeModelArgs>(args);
  try {
    const refusal = refuseUntrusted('Analyze Filters');
    if (refusal) return { outcome: 'refused', message: refusal };
    const model = await resolveModel(deps, target, 'Model to analyze');
    if (!model) return undefined;
    const defaults = await jobDefaults(deps, model.path);
    let data = options?.data ?? defaults.data;
    let layers = options?.layers ?? defaults.layers;
    if (!options) {
      const picked = await pickDataset(deps, model, { kind: 'evaluation', current: data, title: `Analyze ${model.name} (1/2)` });
      if (!picked) return undefined;
      data = picked;
      layers = await pickLayers(deps, model, layers, { title: `Analyze ${model.name} (2/2)`, placeHolder: 'Layers to analyse; select none for every conv/dense block' });
      if (!layers) return undefined;
    }
    if (!data) return { outcome: 'refused', message: `No data for ${model.name}: pass \`data\` or select a dataset first.` };
    await deps.settings.update(model.path, { data });
    await rememberDataset(deps, data);
    const matricesPath = await matricesPathFor(model.path, 'analyze');
    return await deps.jobs.run({
      method: 'analyze',
      outputs: matricesPath ? [matricesPath] : [],
      params: {
        matricesPath,
        model: model.path,
        data,
        limit: options?.limit,
        layers: layers?.length ? layers : undefined,
        readoutEpochs: options?.readoutEpochs ?? defaults.readoutEpochs,
        threshold: options?.threshold ?? defaults.threshold,
        seed: options?.seed ?? defaults.seed,
      },
      modelPath: model.path,
      title: `Analyzing ${model.name} (SFP)`,
      ifBusy: options?.ifBusy,
    });
  } catch (error) {
    return reportCommandError(error);
  }
}
