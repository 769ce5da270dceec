// The tree-sitter files where npm installed them (the extension reads its copies in dist/tree-sitter/).
import * as path from 'node:path';
import { SourceParser, type GrammarFiles } from '../../../src/extension/source/parser';

export const installedGrammars: GrammarFiles = {
  runtime: require.resolve('web-tree-sitter/web-tree-sitter.wasm'),
  grammar: (language) => path.join(path.dirname(require.resolve('@vscode/tree-sitter-wasm/package.json')), 'wasm', `tree-sitter-${language}.wasm`),
};

export const parser = new SourceParser(installedGrammars);
