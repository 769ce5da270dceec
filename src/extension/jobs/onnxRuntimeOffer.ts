// The one-time offer of ONNX Runtime: when a job on an .onnx model is done and the engine says
// onnxruntime-node is not installed, one non-modal message offers to install it. It is asked at
// most once per session; "Don't Ask Again" is kept in global state. Where ONNX Runtime is turned
// off (QUENCH_ONNXRUNTIME=off) or installed but not loadable, nothing is offered: an install
// would not change that. No vscode import: unit-tested with a fake host.
import type { EngineInfo } from '../../protocol/engine';

export const ONNX_RUNTIME_OFFER = 'ONNX models evaluate several times faster with ONNX Runtime (115 MB download).';
export const OFFER_BUTTONS = ['Install', 'Not Now', "Don't Ask Again"] as const;
/** The global-state key that "Don't Ask Again" sets. */
export const DONT_ASK_KEY = 'quench.onnxRuntimeOffer.declined';

export interface OfferHost {
  /** The extension's global state (a vscode.Memento). */
  state: { get<T>(key: string): T | undefined; update(key: string, value: unknown): PromiseLike<void> };
  /** The engine's info; undefined when the engine cannot say. */
  info(): Promise<EngineInfo | undefined>;
  /** Shows a non-modal information message; resolves with the button picked, if any. */
  ask(message: string, ...buttons: string[]): PromiseLike<string | undefined>;
  /** Runs quench.installOnnxRuntime. */
  install(): PromiseLike<unknown>;
}

export type OfferOutcome = 'not-onnx' | 'asked-before' | 'declined' | 'not-wanted' | (typeof OFFER_BUTTONS)[number] | 'dismissed';

export class OnnxRuntimeOffer {
  private asked = false;

  constructor(private readonly host: OfferHost) {}

  /** Called when a job on `modelPath` is done; settles when the exchange (and an install) is over. */
  async jobDone(modelPath: string): Promise<OfferOutcome> {
    if (!modelPath.toLowerCase().endsWith('.onnx')) return 'not-onnx';
    if (this.asked) return 'asked-before';
    if (this.host.state.get<boolean>(DONT_ASK_KEY)) return 'declined';
    // Set before anything is awaited: two jobs ending together ask once.
    this.asked = true;
    const status = (await this.host.info().catch(() => undefined))?.onnxRuntime;
    if (!isNotInstalled(status)) {
      // The engine may not have said yet; a later job asks again.
      if (!status) this.asked = false;
      return 'not-wanted';
    }
    const pick = await this.host.ask(ONNX_RUNTIME_OFFER, ...OFFER_BUTTONS);
    if (pick === "Don't Ask Again") await this.host.state.update(DONT_ASK_KEY, true);
    if (pick === 'Install') await this.host.install();
    return (OFFER_BUTTONS as readonly string[]).includes(pick ?? '') ? (pick as OfferOutcome) : 'dismissed';
  }
}

/** The engine looked for onnxruntime-node everywhere and found it nowhere (not off, not broken). */
export function isNotInstalled(status: EngineInfo['onnxRuntime']): boolean {
  return status?.available === false && /\bis not installed\b/.test(status.reason);
}
