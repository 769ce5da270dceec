// Lenses in a model.json / Keras config.json: one per layer entry where each entry has its own line;
// a file written on one line (as converters write model.json) gets one lens on line 1 instead,
// which opens the model summary editor (OPEN_SUMMARY_COMMAND, registered in index.ts).
import * as vscode from 'vscode';
import { lensTitle, modelLensTitle, type ModelFacts } from './layerText';
import { locateModelJsonLayers } from './locate';

export const SHOW_LAYER_COMMAND = 'quench.internal.showLayer';
export const OPEN_SUMMARY_COMMAND = 'quench.internal.openModelSummary';
export const MODEL_JSON_SUMMARY_VIEW_TYPE = 'quench.modelJsonSummary';

export function modelJsonLenses(document: vscode.TextDocument, facts: ModelFacts): vscode.CodeLens[] {
  const entries = locateModelJsonLayers(document.getText());
  if (entries.length === 0) return [];
  const lines = new Set(entries.map((e) => document.positionAt(e.offset).line));
  if (lines.size < entries.length) {
    // A Keras config.json has no summary editor: it is not a model file Quench opens by itself.
    if (!/(^|[\\/])model\.json$/i.test(document.fileName) || !facts.totals) return [];
    const summary = { title: modelLensTitle(facts.totals), command: OPEN_SUMMARY_COMMAND, arguments: [document.uri] };
    return [new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), summary)];
  }
  const lenses: vscode.CodeLens[] = [];
  for (const e of entries) {
    const title = lensTitle(e.name, facts.layers.get(e.name) ?? {}, facts.accuracyDelta);
    if (!title) continue;
    const at = document.positionAt(e.offset);
    lenses.push(new vscode.CodeLens(new vscode.Range(at, at), { title, command: SHOW_LAYER_COMMAND, arguments: [facts.modelPath, e.name] }));
  }
  return lenses;
}
