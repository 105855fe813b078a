/**
 * Raw RSA-4096 OAEP-SHA256 private-decrypt rates: on this thread (the baseline every unseal figure is divided
 * by) and on several worker threads at once (what the machine can give a pool). The second tells a slow pool
 * from a machine whose cores are not all there, as on a busy virtual machine.
 */
import {
  constants,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { syncRate } from './stats.ts';

export interface DecryptJob {
  privateKey: KeyObject;
  /** Uint8Array: a Buffer reaches a worker as one. */
  ciphertext: Uint8Array;
}

const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
const WORKER_URL = new URL('./decrypt-worker.ts', import.meta.url);

/** A ciphertext as long as the modulus (512 bytes for RSA-4096), like the wrapped key of a sealed value. */
export function decryptJob(privateKey: KeyObject): DecryptJob {
  const ciphertext = publicEncrypt({ key: createPublicKey(privateKey), ...OAEP }, randomBytes(32));
  return { privateKey, ciphertext };
}

function decryptOnce(job: DecryptJob): void {
  privateDecrypt({ key: job.privateKey, ...OAEP }, job.ciphertext);
}

/** Decrypts per second on the calling thread. */
export function singleThreadRate(job: DecryptJob, durationMs: number): number {
  return syncRate(durationMs, () => decryptOnce(job));
}

/** Worker threads that decrypt flat out on request; their rates add up to the machine's parallel rate. */
export class DecryptThreads implements AsyncDisposable {
  readonly #workers: Worker[];

  constructor(job: DecryptJob, count: number) {
    this.#workers = Array.from({ length: count }, () => new Worker(WORKER_URL, { workerData: job }));
  }

  async rate(durationMs: number): Promise<number> {
    const rates = await Promise.all(this.#workers.map((worker) => measure(worker, durationMs)));
    return rates.reduce((total, rate) => total + rate, 0);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}

function measure(worker: Worker, durationMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    worker.once('error', onError);
    worker.once('message', (rate: number) => {
      worker.off('error', onError);
      resolve(rate);
    });
    worker.postMessage(durationMs);
  });
}
