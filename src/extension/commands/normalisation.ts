// The dataset step's question for a 3-channel ONNX model (a PyTorch export, which usually expects
// ImageNet mean/std): when the chosen evaluation data's descriptor states no mean/std, ask once and
// save the answer in it, so the report's preprocessing says what was applied and nothing is guessed.
// No vscode here (the unit tier drives it with a fake pick); pickDataset.ts wires the real one.
import { IMAGENET_NORMALISATION, type DatasetDescriptorParams, type DatasetDescriptorResult } from '../../protocol/engine';
import type { ModelFormat } from '../../protocol/report';


export type NormalisationAnswer = 'imagenet' | 'pixels' | 'later';

export interface NormalisationItem {
  label: string;
  detail: string;
  answer: NormalisationAnswer;
}

/** What the question needs from VS Code and the engine. */
export interface NormalisationIo {
  /** The model's input shape without the batch, in the file's layout (the inspect report's). */
  inputShape(modelPath: string): Promise<number[]>;
  descriptor(params: DatasetDescriptorParams): Promise<DatasetDescriptorResult>;
  pick(items: NormalisationItem[], options: { title: string; placeHolder: string }): Promise<NormalisationItem | undefined>;
  /** A path as the workspace shows it. */
  relative(file: string): string;
  info(message: string): void;
  warn(message: string): void;
  /** A non-modal error message. */
  error(message: string): void;
}

export interface NormalisationModel {
  path: string;
  name: string;
  format: ModelFormat;
}

/** A model the question is for: ONNX with a 3-channel channels-first image input. */
export function asksNormalisation(format: ModelFormat, inputShape: readonly number[] | undefined): boolean {
  return format === 'onnx' && inputShape?.length === 3 && inputShape[0] === 3;
}

export function normalisationItems(target: string): NormalisationItem[] {
  return [
    {
      label: 'ImageNet mean/std',
      detail: `mean [${IMAGENET_NORMALISATION.mean.join(', ')}], std [${IMAGENET_NORMALISATION.std.join(', ')}] on 0..1 pixels (torchvision's default) — saved in ${target}`,
      answer: 'imagenet',
    },
    { label: 'Pixels 0..1 only', detail: `no mean/std — saved in ${target} as mean 0, std 1, so you are not asked again`, answer: 'pixels' },
    { label: 'Decide later', detail: 'run with pixels 0..1; ask again next time', answer: 'later' },
  ];
}

/** The values an answer writes; undefined for "Decide later". */
export function normalisationValues(answer: NormalisationAnswer): { mean: number[]; std: number[] } | undefined {
  if (answer === 'imagenet') return { mean: [...IMAGENET_NORMALISATION.mean], std: [...IMAGENET_NORMALISATION.std] };
  if (answer === 'pixels') return { mean: [0, 0, 0], std: [1, 1, 1] };
  return undefined;
}

/**
 * Asks how `data` is normalised for `model` where that is open, and saves the answer. False when the
 * person dismissed the question (the flow stops as when the dataset pick is dismissed), else true.
 * A model or descriptor the engine cannot read is left to the job, which reports it.
 */
export async function confirmNormalisation(io: NormalisationIo, model: NormalisationModel, data: string): Promise<boolean> {
  if (model.format !== 'onnx') return true;
  let state: DatasetDescriptorResult;
  try {
    if (!asksNormalisation(model.format, await io.inputShape(model.path))) return true;
    state = await io.descriptor({ data });
  } catch (error) {
    io.warn(`Input normalisation of ${model.name} not checked: ${(error as Error).message}`);
    return true;
  }
  if (state.mean || state.std) return true;
  const target = io.relative(state.target);
  const pick = await io.pick(normalisationItems(target), {
    title: `${model.name}: input normalisation`,
    placeHolder: `${io.relative(data)} states no mean/std; PyTorch image models usually expect ImageNet's`,
  });
  if (!pick) return false;
  const values = normalisationValues(pick.answer);
  if (!values) {
    io.info(`${model.name}: input normalisation left open for ${io.relative(data)}; this run reads pixels 0..1.`);
    return true;
  }
  try {
    const saved = await io.descriptor({ data, set: values });
    io.info(`${model.name}: mean [${saved.mean?.join(', ')}], std [${saved.std?.join(', ')}] saved in ${io.relative(saved.target)} for ${io.relative(data)}.`);
    return true;
  } catch (error) {
    io.error(`Quench: the input normalisation was not saved: ${(error as Error).message}`);
    return false;
  }
}
