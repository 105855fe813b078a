/** Worker thread body for UnsealPool: opens batches of sealed values with the keys it was started with. */
import { parentPort, workerData } from 'node:worker_threads';
import { Keyring } from './keyring.ts';
import { openInThread } from './unseal.ts';
import { ownBytes, type WorkerBatch, type WorkerKey, type WorkerReply } from './unseal-pool.ts';

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
  const results = batch.requests.map((request) => {
    const result = openInThread(keyring, request);
    return result.ok ? { ...result, plaintext: ownBytes(result.plaintext) } : result;
  });
  const reply: WorkerReply = { id: batch.id, results };
  parentPort?.postMessage(
    reply,
    results.flatMap((result) => (result.ok ? [result.plaintext.buffer as ArrayBuffer] : [])),
  );
});
