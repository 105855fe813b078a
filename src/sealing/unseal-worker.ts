/**
 * Worker thread body for UnsealPool: opens batches of sealed values with the keys it was started with. The pool
 * also imports it in the main thread, where it does nothing: that puts its compiled code in the compile cache
 * before any worker starts (see unseal-pool.ts `workerEnv`).
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Keyring } from './keyring.ts';
import { openInThread } from './unseal.ts';
import { ownBytes, type WorkerBatch, type WorkerKey, type WorkerReply } from './unseal-pool.ts';

if (!isMainThread && parentPort) serve(parentPort, workerData as { keys: WorkerKey[] });

function serve(port: MessagePort, { keys }: { keys: WorkerKey[] }): void {
  const keyring = new Keyring(
    keys.map((key) => ({
      privateKey: key.privateKey,
      fingerprint: key.fingerprint,
      source: key.source,
      ...(key.createdAt === undefined ? {} : { createdAt: new Date(key.createdAt) }),
    })),
  );
  port.on('message', (batch: WorkerBatch) => {
    const results = batch.requests.map((request) => {
      const result = openInThread(keyring, request);
      return result.ok ? { ...result, plaintext: ownBytes(result.plaintext) } : result;
    });
    const reply: WorkerReply = { id: batch.id, results };
    port.postMessage(
      reply,
      results.flatMap((result) => (result.ok ? [result.plaintext.buffer as ArrayBuffer] : [])),
    );
  });
}
