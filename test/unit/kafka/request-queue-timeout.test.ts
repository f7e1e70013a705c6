/**
 * patches/kafkajs+2.2.4.patch: kafkajs's request queue rescheduled its check of pending requests
 * after every check, even with nothing pending, `throttledUntil - Date.now()` ms ahead: a large
 * negative delay that Node runs after 1 ms. Every broker connection ran a 1 ms timer loop for as
 * long as it was open, and Node >= 23 prints a TimeoutNegativeWarning for it on every worker's
 * stderr. Patched: a check is scheduled only while something is pending.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);
interface SocketRequestLike {
  correlationId: number;
  expectResponse: boolean;
  send(): void;
}
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (options: object) => {
  pending: SocketRequestLike[];
  throttledUntil: number;
  throttleCheckTimeoutId: unknown;
  checkPendingRequests(): void;
  destroy(): void;
};
const newQueue = () =>
  new RequestQueue({
    maxInFlightRequests: null,
    requestTimeout: 30000,
    enforceRequestTimeout: true,
    clientId: 'test',
    broker: 'b:9092',
    logger: { debug: () => undefined, warn: () => undefined },
  });

describe('kafkajs request queue (patched)', () => {
  it('schedules nothing when nothing is pending: no timer loop, no negative timeout', async (t) => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const queue = newQueue();
    t.after(() => {
      queue.destroy();
      process.off('warning', onWarning);
    });
    let checks = 0;
    const check = queue.checkPendingRequests.bind(queue);
    queue.checkPendingRequests = () => {
      checks++;
      check();
    };
    queue.checkPendingRequests(); // what every response does
    assert.equal(queue.throttleCheckTimeoutId, null, 'no check scheduled');
    await sleep(100);
    assert.equal(checks, 1, 'the queue did not check itself again');
    assert.deepEqual(
      warnings.filter((w) => w.name === 'TimeoutNegativeWarning').map((w) => w.message),
      [],
    );
  });

  it('sends a request held back by client-side throttling once the throttle ends', async (t) => {
    const queue = newQueue();
    t.after(() => queue.destroy());
    let sent = 0;
    queue.throttledUntil = Date.now() + 50;
    queue.pending.push({ correlationId: 1, expectResponse: true, send: () => sent++ });
    queue.checkPendingRequests();
    assert.equal(sent, 0, 'held while throttled');
    assert.notEqual(queue.throttleCheckTimeoutId, null, 'a check is scheduled for the end of the throttle');
    for (let i = 0; i < 500 && sent === 0; i++) await sleep(10);
    assert.equal(sent, 1, 'sent once');
    assert.deepEqual(queue.pending, []);
  });
});
