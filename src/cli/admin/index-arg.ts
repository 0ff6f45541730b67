/** The INDEX argument of undeploy/pin/unpin/set-default: a deployment's position in boot order. */
import { CfsError } from '../../errors.js';

export function indexArg(value: string, usage: string): number {
  if (!/^\d+$/.test(value)) throw new CfsError(`INDEX must be a non-negative integer, got '${value}'\n${usage}`, { field: 'INDEX', code: 'EUSAGE' });
  return Number(value);
}
