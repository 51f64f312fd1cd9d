import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

/*
 * Encrypts connector secrets at rest with AES-256-GCM. The key is derived once from the configured
 * secret (SIGNALBOX_SECRET_KEY) with scrypt, so a pass phrase works as well as random bytes. Each
 * value gets a fresh 96-bit nonce, and the connector id is bound as associated data, so a
 * ciphertext copied onto another connector does not decrypt.
 * Stored form: `v1.<nonce>.<tag>.<ciphertext>`, each part base64url.
 */

const SALT = 'signalbox/connector-secrets/v1';

export class SecretBox {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    if (secretKey.length < 16) throw new Error('the secret key must have at least 16 characters');
    this.key = scryptSync(secretKey, SALT, 32);
  }

  seal(plain: string, boundTo: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', nonce, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** Throws when the value was sealed with another key or for another id, or was altered. */
  open(sealed: string, boundTo: string): string {
    const [version, nonce, tag, body] = sealed.split('.');
    if (version !== 'v1' || body === undefined) throw new Error('unknown secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(boundTo, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
