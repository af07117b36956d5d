import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantity, quantityValue } from '../../../src/addons/_schema.js';

describe('Kubernetes quantities in add-on settings', () => {
  it.each([
    ['500m', 0.5],
    ['2', 2],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['1.', 1],
    ['4Gi', 4 * 2 ** 30],
    ['128Mi', 128 * 2 ** 20],
    ['1k', 1000],
    ['2E', 2e18],
    ['1e3', 1000],
    ['1E3', 1000],
    ['5e-1', 0.5],
    ['+3', 3],
    ['-3', -3],
  ])('reads %s as %d', (text, value) => {
    expect(quantityValue(text)).toBeCloseTo(value, 6);
  });

  it.each(['', 'Gi', '1GB', '1e', 'e3', '1 Gi', '1i', '--1', '1Mi2', '1.5.5', '1e1.5', '0x10', 'one'])('refuses %j', (text) => {
    expect(quantityValue(text)).toBeUndefined();
  });

  it('accepts numbers from YAML as their string form', () => {
    expect(quantity('cpu').parse(2)).toBe('2');
    expect(quantity('cpu').parse(0.25)).toBe('0.25');
    expect(quantity('memory').parse(' 4Gi ')).toBe('4Gi');
  });

  it('accepts every number with every suffix of the grammar', () => {
    const suffix = fc.constantFrom('', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'e3', 'E-2');
    fc.assert(
      fc.property(fc.nat(), fc.option(fc.nat(), { nil: undefined }), suffix, (whole, fraction, s) => {
        const text = `${whole}${fraction === undefined ? '' : `.${fraction}`}${s}`;
        expect(quantity('cpu').safeParse(text).success, text).toBe(true);
      }),
    );
  });
});
