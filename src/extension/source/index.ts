// Layer constructors in Python (Keras) and JavaScript / TypeScript (TF.js) source, each with the
// layer name it gives the saved model, and the paths the file saves models to.
import { readTfjsCode } from './javascript';
import { assignLayerNames, type NamedLayerCall } from './naming';
import type { SourceLanguage, SourceParser } from './parser';
import { readKerasCode } from './python';

export interface SourceLayers {
  layers: NamedLayerCall[];
  savePaths: string[];
}

export function readSourceLayers(parser: SourceParser, text: string, language: SourceLanguage): Promise<SourceLayers> {
  return parser.read(text, language, (tree) => {
    const code = language === 'python' ? readKerasCode(tree) : readTfjsCode(tree);
    return { layers: assignLayerNames(code.calls), savePaths: code.savePaths };
  });
}
