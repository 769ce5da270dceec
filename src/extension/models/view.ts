// The Models view: each discovered model with format, parameters, size and its last pruning run;
// its children are the layers (from `inspect`) with parameters and sparsity.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LayerStats } from '../../protocol/report';
import type { StoredRun } from '../services';
import type { RunStore } from '../state/runs';
import type { DiscoveredModel, ModelIndex } from './discovery';
import type { InspectCache } from './inspectCache';
import { formatBytes, formatCount, formatDelta, formatPercent, FORMAT_LABELS } from './format';

export type ModelsViewNode =
  | { kind: 'model'; model: DiscoveredModel }
  | { kind: 'layer'; model: DiscoveredModel; layer: LayerStats }
  | { kind: 'message'; model: DiscoveredModel; text: string };

class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsViewNode> {
  private readonly changed = new vscode.EventEmitter<ModelsViewNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly index: ModelIndex,
    private readonly inspections: InspectCache,
    private readonly runs: RunStore,
  ) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(node?: ModelsViewNode): vscode.ProviderResult<ModelsViewNode[]> {
    if (!node) return this.index.models().map((model) => ({ kind: 'model', model }));
    if (node.kind !== 'model') return [];
    return this.layerNodes(node.model);
  }

  getParent(node: ModelsViewNode): ModelsViewNode | undefined {
    return node.kind === 'model' ? undefined : { kind: 'model', model: node.model };
  }

  async getTreeItem(node: ModelsViewNode): Promise<vscode.TreeItem> {
    if (node.kind === 'model') return this.modelItem(node.model);
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text);
      item.iconPath = new vscode.ThemeIcon('warning');
      return item;
    }
    const { layer } = node;
    const item = new vscode.TreeItem(layer.name);
    item.id = `${node.model.path}#${layer.name}`;
    item.contextValue = 'quench.layer';
    item.description = [
      layer.className,
      layer.params > 0 ? `${formatCount(layer.params)} params` : undefined,
      layer.params > 0 && layer.sparsity > 0 ? `${formatPercent(layer.sparsity)} sparse` : undefined,
    ]
      .filter(Boolean)
      .join(' · ');
    item.tooltip = new vscode.MarkdownString(
      `**${layer.name}** (${layer.className})\n\n` +
        `| | |\n|---|---|\n| output | ${JSON.stringify(layer.outputShape)} |\n| params | ${layer.params.toLocaleString()} |\n` +
        `| zeros | ${layer.zeros.toLocaleString()} (${formatPercent(layer.sparsity)}) |\n` +
        (layer.filters !== null ? `| filters | ${layer.filters} |\n` : '') +
        `| MACs | ${layer.macs.toLocaleString()} |` +
        (layer.note ? `\n\n${layer.note}` : ''),
    );
    item.iconPath = new vscode.ThemeIcon(layer.params > 0 ? 'symbol-array' : 'symbol-operator');
    return item;
  }

  private async layerNodes(model: DiscoveredModel): Promise<ModelsViewNode[]> {
    try {
      const report = await this.inspections.get(model.path);
      return report.layers.map((layer) => ({ kind: 'layer', model, layer }));
    } catch (error) {
      return [{ kind: 'message', model, text: `Cannot read layers: ${(error as Error).message}` }];
    }
  }

  private async modelItem(model: DiscoveredModel): Promise<vscode.TreeItem> {
    const item = new vscode.TreeItem(model.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = model.path;
    item.resourceUri = model.uri;
    const lastRun: StoredRun | undefined = await this.runs.latestPrune(model.path).catch(() => undefined);
    item.contextValue = lastRun ? 'quench.model.hasRun' : 'quench.model';
    const figures = [
      FORMAT_LABELS[model.format],
      model.params !== undefined ? `${formatCount(model.params)} params` : undefined,
      model.bytes !== undefined ? formatBytes(model.bytes) : undefined,
      lastRun?.sparsity !== undefined ? `last: ${formatPercent(lastRun.sparsity)} sparse` : undefined,
      lastRun?.top1Delta !== undefined ? formatDelta(lastRun.top1Delta) : undefined,
    ];
    item.description = figures.filter(Boolean).join(' · ');
    const relative = vscode.workspace.asRelativePath(model.uri);
    item.tooltip = new vscode.MarkdownString(
      `**${model.name}** — ${FORMAT_LABELS[model.format]}\n\n${relative}` +
        (lastRun ? `\n\nLast prune: ${lastRun.method ?? ''} ${new Date(lastRun.createdAt).toLocaleString()}` : ''),
    );
    item.iconPath = new vscode.ThemeIcon('circuit-board');
    item.command = { command: 'vscode.open', title: 'Open Model File', arguments: [model.uri] };
    // A binary .h5/.keras opens in the model summary editor when one is registered; plain open otherwise.
    if (path.extname(model.path) !== '.json') item.command = { command: 'quench.inspectModel', title: 'Inspect Model', arguments: [model.uri] };
    return item;
  }
}

export function registerModelsView(index: ModelIndex, inspections: InspectCache, runs: RunStore): vscode.Disposable {
  const provider = new ModelsTreeProvider(index, inspections, runs);
  const view = vscode.window.createTreeView('quench.models', { treeDataProvider: provider, showCollapseAll: true });
  const showError = (): void => {
    view.message = index.lastError;
  };
  return vscode.Disposable.from(
    view,
    index.onDidChange(() => {
      showError();
      provider.refresh();
    }),
    runs.onDidChange(() => provider.refresh()),
  );
}
