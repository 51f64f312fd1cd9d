import { stagingSchema } from './compile';

describe('a pipeline’s staging schema', () => {
  it('is named after the pipeline and the random part of its id: two ids made in the same minute never share one', () => {
    // Time-ordered (version 7) ids made a millisecond apart share their first 12 hex digits.
    const a = '019acb8e-1f00-7a3c-8d2e-4f6a1b2c3d4e';
    const b = '019acb8e-1f01-7a3c-9e1f-0a9b8c7d6e5f';
    expect(stagingSchema('daily-sales', a)).toBe('staging_daily_sales_4f6a1b2c3d4e');
    expect(stagingSchema('daily-sales', b)).toBe('staging_daily_sales_0a9b8c7d6e5f');
    // A random (version 4) id keeps the name schemas had before: its first 8 hex digits.
    expect(stagingSchema('daily-sales', 'a1b2c3d4-0000-4000-8000-000000000001')).toBe('staging_daily_sales_a1b2c3d4');
  });

  it('stays a PostgreSQL identifier (at most 63 bytes) whatever the name', () => {
    expect(stagingSchema('x'.repeat(200), '019acb8e-1f00-7a3c-8d2e-4f6a1b2c3d4e').length).toBeLessThanOrEqual(63);
  });
});
