/** What every fuzz test of a parser of outside data asks of a call. */
import { expect } from 'chai';
import { CfsError } from '../../src/errors.js';

/**
 * Runs `f`: it may succeed or refuse with a CfsError (with one of `codes`, when given); any other
 * exception escapes.
 */
export function onlyCfsError(f: () => unknown, codes?: string[]): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof CfsError)) throw e;
    if (codes) expect(codes).to.include(e.code);
  }
}
