import type { Member } from '../api/types';

/** Serf's numeric status, for members listed without `statusText` (like the leader). */
const STATUS_NAMES = ['none', 'alive', 'leaving', 'left', 'failed'];

export function memberStatus(member: Member): string {
  return member.statusText ?? STATUS_NAMES[member.Status] ?? 'unknown';
}

/** Servers carry the tag `server=true`; every other member is an agent. */
export function isServer(member: Member): boolean {
  return member.Tags?.server === 'true';
}

export interface MemberCounts {
  servers: number;
  serversAlive: number;
  agents: number;
  agentsAlive: number;
}

export function countMembers(members: Member[]): MemberCounts {
  const counts: MemberCounts = { servers: 0, serversAlive: 0, agents: 0, agentsAlive: 0 };
  for (const member of members) {
    const alive = memberStatus(member) === 'alive';
    if (isServer(member)) {
      counts.servers++;
      if (alive) counts.serversAlive++;
    } else {
      counts.agents++;
      if (alive) counts.agentsAlive++;
    }
  }
  return counts;
}
