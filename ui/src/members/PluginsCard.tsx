import { Alert, Chip, LinearProgress, Table, TableBody, TableCell, TableHead, TableRow, Tooltip, Typography } from '@mui/material';
import type { PluginInfo } from '../api/types';
import { usePlugins } from '../api/queries';
import { SectionCard } from '../components/SectionCard';
import { EmptyState } from '../components/EmptyState';

const STATE_COLORS: Record<PluginInfo['state'], 'success' | 'warning' | 'error' | 'default'> = {
  running: 'success',
  starting: 'default',
  failed: 'error',
  exited: 'warning',
  stopped: 'default',
};

function PluginRow({ plugin }: { plugin: PluginInfo }) {
  return (
    <TableRow data-testid="plugin-row">
      <TableCell>
        <Typography variant="body2" sx={{ fontWeight: 500 }}>{plugin.name}</Typography>
      </TableCell>
      <TableCell>{plugin.kind}</TableCell>
      <TableCell>
        <Chip size="small" label={plugin.state} color={STATE_COLORS[plugin.state] ?? 'default'} />
      </TableCell>
      <TableCell>{plugin.restarts}</TableCell>
      <TableCell sx={{ fontFamily: 'monospace', fontSize: '0.8rem' }}>
        <Tooltip title={plugin.path}>
          <span>{plugin.path.split('/').pop()}</span>
        </Tooltip>
      </TableCell>
      <TableCell sx={{ maxWidth: 480 }}>
        {plugin.last_error && (
          <Typography variant="body2" color="text.secondary" data-testid="plugin-error">{plugin.last_error}</Typography>
        )}
      </TableCell>
    </TableRow>
  );
}

/** The Dkron plugin binaries of the server the UI talks to, and where each stands. */
export function PluginsCard() {
  const plugins = usePlugins();
  return (
    <SectionCard title="Plugins on this server" testId="plugins-card">
      {plugins.isPending ? (
        <LinearProgress />
      ) : plugins.error ? (
        <Alert severity="error">Could not load plugins: {(plugins.error as Error).message}</Alert>
      ) : (plugins.data ?? []).length === 0 ? (
        <EmptyState message="No dkron-executor-* or dkron-processor-* binary was found at start (docs/plugins.md)." />
      ) : (
        <Table size="small">
          <TableHead>
            <TableRow>
              <TableCell>Name</TableCell>
              <TableCell>Kind</TableCell>
              <TableCell>State</TableCell>
              <TableCell>Restarts</TableCell>
              <TableCell>Binary</TableCell>
              <TableCell>Last error</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {(plugins.data ?? []).map((plugin) => (
              <PluginRow key={`${plugin.kind}:${plugin.name}`} plugin={plugin} />
            ))}
          </TableBody>
        </Table>
      )}
    </SectionCard>
  );
}
