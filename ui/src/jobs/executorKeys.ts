/**
 * The `executor_config` keys of Dkron's messaging and RPC executors, as the job form shows
 * them. Keys may hold dots (`queue.name`), so the form edits them inside the config map
 * rather than as nested form fields. docs/executors.md is the reference for each key.
 */

/** How a key is edited: free text, several lines, a switch, or one of a few words. */
export type KeyKind = 'text' | 'multiline' | 'flag' | 'debug' | 'choice';

export interface ConfigKey {
  key: string;
  label: string;
  helper?: string;
  kind?: KeyKind;
  /** The server hides this value (shown as `<redacted>`); the form says "secret, set". */
  secret?: boolean;
  choices?: string[];
  /** Laid out on one line with the neighbouring short keys. */
  short?: boolean;
}

export const EXECUTOR_KEYS: Record<string, ConfigKey[]> = {
  nats: [
    { key: 'url', label: 'Server URLs', helper: 'Comma-separated, e.g. nats://127.0.0.1:4222 or tls://nats.example.com:4443', secret: true },
    { key: 'subject', label: 'Subject' },
    { key: 'message', label: 'Message', kind: 'multiline' },
    { key: 'userName', label: 'User name', short: true },
    { key: 'password', label: 'Password', secret: true, short: true },
    { key: 'debug', label: 'Debug: log the configuration (secrets hidden) and the request', kind: 'debug' },
  ],
  rabbitmq: [
    { key: 'url', label: 'Broker URL', helper: 'amqp://user:password@host:5672/vhost (the password is kept secret)', secret: true },
    { key: 'queue.name', label: 'Queue', helper: 'Also the routing key', short: true },
    { key: 'exchange', label: 'Exchange', helper: 'Empty: the default exchange', short: true },
    { key: 'queue.create', label: 'Declare the queue', kind: 'flag' },
    { key: 'queue.durable', label: 'Durable queue', kind: 'flag' },
    { key: 'queue.auto_delete', label: 'Auto-delete queue', kind: 'flag' },
    { key: 'queue.exclusive', label: 'Exclusive queue', kind: 'flag' },
    { key: 'message.body', label: 'Body', kind: 'multiline', helper: 'Or a base64 body below, not both' },
    { key: 'message.base64Body', label: 'Body (base64)' },
    { key: 'message.content_type', label: 'Content type', helper: 'default text/plain', short: true },
    { key: 'message.delivery_mode', label: 'Delivery mode', helper: '1 transient, 2 persistent', short: true },
    { key: 'message.messageId', label: 'Message id', short: true },
  ],
  kafka: [
    { key: 'brokerAddress', label: 'Brokers', helper: 'Comma-separated host:port' },
    { key: 'topic', label: 'Topic', short: true },
    { key: 'key', label: 'Key', short: true },
    { key: 'message', label: 'Message', kind: 'multiline' },
    { key: 'tlsEnable', label: 'TLS', kind: 'flag' },
    { key: 'tlsInsecureSkipVerify', label: 'Accept any TLS certificate (insecure)', kind: 'flag' },
    { key: 'saslUsername', label: 'SASL user name', secret: true, short: true },
    { key: 'saslPassword', label: 'SASL password', secret: true, short: true },
    { key: 'saslMechanism', label: 'SASL SCRAM mechanism', kind: 'choice', choices: ['sha256', 'sha512'], short: true },
    { key: 'debug', label: 'Debug: log the configuration (secrets hidden)', kind: 'debug' },
  ],
  grpc: [
    { key: 'url', label: 'Method', helper: 'host:port/package.Service/Method; the server must offer reflection' },
    { key: 'body', label: 'Request (JSON)', kind: 'multiline' },
    { key: 'headers', label: 'Metadata', helper: 'A JSON array of "name: value" strings; credential headers are kept secret', secret: true },
    { key: 'timeout', label: 'Timeout (seconds)', helper: 'default 30', short: true },
    { key: 'expectCode', label: 'Expected status code', helper: 'default 0 (OK)', short: true },
  ],
  gcppubsub: [
    { key: 'project', label: 'Project', short: true },
    { key: 'topic', label: 'Topic', short: true },
    { key: 'data', label: 'Data (base64)', kind: 'multiline' },
    { key: 'attributes', label: 'Attributes (JSON object)', helper: 'e.g. {"origin":"dkron"}; data or attributes, or both' },
  ],
};

/** True for Go's ParseBool true spellings, as the executors read them. */
export function isTrue(value: string | undefined): boolean {
  return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value ?? '');
}

/**
 * The config map with `key` set to `value`; an empty value removes the key, so a cleared
 * field is "not set" rather than an empty string.
 */
export function withKey(config: Record<string, string> | undefined, key: string, value: string): Record<string, string> {
  const next = { ...(config ?? {}) };
  if (value === '') delete next[key];
  else next[key] = value;
  return next;
}
