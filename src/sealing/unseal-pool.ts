/**
 * A pool of worker threads that open sealed values, so that RSA private-key operations (about 5 ms each for
 * RSA-4096) use every core and never block the event loop. Each worker receives the keys once, at start.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SealingKey } from './keys.ts';
import type { OpenRequest, OpenResult, ValueOpener } from './unseal.ts';

export interface WorkerKey {
  privateKey: SealingKey['privateKey'];
  fingerprint: string;
  createdAt?: number | undefined;
  source: string;
}

export interface WorkerBatch {
  id: number;
  requests: readonly OpenRequest[];
}

export interface WorkerReply {
  id: number;
  results: OpenResult[];
}

const WORKER_URL = new URL('./unseal-worker.ts', import.meta.url);

/**
 * The bytes in an ArrayBuffer of their own, for transfer to or from a worker. Small Buffers (decoded base64,
 * Buffer.concat) are views into a shared pool slab of 64 KB, and a message carries a view's whole ArrayBuffer:
 * without the copy every value sent costs 64 KB, twice, and the workers' heaps grow by hundreds of MB.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
/** About 80 ms of RSA-4096 work: long enough that messaging is noise, short enough to balance the cores. */
const MAX_BATCH = 16;

export class UnsealPool implements ValueOpener, AsyncDisposable {
  readonly size: number;
  readonly #workers: Worker[];
  readonly #pending = new Map<
    number,
    { resolve: (results: OpenResult[]) => void; reject: (error: Error) => void }
  >();
  #nextBatch = 0;
  #closed = false;

  constructor(keys: readonly SealingKey[], size = availableParallelism()) {
    this.size = Math.max(1, size);
    const workerKeys: WorkerKey[] = keys.map((key) => ({
      privateKey: key.privateKey,
      fingerprint: key.fingerprint,
      createdAt: key.createdAt?.getTime(),
      source: key.source,
    }));
    this.#workers = Array.from({ length: this.size }, () => this.#startWorker(workerKeys));
  }

  #startWorker(keys: WorkerKey[]): Worker {
    const worker = new Worker(WORKER_URL, { workerData: { keys } });
    worker.on('message', (reply: WorkerReply) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      pending?.resolve(reply.results);
    });
    worker.on('error', (error: Error) => this.#failAll(error));
    worker.on('exit', (code) => {
      if (!this.#closed && code !== 0) this.#failAll(new Error(`unseal worker exited with code ${code}`));
    });
    return worker;
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  /**
   * Hands the requests out in small batches, a new one to each worker as it finishes one (two in flight per
   * worker, so none waits for a message), so a slower core never holds up the end of the run. Results come back
   * in request order.
   */
  async open(requests: readonly OpenRequest[]): Promise<OpenResult[]> {
    if (this.#closed) throw new Error('unseal pool is closed');
    const batchSize = Math.max(1, Math.min(MAX_BATCH, Math.ceil(requests.length / (this.size * 8))));
    const results: OpenResult[] = new Array<OpenResult>(requests.length);
    let next = 0;
    const feed = async (worker: Worker): Promise<void> => {
      while (next < requests.length) {
        const start = next;
        next += batchSize;
        const answers = await this.#send(worker, requests.slice(start, start + batchSize));
        answers.forEach((answer, offset) => (results[start + offset] = answer));
      }
    };
    await Promise.all(this.#workers.flatMap((worker) => [feed(worker), feed(worker)]));
    return results;
  }

  #send(worker: Worker, requests: readonly OpenRequest[]): Promise<OpenResult[]> {
    const id = this.#nextBatch++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const own = requests.map((request) => ({
        ...request,
        data: ownBytes(request.data),
        label: ownBytes(request.label),
      }));
      const batch: WorkerBatch = { id, requests: own };
      worker.postMessage(
        batch,
        own.flatMap((request) => [request.data.buffer, request.label.buffer] as ArrayBuffer[]),
      );
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
