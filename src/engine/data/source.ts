// What each dataset reader produces before preprocessing: labels in memory, images read on demand.
import type { DatasetKind } from '../../protocol/report';

/** One image as stored, interleaved HWC (the reader has already undone NCHW / CIFAR planes). */
export interface RawImage {
  data: Uint8Array | Float32Array;
  height: number;
  width: number;
  channels: number;
}

export interface ImageSource {
  kind: DatasetKind;
  /** The path that identifies the dataset (the images file, the npz, the folder). */
  path: string;
  /** Every file read, for the report's hash. */
  files: string[];
  sha256: string;
  size: number;
  /** Shape every image has, [height, width, channels]; null when images differ (image folders). */
  shape: [number, number, number] | null;
  /** 'uint8' sources are 0..255 pixels; 'float32' sources hold whatever the writer stored. */
  dtype: 'uint8' | 'float32';
  labels: Int32Array;
  labelNames?: string[];
  /** 'test', 'train', ... as far as the file names tell. */
  split: string;
  /** The file to name in errors about one sample (the folder's image file, else `path`). */
  fileOf(index: number): string;
  readImages(indices: ArrayLike<number>): Promise<RawImage[]>;
  close(): void;
}

/** Reader options every format understands. */
export interface SourceOptions {
  /** 'train' selects the training part where the format keeps both (npz keys, IDX / CIFAR names). */
  split?: string;
  /** Descriptor override for the array layout of 4-d arrays. */
  layout?: 'NHWC' | 'NCHW';
  /** The model's class count: picks CIFAR-100's coarse (20) or fine (100) labels. */
  classes?: number;
}
