import { describe, expect, it } from 'vitest';
import type { PluginInfo } from '../api/types';
import { executorChoices } from './executors';

const builtIn = [
  { id: 'shell', name: 'shell: run a command' },
  { id: 'kafka', name: 'kafka: produce a record' },
];

function plugin(name: string, kind: PluginInfo['kind'], state: PluginInfo['state']): PluginInfo {
  return { name, kind, state, path: `/etc/dkron/plugins/dkron-${kind}-${name}`, restarts: 0 };
}

describe('executorChoices', () => {
  it('adds executor plugins after the built-in executors, with their state when not running', () => {
    const choices = executorChoices(builtIn, [
      plugin('zeta', 'executor', 'running'),
      plugin('alpha', 'executor', 'failed'),
      plugin('upper', 'processor', 'running'),
    ]);
    expect(choices).toEqual([
      ...builtIn,
      { id: 'alpha', name: 'alpha: plugin (failed)' },
      { id: 'zeta', name: 'zeta: plugin' },
    ]);
  });

  it('shows a plugin that replaces a built-in executor in its place', () => {
    const choices = executorChoices(builtIn, [plugin('kafka', 'executor', 'running')]);
    expect(choices).toEqual([builtIn[0], { id: 'kafka', name: 'kafka: plugin' }]);
  });

  it("keeps a job's executor that this server does not have", () => {
    expect(executorChoices(builtIn, [], 'docker')).toEqual([...builtIn, { id: 'docker', name: 'docker: not on this server' }]);
    expect(executorChoices(builtIn, [], 'shell')).toEqual(builtIn);
    expect(executorChoices(builtIn, [plugin('mine', 'executor', 'running')], 'mine')).toHaveLength(3);
  });
});
