import { BooleanInput, SelectInput, TextInput } from 'react-admin';
import { useWatch } from 'react-hook-form';
import { Box, Typography } from '@mui/material';
import { KeyValueInput } from '../components/KeyValueInput';
import { SecretHelper } from '../components/SecretHint';
import { ConfigKeyFields } from './ConfigKeyFields';
import { EXECUTOR_KEYS } from './executorKeys';
import { usePlugins } from '../api/queries';
import type { PluginInfo } from '../api/types';
import { executorChoices } from '../lib/executors';

/** The executors Dkron ships, all built into dkron-rs (docs/executors.md). */
export const EXECUTOR_CHOICES = [
  { id: 'shell', name: 'shell: run a command' },
  { id: 'http', name: 'http: send a request' },
  { id: 'nats', name: 'nats: publish a message' },
  { id: 'rabbitmq', name: 'rabbitmq: publish to a queue' },
  { id: 'kafka', name: 'kafka: produce a record' },
  { id: 'grpc', name: 'grpc: call a method' },
  { id: 'gcppubsub', name: 'gcppubsub: publish to Pub/Sub' },
];

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((method) => ({
  id: method,
  name: method,
}));

/** executor_config values are all strings; a switch stores "true"/"false" there. */
const flagFormat = (value: unknown) => ['1', 't', 'true'].includes(String(value ?? '').toLowerCase());
const flagParse = (checked: boolean) => (checked ? 'true' : 'false');

const wide = { sx: { width: '100%' } };

function ShellFields() {
  return (
    <>
      <TextInput
        source="executor_config.command"
        label="Command"
        multiline
        minRows={2}
        helperText="The command line to run, e.g. /usr/local/bin/backup.sh --full"
        {...wide}
      />
      <BooleanInput
        source="executor_config.shell"
        label="Run through /bin/sh (pipes, &&, ;, $VARS work)"
        format={flagFormat}
        parse={flagParse}
      />
      <TextInput
        source="executor_config.env"
        label="Environment"
        helperText={<SecretHelper source="executor_config.env" fallback="KEY=VALUE pairs, comma separated; the values are kept secret" />}
        {...wide}
      />
      <TextInput source="executor_config.cwd" label="Working directory" {...wide} />
      <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap' }}>
        <TextInput source="executor_config.timeout" label="Timeout" helperText="Go duration: 90s, 30m, 1h; empty or 0: none" />
        <TextInput source="executor_config.mem_limit" label="Memory limit" helperText="bytes or 512MB, 1.5GB" />
        <TextInput source="executor_config.su" label="Run as user" helperText="user, user:group or uid" />
      </Box>
      <TextInput source="executor_config.payload" label="Standard input (base64)" {...wide} />
    </>
  );
}

function HttpFields() {
  return (
    <>
      <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap' }}>
        <SelectInput source="executor_config.method" label="Method" choices={HTTP_METHODS} sx={{ minWidth: 120 }} />
        <TextInput
          source="executor_config.url"
          label="URL"
          helperText={<SecretHelper source="executor_config.url" />}
          sx={{ flex: 1, minWidth: 240 }}
        />
      </Box>
      <TextInput
        source="executor_config.headers"
        label="Headers"
        helperText={
          <SecretHelper
            source="executor_config.headers"
            fallback='A JSON array of "Name: value" strings, e.g. ["Content-Type: application/json"]; credential headers are kept secret'
          />
        }
        {...wide}
      />
      <TextInput source="executor_config.body" label="Body" multiline minRows={2} {...wide} />
      <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap' }}>
        <TextInput source="executor_config.timeout" label="Timeout (seconds)" helperText="default 30; 0: none" />
        <TextInput source="executor_config.expectCode" label="Expected status codes" helperText="e.g. 200,202; empty: any" />
        <TextInput source="executor_config.expectBody" label="Expected body (regex)" />
      </Box>
      <BooleanInput source="executor_config.debug" label="Debug: print the config at the top of the output" format={flagFormat} parse={(checked: boolean) => (checked ? 'true' : '')} />
      <BooleanInput source="executor_config.tlsNoVerifyPeer" label="Accept any TLS certificate (insecure)" format={flagFormat} parse={flagParse} />
      <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap' }}>
        <TextInput source="executor_config.tlsCertificateFile" label="Client certificate file" />
        <TextInput source="executor_config.tlsCertificateKeyFile" label="Client key file" />
        <TextInput source="executor_config.tlsRootCAsFile" label="CA bundle file" />
      </Box>
    </>
  );
}

/** True when `name` is served by an executor plugin (its keys are the plugin's own). */
function isPlugin(plugins: PluginInfo[] | undefined, name: string): boolean {
  return (plugins ?? []).some((plugin) => plugin.kind === 'executor' && plugin.name === name);
}

/** The executor picker and the fields of the chosen executor. */
export function ExecutorFields() {
  const executor = useWatch({ name: 'executor' });
  const plugins = usePlugins();
  const choices = executorChoices(EXECUTOR_CHOICES, plugins.data ?? [], executor);
  return (
    <>
      <SelectInput source="executor" label="Executor" choices={choices} sx={{ minWidth: 240 }} emptyText="none" />
      {executor === 'shell' && <ShellFields />}
      {executor === 'http' && <HttpFields />}
      {executor && EXECUTOR_KEYS[executor] && !isPlugin(plugins.data, executor) && <ConfigKeyFields keys={EXECUTOR_KEYS[executor]} />}
      {executor && executor !== 'shell' && executor !== 'http' && (!EXECUTOR_KEYS[executor] || isPlugin(plugins.data, executor)) && (
        <>
          <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
            This executor is not built in (a plugin); set its configuration keys below (all values are text).
          </Typography>
          <KeyValueInput source="executor_config" label="Executor config" />
        </>
      )}
    </>
  );
}
