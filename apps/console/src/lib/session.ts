/**
 * The signed-in key, kept in session storage: it lasts as long as the tab and is never written to
 * disk by the console (closing the tab signs out).
 */
const KEY = 'signalbox.apiKey';

export interface KeyStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class Session {
  constructor(private readonly store: KeyStore) {}

  get apiKey(): string | null {
    return this.store.getItem(KEY);
  }

  signIn(apiKey: string): void {
    this.store.setItem(KEY, apiKey.trim());
  }

  signOut(): void {
    this.store.removeItem(KEY);
  }
}
