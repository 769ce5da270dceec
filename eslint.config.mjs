// Folder boundaries of DESIGN.md, enforced: a wrong import fails `npm run lint`.
import tseslint from 'typescript-eslint';

const tfAndHeavy = ['@tensorflow/*', 'h5wasm', 'h5wasm/*'];

// Every engine file: no vscode, nothing outside src/protocol and the engine.
const engineBoundary = {
  paths: [{ name: 'vscode', message: 'The engine runs outside VS Code: never import vscode here.' }],
  patterns: [{ regex: '^(\\.\\./)+(extension|\\.\\./webview)(/.*)?$', message: 'The engine may import only src/protocol and itself.' }],
};
/** The engine rule plus folders this part of the engine must not reach (DESIGN.md's layering). */
const engineLayer = (folders, message) => ['error', {
  paths: engineBoundary.paths,
  patterns: [...engineBoundary.patterns, { regex: `^\\.\\./(${folders.join('|')})(/.*)?$`, message }],
}];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', '.cache/**', '.vscode-test/**', 'examples/**', 'test-results/**', 'test/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!\\./)', message: 'src/protocol holds types only and imports nothing but itself.' }] }],
    },
  },
  {
    files: ['src/engine/**/*.ts', 'src/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', engineBoundary] },
  },
  {
    // The floor: errors, job context and seeded random lean on nothing else of the engine.
    files: ['src/engine/core/**/*.ts'],
    rules: { 'no-restricted-imports': engineLayer(['[a-z]+'], 'src/engine/core is the floor: it imports only src/protocol and itself.') },
  },
  {
    files: ['src/engine/limits/**/*.ts', 'src/engine/backend/**/*.ts'],
    rules: { 'no-restricted-imports': engineLayer(['(?!core)[a-z]+'], 'This folder imports only ../core of the engine.') },
  },
  {
    // What the jobs compose never reaches back up into the jobs (or the process entry).
    files: ['src/engine/{data,formats,graph,stats,infer,eval,sfp,prune,train,pipeline,budget}/**/*.ts'],
    rules: { 'no-restricted-imports': engineLayer(['jobs', 'main'], 'Only src/engine/jobs composes the steps: the parts below it never import it.') },
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: tfAndHeavy, message: 'The extension host never loads TensorFlow: send a request to the engine process.' },
          { regex: '^(\\.\\./)+(engine|cli|\\.\\./webview)(/.*)?$', message: 'The extension talks to the engine through src/protocol only.' },
        ],
      }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The webview is a browser page.' }],
        patterns: [
          { group: [...tfAndHeavy, '**/src/engine/**', '**/src/extension/**', '**/src/cli/**', 'node:*', 'fs', 'path', 'child_process'], message: 'The webview imports only src/protocol types (and its UI libraries).' },
        ],
      }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports' }],
    },
  },
);
