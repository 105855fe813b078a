/**
 * An independent implementation of the Sealed Secrets value format, written for the tests straight from the
 * format description (u16be length ‖ RSA-OAEP-SHA256(label) session key ‖ AES-256-GCM zero nonce ‖ tag),
 * with plain node:crypto calls. It shares no code with src/, so a bug there cannot hide here.
 */
import crypto from 'node:crypto';

export function independentDecrypt(
  privateKeyPem: string | crypto.KeyObject,
  base64Value: string,
  label: string,
): Buffer {
  const blob = Buffer.from(base64Value, 'base64');
  if (blob.toString('base64') !== base64Value) throw new Error('value is not canonical standard base64');
  const rsaLength = (blob[0]! << 8) | blob[1]!;
  const rsaCiphertext = blob.subarray(2, 2 + rsaLength);
  const gcm = blob.subarray(2 + rsaLength);
  const sessionKey = crypto.privateDecrypt(
    {
      key: privateKeyPem,
      padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
      oaepLabel: Buffer.from(label),
    },
    rsaCiphertext,
  );
  const decipher = crypto.createDecipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12, 0));
  decipher.setAuthTag(gcm.subarray(gcm.length - 16));
  return Buffer.concat([decipher.update(gcm.subarray(0, gcm.length - 16)), decipher.final()]);
}

export function independentEncrypt(
  publicKey: crypto.KeyObject | string,
  plaintext: Buffer,
  label: string,
): string {
  const sessionKey = crypto.randomBytes(32);
  const rsaCiphertext = crypto.publicEncrypt(
    {
      key: publicKey,
      padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
      oaepLabel: Buffer.from(label),
    },
    sessionKey,
  );
  const cipher = crypto.createCipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12, 0));
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const header = Buffer.from([rsaCiphertext.length >> 8, rsaCiphertext.length & 0xff]);
  return Buffer.concat([header, rsaCiphertext, sealed]).toString('base64');
}
