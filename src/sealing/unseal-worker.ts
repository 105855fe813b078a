/** Worker thread body for UnsealPool: opens batches of sealed values with the keys it was started with. */
import { parentPort, workerData } from 'node:worker_threads';
import { Keyring } from './keyring.ts';
import { openInThread } from './unseal.ts';
import type { WorkerBatch, WorkerKey, WorkerReply } from './unseal-pool.ts';

const { keys } = workerData as { keys: WorkerKey[] };
const keyring = new Keyring(
  keys.map((key) => ({
    privateKey: key.privateKey,
    fingerprint: key.fingerprint,
    source: key.source,
    ...(key.createdAt === undefined ? {} : { createdAt: new Date(key.createdAt) }),
  })),
);

parentPort?.on('message', (batch: WorkerBatch) => {
  const reply: WorkerReply = {
    id: batch.id,
    results: batch.requests.map((request) => openInThread(keyring, request)),
  };
  parentPort?.postMessage(reply);
});
