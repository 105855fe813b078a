/** Worker thread body for DecryptThreads: decrypts for the number of milliseconds asked, answers the rate. */
import { parentPort, workerData } from 'node:worker_threads';
import { singleThreadRate, type DecryptJob } from './rsa-rate.ts';

const job = workerData as DecryptJob;

parentPort?.on('message', (durationMs: number) => {
  parentPort?.postMessage(singleThreadRate(job, durationMs));
});
