import { describe, expect, test } from 'vitest';
import { EXECUTOR_KEYS, isTrue, withKey } from './executorKeys';

describe('executor keys', () => {
  test('every messaging executor lists its required keys', () => {
    const keys = (executor: string) => EXECUTOR_KEYS[executor].map((entry) => entry.key);
    expect(keys('nats')).toEqual(expect.arrayContaining(['url', 'subject']));
    expect(keys('rabbitmq')).toEqual(expect.arrayContaining(['url', 'queue.name']));
    expect(keys('kafka')).toEqual(expect.arrayContaining(['brokerAddress', 'topic']));
    expect(keys('grpc')).toEqual(expect.arrayContaining(['url']));
    expect(keys('gcppubsub')).toEqual(expect.arrayContaining(['project', 'topic']));
  });

  test('credentials are marked secret', () => {
    const secret = (executor: string, key: string) =>
      EXECUTOR_KEYS[executor].find((entry) => entry.key === key)?.secret;
    expect(secret('nats', 'password')).toBe(true);
    expect(secret('kafka', 'saslPassword')).toBe(true);
    expect(secret('kafka', 'saslUsername')).toBe(true);
    expect(secret('rabbitmq', 'url')).toBe(true);
    expect(secret('kafka', 'topic')).toBeFalsy();
  });

  test('a dotted key is set inside the map, and clearing it removes it', () => {
    const set = withKey({ url: 'amqp://h/' }, 'queue.name', 'jobs');
    expect(set).toEqual({ url: 'amqp://h/', 'queue.name': 'jobs' });
    expect(withKey(set, 'queue.name', '')).toEqual({ url: 'amqp://h/' });
    expect(withKey(undefined, 'topic', 't')).toEqual({ topic: 't' });
  });

  test('flags read Go spellings', () => {
    expect(isTrue('true')).toBe(true);
    expect(isTrue('1')).toBe(true);
    expect(isTrue('false')).toBe(false);
    expect(isTrue(undefined)).toBe(false);
  });
});
