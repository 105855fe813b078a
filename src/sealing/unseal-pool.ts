/**
 * A pool of worker threads that open sealed values, so that RSA private-key operations (1.5 to 5 ms each for
 * RSA-4096) use every core and never block the event loop. Each worker receives the keys once, at start.
 *
 * Every caller's values join one queue, and workers take them in batches: a controller unsealing 32
 * SealedSecrets of 5 values at once sends a few messages of 16 values rather than 160 messages of one, and
 * the cost of a message (a structured clone each way and a wake-up of the thread) stays small beside the RSA
 * work. Workers start on first use and stop after a while without work, so an idle operator holds no threads.
 */
import module from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SealingKey } from './keys.ts';
import type { OpenRequest, OpenResult, ValueOpener } from './unseal.ts';
// Loaded here too (it does nothing in the main thread), so that its compiled code is in the compile cache.
import './unseal-worker.ts';

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

export interface UnsealPoolOptions {
  /** Worker threads (default: the machine's parallelism). */
  size?: number;
  /** Workers stop after this long without work and start again when work comes (default 30 s; 0: never). */
  idleTimeoutMs?: number;
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

/** About 25–80 ms of RSA-4096 work: long enough that messaging is noise, short enough to balance the cores. */
const MAX_BATCH = 16;
/** Batches in flight per worker, so that none waits for a message between two. */
const IN_FLIGHT_PER_WORKER = 2;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** One caller's `open`: its results fill in as batches return, in request order. */
interface Call {
  results: OpenResult[];
  remaining: number;
  resolve: (results: OpenResult[]) => void;
  reject: (error: Error) => void;
  failed: boolean;
}

interface QueuedValue {
  call: Call;
  index: number;
  request: OpenRequest;
}

interface PoolWorker {
  thread: Worker;
  inFlight: Map<number, QueuedValue[]>;
}

export class UnsealPool implements ValueOpener, AsyncDisposable {
  readonly size: number;
  readonly #keys: WorkerKey[];
  readonly #idleTimeoutMs: number;
  #workers: PoolWorker[] = [];
  readonly #queue: QueuedValue[] = [];
  #queueHead = 0;
  #nextBatch = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #starts = 0;

  constructor(keys: readonly SealingKey[], sizeOrOptions: number | UnsealPoolOptions = {}) {
    const options = typeof sizeOrOptions === 'number' ? { size: sizeOrOptions } : sizeOrOptions;
    this.size = Math.max(1, options.size ?? availableParallelism());
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#keys = keys.map((key) => ({
      privateKey: key.privateKey,
      fingerprint: key.fingerprint,
      createdAt: key.createdAt?.getTime(),
      source: key.source,
    }));
  }

  /** Worker threads running now (0 before the first work and after an idle stop). */
  get running(): number {
    return this.#workers.length;
  }

  /** How many times workers were started (each start of a thread counts once). */
  get workerStarts(): number {
    return this.#starts;
  }

  /** Messages (batches of values) sent to workers so far. */
  get batches(): number {
    return this.#nextBatch;
  }

  /** Opens the values on the workers; results come back in request order. */
  open(requests: readonly OpenRequest[]): Promise<OpenResult[]> {
    if (this.#closed) return Promise.reject(new Error('unseal pool is closed'));
    if (requests.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const call: Call = {
        results: new Array<OpenResult>(requests.length),
        remaining: requests.length,
        resolve,
        reject,
        failed: false,
      };
      requests.forEach((request, index) => this.#queue.push({ call, index, request }));
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearIdleTimer();
    const workers = this.#workers;
    this.#workers = [];
    const closed = new Error('unseal pool is closed');
    this.#failQueued(closed);
    for (const worker of workers)
      for (const values of worker.inFlight.values()) for (const { call } of values) this.#fail(call, closed);
    await Promise.all(workers.map((worker) => worker.thread.terminate()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  get #queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  #dispatch(): void {
    if (this.#queued === 0) return;
    this.#clearIdleTimer();
    while (this.#workers.length < this.size) this.#workers.push(this.#startWorker());
    // Spread what is queued over every free slot, up to MAX_BATCH a message: a short queue still keeps every
    // core busy, a long one goes out in full batches.
    for (let round = 0; round < IN_FLIGHT_PER_WORKER && this.#queued > 0; round++) {
      for (const worker of this.#workers) {
        if (worker.inFlight.size > round || this.#queued === 0) continue;
        const free = this.#workers.reduce(
          (slots, each) => slots + Math.max(0, IN_FLIGHT_PER_WORKER - each.inFlight.size),
          0,
        );
        const size = Math.max(1, Math.min(MAX_BATCH, Math.ceil(this.#queued / Math.max(1, free))));
        this.#send(worker, this.#take(size));
      }
    }
  }

  #take(count: number): QueuedValue[] {
    const taken = this.#queue.slice(this.#queueHead, this.#queueHead + count);
    this.#queueHead += taken.length;
    if (this.#queueHead === this.#queue.length) {
      this.#queue.length = 0;
      this.#queueHead = 0;
    } else if (this.#queueHead > 4096 && this.#queueHead * 2 > this.#queue.length) {
      // A queue that never drains (steady load) must not keep every value it ever held.
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
    return taken;
  }

  #send(worker: PoolWorker, values: QueuedValue[]): void {
    const id = this.#nextBatch++;
    worker.inFlight.set(id, values);
    const requests = values.map(({ request }) => ({
      ...request,
      data: ownBytes(request.data),
      label: ownBytes(request.label),
    }));
    const batch: WorkerBatch = { id, requests };
    worker.thread.postMessage(
      batch,
      requests.flatMap((request) => [request.data.buffer, request.label.buffer] as ArrayBuffer[]),
    );
  }

  #startWorker(): PoolWorker {
    this.#starts++;
    const worker: PoolWorker = {
      thread: new Worker(WORKER_URL, { workerData: { keys: this.#keys }, env: workerEnv() }),
      inFlight: new Map(),
    };
    worker.thread.on('message', (reply: WorkerReply) => this.#settle(worker, reply));
    worker.thread.on('error', (error: Error) => this.#lose(worker, error));
    // Workers the pool stops are out of the list first; any other exit is a loss.
    worker.thread.on('exit', (code) =>
      this.#lose(worker, new Error(`unseal worker exited with code ${code}`)),
    );
    return worker;
  }

  #settle(worker: PoolWorker, reply: WorkerReply): void {
    const values = worker.inFlight.get(reply.id);
    worker.inFlight.delete(reply.id);
    values?.forEach(({ call, index }, offset) => {
      if (call.failed) return;
      call.results[index] = reply.results[offset] as OpenResult;
      if (--call.remaining === 0) call.resolve(call.results);
    });
    this.#dispatch();
    this.#armIdleTimer();
  }

  /** A worker died: the callers of what it held fail, and a fresh worker takes over what is queued. */
  #lose(worker: PoolWorker, error: Error): void {
    if (!this.#workers.includes(worker)) return;
    this.#workers = this.#workers.filter((each) => each !== worker);
    for (const values of worker.inFlight.values()) for (const { call } of values) this.#fail(call, error);
    worker.inFlight.clear();
    void worker.thread.terminate();
    if (!this.#closed) this.#dispatch();
    this.#armIdleTimer();
  }

  #fail(call: Call, error: Error): void {
    if (call.failed) return;
    call.failed = true;
    call.reject(error);
  }

  #failQueued(error: Error): void {
    for (const { call } of this.#take(this.#queued)) this.#fail(call, error);
  }

  #armIdleTimer(): void {
    if (this.#closed || this.#idleTimeoutMs <= 0 || this.#idleTimer || this.#workers.length === 0) return;
    if (this.#queued > 0 || this.#workers.some((worker) => worker.inFlight.size > 0)) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      const workers = this.#workers;
      this.#workers = [];
      for (const worker of workers) void worker.thread.terminate();
    }, this.#idleTimeoutMs);
    // An idle pool never keeps a process alive (a CLI run ends when its work does).
    this.#idleTimer.unref();
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }
}

/**
 * The environment of a worker thread: this process's, naming the compile cache the main thread uses (bin/cloak
 * enables it in code, which worker threads do not inherit; they read only NODE_COMPILE_CACHE). Without it each
 * worker strips the TypeScript of its modules itself: about 9 MB and tens of milliseconds per start.
 */
export function workerEnv(): NodeJS.ProcessEnv {
  const cacheDir = module.getCompileCacheDir();
  // What the main thread compiled is written at exit unless flushed: a first run's workers would strip it again.
  if (cacheDir !== undefined) module.flushCompileCache();
  if (cacheDir === undefined || process.env['NODE_COMPILE_CACHE'] !== undefined) return process.env;
  // The directory Node names is the versioned one inside the cache.
  return { ...process.env, NODE_COMPILE_CACHE: dirname(cacheDir) };
}
