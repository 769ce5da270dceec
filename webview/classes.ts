// Class names for the per-class chart and the label sets: the model's own names, else the
// dataset's, else the class indices.
import type { Report } from '../src/protocol/report';

export function classNamesOf(report: Report): string[] | undefined {
  const fromModel = report.model.classNames;
  if (fromModel?.length) return fromModel;
  const fromData = report.kind === 'inspect' ? undefined : report.dataset.labelNames;
  return fromData?.length ? fromData : undefined;
}

export function classLabel(c: number, names: string[] | undefined): string {
  const name = names?.[c];
  return name === undefined || name === '' ? String(c) : name;
}

/** A label set as a person reads it: `{T-shirt/top, Trouser}`, or `{0, 1}` without names. */
export function labelSetText(labels: number[], names: string[] | undefined): string {
  return `{${labels.map((c) => classLabel(c, names)).join(', ')}}`;
}
