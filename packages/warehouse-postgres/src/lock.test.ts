import { Lock } from './lock';

describe('Lock', () => {
  it('grants the lock in the order it was asked for', async () => {
    const lock = new Lock();
    const order: string[] = [];
    const first = await lock.acquire();
    const waiting = ['b', 'c'].map((name) =>
      lock.acquire().then((unlock) => {
        order.push(name);
        return unlock;
      }),
    );
    order.push('a');
    first();
    (await waiting[0])();
    (await waiting[1])();
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('lets an aborted waiter leave the queue with the reason; the next one still gets its turn', async () => {
    const lock = new Lock();
    const held = await lock.acquire();
    const controller = new AbortController();
    const reason = new Error('gave up');
    const quitter = lock.acquire(controller.signal);
    const patient = lock.acquire();
    controller.abort(reason);
    await expect(quitter).rejects.toBe(reason);
    held();
    const unlock = await patient;
    unlock();
    expect(await Promise.race([lock.acquire().then(() => 'free'), new Promise((r) => setTimeout(() => r('held'), 50))])).toBe('free');
  });

  it('ignores a second unlock, which would otherwise let two holders in', async () => {
    const lock = new Lock();
    const held = await lock.acquire();
    const second = lock.acquire();
    held();
    await second;
    held();
    expect(await Promise.race([lock.acquire().then(() => 'granted'), new Promise((r) => setTimeout(() => r('waiting'), 50))])).toBe('waiting');
  });
});
