/** Gives the lock to the next waiter; calling it again does nothing. */
export type Unlock = () => void;

/**
 * A first-come, first-served lock whose waiters may give up: an aborted waiter leaves the queue at
 * once (rejecting with the abort reason) and the holder is not disturbed.
 */
export class Lock {
  private held = false;
  private readonly waiters: (() => void)[] = [];

  acquire(signal?: AbortSignal): Promise<Unlock> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.unlocker());
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', giveUp);
        resolve(this.unlocker());
      };
      const giveUp = () => {
        this.waiters.splice(this.waiters.indexOf(grant), 1);
        reject(signal!.reason);
      };
      this.waiters.push(grant);
      signal?.addEventListener('abort', giveUp, { once: true });
    });
  }

  private unlocker(): Unlock {
    let unlocked = false;
    return () => {
      if (unlocked) return;
      unlocked = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.held = false;
    };
  }
}
