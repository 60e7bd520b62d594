// The CLI reports these errors in one line with exit code 2; they live below every layer (src/errors.ts).
export { InputError, UsageError } from '../errors.js';
