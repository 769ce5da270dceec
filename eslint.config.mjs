// Folder boundaries of DESIGN.md, enforced: a wrong import fails `npm run lint`.
import tseslint from 'typescript-eslint';

const tfAndHeavy = ['@tensorflow/*', 'h5wasm', 'h5wasm/*'];

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
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The engine runs outside VS Code: never import vscode here.' }],
        patterns: [{ regex: '^(\\.\\./)+(extension|\\.\\./webview)(/.*)?$', message: 'The engine may import only src/protocol and itself.' }],
      }],
    },
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
