import { workflowNameOf } from './run';

describe('workflowNameOf', () => {
  it('names a run signalbox- and every hex digit of its id: DNS-safe, within a label value, one name per run', () => {
    const name = workflowNameOf('0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B');
    expect(name).toBe('signalbox-0190a1b2c3d47e5f8a6b7c8d9e0f1a2b');
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(name.length).toBeLessThanOrEqual(63);
    // Two time-ordered ids of one millisecond share their first digits, never their name.
    expect(workflowNameOf('0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c')).not.toBe(name);
  });
});
