// Encoding of the SFP matrices side file (SfpMatricesFile in src/protocol/report.ts): a JSON
// header behind a magic and a length, then raw little-endian float32 per layer. A 512-filter ×
// 100-class layer is 20 MB here instead of ~100 MB as JSON numbers, and readers can fetch one
// layer by its offset without parsing the rest.
import { SCHEMA_VERSION, SFP_MATRICES_MAGIC, type SfpMatricesFile } from '../../protocol/report';

export interface LayerMatricesData {
  name: string;
  filters: number;
  /** Float32 [filters, C, C] row-major. */
  data: Float32Array;
}

const PREFIX_BYTES = SFP_MATRICES_MAGIC.length + 4;

export function encodeMatricesFile(classes: number, layers: LayerMatricesData[]): Uint8Array {
  for (const l of layers) {
    if (l.data.length !== l.filters * classes * classes) throw new Error(`${l.name}: ${l.data.length} values do not make ${l.filters} matrices of ${classes}×${classes}.`);
  }
  // Offsets depend on the header's length and the header holds the offsets: grow the reserved
  // header size until the offsets it implies fit (converges in a step or two).
  let reserved = 0;
  for (;;) {
    let offset = align4(PREFIX_BYTES + reserved);
    const header: SfpMatricesFile = {
      schemaVersion: SCHEMA_VERSION,
      classes,
      layers: layers.map((l) => {
        const entry = { name: l.name, filters: l.filters, offset, length: l.data.length };
        offset += l.data.length * 4;
        return entry;
      }),
    };
    const json = new TextEncoder().encode(JSON.stringify(header));
    if (json.length > reserved) {
      reserved = json.length;
      continue;
    }
    const bytes = new Uint8Array(offset);
    bytes.set(new TextEncoder().encode(SFP_MATRICES_MAGIC), 0);
    const view = new DataView(bytes.buffer);
    view.setUint32(SFP_MATRICES_MAGIC.length, reserved, true);
    bytes.fill(0x20, PREFIX_BYTES, PREFIX_BYTES + reserved); // JSON may end in spaces
    bytes.set(json, PREFIX_BYTES);
    header.layers.forEach((entry, i) => {
      const values = layers[i].data;
      if (littleEndian()) bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), entry.offset);
      else values.forEach((v, k) => view.setFloat32(entry.offset + 4 * k, v, true));
    });
    return bytes;
  }
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
}
