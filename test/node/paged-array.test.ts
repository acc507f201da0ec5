/**
 * PagedArray (src/node/paged-array.ts) against a plain array model, with
 * runs of pushes and pops long enough to cross page boundaries both ways.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAGE, PagedArray } from '../../src/node/paged-array.js';

type Op = { kind: 'push'; n: number } | { kind: 'pop'; n: number } | { kind: 'set'; at: number; v: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), n: fc.integer({ min: 1, max: 2 * PAGE + 3 }) }),
  fc.record({ kind: fc.constant('pop' as const), n: fc.integer({ min: 1, max: 2 * PAGE + 3 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), v: fc.integer() }),
);

function expectSame(a: PagedArray<number>, model: number[]): void {
  expect(a.length).toBe(model.length);
  for (let i = 0; i < model.length; i++) if (a.at(i) !== model[i]) expect(a.at(i)).toBe(model[i]);
}

describe('PagedArray', () => {
  it('PagedArray push, pop, set and at agree with an array across page boundaries', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => {
        const a = new PagedArray<number>();
        const model: number[] = [];
        let next = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            for (let i = 0; i < o.n; i++) {
              a.push(next);
              model.push(next++);
            }
          } else if (o.kind === 'pop') {
            for (let i = 0; i < o.n; i++) expect(a.pop()).toBe(model.pop());
          } else if (model.length > 0) {
            const i = o.at % model.length;
            a.set(i, o.v);
            model[i] = o.v;
          }
          expect(a.length).toBe(model.length);
        }
        expectSame(a, model);
      }),
      { numRuns: 60 },
    );
  });

  it('PagedArray pop on an empty array returns undefined and keeps the length at 0', () => {
    const a = new PagedArray<string>();
    expect(a.pop()).toBeUndefined();
    expect(a.length).toBe(0);
    a.push('x');
    expect(a.pop()).toBe('x');
    expect(a.pop()).toBeUndefined();
    a.push('y');
    expect(a.at(0)).toBe('y');
  });
});
