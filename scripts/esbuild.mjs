// Builds the four bundles of DESIGN.md: extension host, engine process, webview, CLI.
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

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
};

const builds = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] },
  { ...common, entryPoints: ['src/engine/main.ts'], outfile: 'dist/engine.js', platform: 'node', format: 'cjs', target: 'node20', external: engineExternals, ...nodeEsmShim },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20', external: engineExternals, define: nodeEsmShim.define, banner: { js: '#!/usr/bin/env node\n' + nodeEsmShim.banner.js } },
  { ...common, entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022' },
  // The extension-host test suite; mocha resolves from node_modules at run time.
  { ...common, entryPoints: ['test/integration/suite/index.ts'], outfile: 'dist/test/integration/suite.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'mocha'] },
];

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
