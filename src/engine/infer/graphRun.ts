// The model's graph run node by node on the model's own layers, for passes before an inference
// copy exists: layer.apply on concrete tensors computes (in inference mode) without adding nodes
// to the user's model, and reaches any graph tensor, inside nested models too.
import * as tf from '@tensorflow/tfjs';
import type { ModelGraph } from '../graph';

/** Graph tensors `wanted` for input x (the graph's single input). Call inside tf.tidy. */
export function runGraph(graph: ModelGraph, x: tf.Tensor, wanted: string[]): tf.Tensor[] {
  const input = graph.inputs[0]!;
  const values = new Map<string, tf.Tensor>();
  // Tensor ids holding each tensor object (an identity layer such as Dropout returns its input).
  const holders = new Map<tf.Tensor, number>();
  const hold = (id: string, t: tf.Tensor): void => {
    values.set(id, t);
    holders.set(t, (holders.get(t) ?? 0) + 1);
  };
  hold(input, x);
  const missing = new Set(wanted.filter((t) => t !== input));
  // Readers left per tensor, so intermediate maps are freed as soon as they are consumed.
  const readers = new Map([...graph.tensors.values()].map((t) => [t.id, t.consumers.length]));
  const keep = new Set([input, ...wanted]);
  for (const node of graph.nodes) {
    if (missing.size === 0) break;
    const inputs = node.inputs.map((t) => values.get(t)!);
    hold(node.outputs[0]!, node.layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor);
    missing.delete(node.outputs[0]!);
    for (const id of node.inputs) {
      const left = readers.get(id)! - 1;
      readers.set(id, left);
      if (left > 0 || keep.has(id)) continue;
      const t = values.get(id)!;
      values.delete(id);
      const held = holders.get(t)! - 1;
      holders.set(t, held);
      if (held === 0) t.dispose();
    }
  }
  return wanted.map((t) => values.get(t)!);
}
