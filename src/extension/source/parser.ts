// Tree-sitter in the extension host: web-tree-sitter's runtime with the Python, JavaScript,
// TypeScript and TSX grammars of @vscode/tree-sitter-wasm. The build copies the five .wasm files to
// dist/tree-sitter/ (scripts/esbuild.mjs); tests point at node_modules instead. No vscode import.
import * as path from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';

export type SourceLanguage = 'python' | 'javascript' | 'typescript' | 'tsx';

export const SOURCE_LANGUAGES: readonly SourceLanguage[] = ['python', 'javascript', 'typescript', 'tsx'];

/** Where the runtime's and each grammar's .wasm file lie. */
export interface GrammarFiles {
  runtime: string;
  grammar(language: SourceLanguage): string;
}

/** The files as the build lays them out: `<dir>/web-tree-sitter.wasm`, `<dir>/tree-sitter-<language>.wasm`. */
export function grammarsIn(dir: string): GrammarFiles {
  return { runtime: path.join(dir, 'web-tree-sitter.wasm'), grammar: (language) => path.join(dir, `tree-sitter-${language}.wasm`) };
}

/** The grammar of a file, by its extension; undefined for files Quench does not read as code. */
export function languageOfFile(fileName: string): SourceLanguage | undefined {
  const ext = fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase();
  if (ext === 'py' || ext === 'pyw') return 'python';
  if (ext === 'js' || ext === 'mjs' || ext === 'cjs' || ext === 'jsx') return 'javascript';
  if (ext === 'ts' || ext === 'mts' || ext === 'cts') return 'typescript';
  if (ext === 'tsx') return 'tsx';
  return undefined;
}

let runtime: Promise<void> | undefined;

/** One parser per grammar, loaded on first use; the runtime is initialised once per process. */
export class SourceParser {
  private readonly parsers = new Map<SourceLanguage, Promise<Parser>>();

  constructor(private readonly files: GrammarFiles) {}

  /** Parses `text`, hands the tree to `read` and frees it (trees live in wasm memory). */
  async read<T>(text: string, language: SourceLanguage, read: (tree: Tree) => T): Promise<T> {
    const parser = await this.parserFor(language);
    const tree = parser.parse(text);
    if (!tree) throw new Error(`tree-sitter returned no tree for a ${language} file`);
    try {
      return read(tree);
    } finally {
      tree.delete();
    }
  }

  private parserFor(language: SourceLanguage): Promise<Parser> {
    let parser = this.parsers.get(language);
    if (!parser) {
      parser = (async () => {
        runtime ??= Parser.init({ locateFile: () => this.files.runtime }).catch((error: unknown) => {
          runtime = undefined;
          throw error;
        });
        await runtime;
        const p = new Parser();
        p.setLanguage(await Language.load(this.files.grammar(language)));
        return p;
      })();
      // A failed load is retried on the next call rather than cached.
      parser.catch(() => this.parsers.delete(language));
      this.parsers.set(language, parser);
    }
    return parser;
  }
}
