// Errors a user causes (bad input, a command or configuration that cannot run). Below every layer, so each
// raises them without importing the CLI; the CLI maps them to one line and exit code 2.

/** Bad input data: a file that is not what it claims, with the byte offset where that was found. */
export class InputError extends Error {
  /**
   * An error whose message is `FILE: REASON at byte offset N`.
   *
   * @param file - the file (or `<memory>`) the bad data came from
   * @param offset - byte offset in it where the fault was found
   * @param reason - what is wrong, in a few words
   */
  constructor(readonly file: string, readonly offset: number, readonly reason: string) {
    super(`${file}: ${reason} at byte offset ${offset}`);
    this.name = 'InputError';
  }
}

/** A command line or configuration that cannot be run. */
export class UsageError extends Error {
  /** `message` is one line saying what cannot be run and why (the CLI prints it after `zooroute: `). */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
