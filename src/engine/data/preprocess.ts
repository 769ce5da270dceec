// Turns stored images into model input: resize, channel conversion, scaling, mean/std, in plain JS
// per batch (cheap next to the model, and no full-dataset float tensor is ever built).
import type { PreprocessingInfo } from '../../protocol/report';
import type { RawImage } from './source';

export interface Preprocessing extends PreprocessingInfo {
  resize: 'bilinear' | 'nearest';
}

/** Writes `image` preprocessed into `out` at `offset` as [height, width, channels] float32. */
export function writeImage(
  image: RawImage,
  target: [number, number, number],
  prep: Preprocessing,
  out: Float32Array,
  offset: number,
): void {
  const [th, tw, tc] = target;
  const resized = image.height === th && image.width === tw ? image : resizeImage(image, th, tw, prep.resize);
  const src = resized.data;
  const sc = resized.channels;
  const [mul, add] = prep.scale === '0..1' ? [1 / 255, 0] : prep.scale === '-1..1' ? [1 / 127.5, -1] : [1, 0];
  const mean = prep.mean;
  const invStd = prep.std?.map((s) => 1 / s);
  const pixels = th * tw;
  for (let p = 0; p < pixels; p++) {
    const s = p * sc;
    const d = offset + p * tc;
    for (let c = 0; c < tc; c++) {
      let v: number;
      if (sc === tc || (sc === 4 && tc === 3)) v = src[s + c]!;
      else if (sc === 1) v = src[s]!;
      else v = 0.299 * src[s]! + 0.587 * src[s + 1]! + 0.114 * src[s + 2]!; // RGB(A) -> gray, ITU-R 601
      v = v * mul + add;
      if (mean) v -= mean.length === 1 ? mean[0]! : mean[c]!;
      if (invStd) v *= invStd.length === 1 ? invStd[0]! : invStd[c]!;
      out[d + c] = v;
    }
  }
}

/** Half-pixel-centre resize (as PIL and TF2's tf.image.resize), bilinear or nearest. */
export function resizeImage(image: RawImage, th: number, tw: number, method: 'bilinear' | 'nearest'): RawImage {
  const { data, height: sh, width: sw, channels: c } = image;
  const out = new Float32Array(th * tw * c);
  const ry = sh / th;
  const rx = sw / tw;
  for (let y = 0; y < th; y++) {
    const fy = Math.min(Math.max((y + 0.5) * ry - 0.5, 0), sh - 1);
    const y0 = method === 'nearest' ? Math.min(Math.floor((y + 0.5) * ry), sh - 1) : Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = method === 'nearest' ? 0 : fy - y0;
    for (let x = 0; x < tw; x++) {
      const fx = Math.min(Math.max((x + 0.5) * rx - 0.5, 0), sw - 1);
      const x0 = method === 'nearest' ? Math.min(Math.floor((x + 0.5) * rx), sw - 1) : Math.floor(fx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = method === 'nearest' ? 0 : fx - x0;
      const o = (y * tw + x) * c;
      for (let k = 0; k < c; k++) {
        const a = data[(y0 * sw + x0) * c + k]!;
        const b = data[(y0 * sw + x1) * c + k]!;
        const d = data[(y1 * sw + x0) * c + k]!;
        const e = data[(y1 * sw + x1) * c + k]!;
        out[o + k] = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy;
      }
    }
  }
  return { data: out, height: th, width: tw, channels: c };
}

/** Channel conversions writeImage can do: same count, gray -> RGB, RGB(A) -> gray, RGBA -> RGB. */
export function channelsCompatible(source: number, target: number): boolean {
  return source === target || (source === 1 && target === 3) || ((source === 3 || source === 4) && (target === 1 || target === 3));
}
