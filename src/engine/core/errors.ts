// Errors the engine throws at their source: one the user can read (naming the file and the
// problem), and the cancellation of a job.
import type { EngineError, EngineErrorCode } from '../../protocol/engine';

/** An error the user can read: names the file and the problem. */
export class EngineFailure extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(file && !message.includes(file) ? `${file}: ${message}` : message);
    this.name = 'EngineFailure';
  }

  toProtocol(): EngineError {
    return { code: this.code, message: this.message, file: this.file };
  }
}

export class JobCancelled extends Error {
  constructor() {
    super('The job was cancelled.');
    this.name = 'JobCancelled';
  }
}
