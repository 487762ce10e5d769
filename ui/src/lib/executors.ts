import type { PluginInfo } from '../api/types';

export interface Choice {
  id: string;
  name: string;
}

/**
 * The executor picker's choices: the built-in executors, then this server's executor
 * plugins (a plugin never replaces `shell` or `http`, which the server does not list), then
 * the job's current executor when it is neither, so an existing job never shows an empty
 * picker.
 */
export function executorChoices(builtIn: Choice[], plugins: PluginInfo[], current?: string): Choice[] {
  const choices = [...builtIn];
  const known = new Set(builtIn.map((choice) => choice.id));
  const executors = plugins
    .filter((plugin) => plugin.kind === 'executor')
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const plugin of executors) {
    const state = plugin.state === 'running' ? '' : ` (${plugin.state})`;
    const label = `${plugin.name}: plugin${state}`;
    const builtInIndex = choices.findIndex((choice) => choice.id === plugin.name);
    if (builtInIndex >= 0) {
      // A plugin of a built-in's name replaces it on the server.
      choices[builtInIndex] = { id: plugin.name, name: label };
    } else {
      choices.push({ id: plugin.name, name: label });
    }
    known.add(plugin.name);
  }
  if (current && !known.has(current)) {
    choices.push({ id: current, name: `${current}: not on this server` });
  }
  return choices;
}
