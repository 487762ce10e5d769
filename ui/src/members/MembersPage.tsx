import { Alert, Box, Chip, LinearProgress, Stack, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import StarIcon from '@mui/icons-material/Star';
import { Title } from 'react-admin';
import type { Member } from '../api/types';
import { useLeader, useMembers, useNodeStatus } from '../api/queries';
import { SectionCard } from '../components/SectionCard';
import { EmptyState } from '../components/EmptyState';
import { isServer, memberStatus } from '../lib/members';
import { PluginsCard } from './PluginsCard';

const STATUS_COLORS: Record<string, 'success' | 'warning' | 'error' | 'default'> = {
  alive: 'success',
  leaving: 'warning',
  left: 'default',
  failed: 'error',
};

function TagChips({ tags }: { tags: Member['Tags'] }) {
  const entries = Object.entries(tags ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return (
    <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 0.5 }}>
      {entries.map(([key, value]) => (
        <Chip key={key} size="small" variant="outlined" label={`${key}=${value}`} />
      ))}
    </Stack>
  );
}

function MemberRow({ member, isLeader, isThisNode }: { member: Member; isLeader: boolean; isThisNode: boolean }) {
  const status = memberStatus(member);
  return (
    <TableRow data-testid="member-row">
      <TableCell>
        <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }}>
          <Typography variant="body2" sx={{ fontWeight: 500 }}>{member.Name}</Typography>
          {isLeader && <Chip size="small" color="primary" icon={<StarIcon />} label="leader" data-testid="leader-chip" />}
          {isThisNode && <Chip size="small" variant="outlined" label="this node" />}
        </Stack>
      </TableCell>
      <TableCell>{isServer(member) ? 'server' : 'agent'}</TableCell>
      <TableCell><Chip size="small" label={status} color={STATUS_COLORS[status] ?? 'default'} /></TableCell>
      <TableCell sx={{ whiteSpace: 'nowrap' }}>{member.Addr}:{member.Port}</TableCell>
      <TableCell><TagChips tags={member.Tags} /></TableCell>
    </TableRow>
  );
}

/** Every node in the gossip view: role, status, address and tags, and which one leads. */
export default function MembersPage() {
  const members = useMembers();
  const leader = useLeader();
  const node = useNodeStatus();
  const leaderName = leader.data?.Name;
  const thisNode = node.data?.agent?.name;
  const sorted = [...(members.data ?? [])].sort(
    (a, b) => Number(isServer(b)) - Number(isServer(a)) || a.Name.localeCompare(b.Name),
  );
  return (
    <Box sx={{ py: 2 }}>
      <Title title="Members" />
      <SectionCard title="Members" testId="members-card">
        {leader.isSuccess && leader.data === null && (
          <Alert severity="warning" sx={{ mb: 2 }}>No leader right now (an election may be under way).</Alert>
        )}
        {members.isPending ? (
          <LinearProgress />
        ) : members.error ? (
          <Alert severity="error">Could not load members: {(members.error as Error).message}</Alert>
        ) : sorted.length === 0 ? (
          <EmptyState message="No members known." />
        ) : (
          <Table size="small">
            <TableHead>
              <TableRow>
                <TableCell>Name</TableCell>
                <TableCell>Role</TableCell>
                <TableCell>Status</TableCell>
                <TableCell>Address</TableCell>
                <TableCell>Tags</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {sorted.map((member) => (
                <MemberRow key={member.Name} member={member} isLeader={member.Name === leaderName} isThisNode={member.Name === thisNode} />
              ))}
            </TableBody>
          </Table>
        )}
      </SectionCard>
      <Box sx={{ mt: 2 }}>
        <PluginsCard />
      </Box>
    </Box>
  );
}
