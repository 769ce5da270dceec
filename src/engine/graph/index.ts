export { buildGraph, type GraphNode, type GraphTensor, type ModelGraph } from './build';
export { capabilityOf, type Capability, type Role } from './roles';
export { graphUnits, type GraphUnits, type UnitChannel } from './units';
export { classifierOf, defaultTargets } from './targets';
export { kernelIndexOf, layerById } from './layers';
export type { KernelMask, MaskSet } from './masks';
