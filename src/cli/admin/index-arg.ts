/** The INDEX argument of undeploy/pin/unpin/set-default: a deployment's position in boot order. */
import { CfsError } from '../../errors.js';

export function indexArg(value: string, _usage?: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new CfsError(`INDEX must be a non-negative integer, got '${value}'`, { field: 'INDEX', code: 'EUSAGE' });
  return Number(value);
}
