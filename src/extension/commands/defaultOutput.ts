// Where a pruned model goes unless the person says otherwise: beside the original, in the same
// format or the one asked for (the engine's own default, kept in step so the host knows which
// files a job may create).
import * as path from 'node:path';
import type { ModelFormat } from '../../protocol/report';

const KERAS_EXTENSION: Record<Exclude<ModelFormat, 'tfjs-layers'>, string> = { 'keras-h5': '.h5', 'keras-v3': '.keras', onnx: '.onnx' };

export function defaultPrunedPath(modelPath: string, format?: ModelFormat): string {
  const dir = path.dirname(modelPath);
  const ext = path.extname(modelPath);
  const stem = path.basename(modelPath, ext);
  const lower = ext.toLowerCase();
  const outFormat = format ?? (lower === '.json' ? 'tfjs-layers' : lower === '.keras' ? 'keras-v3' : lower === '.onnx' ? 'onnx' : 'keras-h5');
  if (outFormat === 'tfjs-layers') return path.join(dir, `${stem}.pruned`, 'model.json');
  return path.join(dir, `${stem}.pruned${KERAS_EXTENSION[outFormat]}`);
}
