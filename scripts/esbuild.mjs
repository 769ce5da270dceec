// Builds the four bundles of DESIGN.md: extension host, engine process, webview, CLI.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// TensorFlow.js and h5wasm stay external in the node bundles so that the wasm binaries and the
// optional native addon (@tensorflow/tfjs-node) resolve from node_modules at run time.
const engineExternals = ['@tensorflow/*'];

// h5wasm is ESM and reads import.meta.url; the node bundles are CommonJS, so give it one.
const nodeEsmShim = {
  define: { 'import.meta.url': '__quenchImportMetaUrl' },
  banner: { js: "const __quenchImportMetaUrl = require('url').pathToFileURL(__filename).href;" },
};

// The extension host parses source code with tree-sitter (src/extension/source): its runtime and
// grammar .wasm files go to dist/tree-sitter/, beside the bundle that loads them. The CommonJS
// build of web-tree-sitter is bundled (its ESM build needs import.meta.url at run time).
const require = createRequire(import.meta.url);
const treeSitterWasm = {
  'web-tree-sitter.wasm': require.resolve('web-tree-sitter/web-tree-sitter.wasm'),
  ...Object.fromEntries(['python', 'javascript', 'typescript', 'tsx'].map((language) => [
    `tree-sitter-${language}.wasm`,
    path.join(path.dirname(require.resolve('@vscode/tree-sitter-wasm/package.json')), 'wasm', `tree-sitter-${language}.wasm`),
  ])),
};
function copyTreeSitterWasm() {
  fs.mkdirSync('dist/tree-sitter', { recursive: true });
  for (const [name, from] of Object.entries(treeSitterWasm)) fs.copyFileSync(from, path.join('dist/tree-sitter', name));
}
const webTreeSitterCjs = path.join(path.dirname(require.resolve('web-tree-sitter/web-tree-sitter.wasm')), 'web-tree-sitter.cjs');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
};

const builds = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], alias: { 'web-tree-sitter': webTreeSitterCjs } },
  { ...common, entryPoints: ['src/engine/main.ts'], outfile: 'dist/engine.js', platform: 'node', format: 'cjs', target: 'node20', external: engineExternals, ...nodeEsmShim },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20', external: engineExternals, define: nodeEsmShim.define, banner: { js: '#!/usr/bin/env node\n' + nodeEsmShim.banner.js } },
  { ...common, entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022' },
  // The extension-host test suite; mocha resolves from node_modules at run time.
  { ...common, entryPoints: ['test/integration/suite/index.ts'], outfile: 'dist/test/integration/suite.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'mocha'] },
];

copyTreeSitterWasm();
if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
