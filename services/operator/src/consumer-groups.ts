import type { Kafka } from 'kafkajs';
import { withAdmin } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';

/**
 * Deletes a consumer group once no member is left in it; false while members remain (a Job's pod
 * still stopping, a killed one's session not yet expired): the caller looks again later instead of
 * blocking its worker.
 */
export async function deleteGroupWhenEmpty(kafka: Kafka, groupId: string, logger: Logger): Promise<boolean> {
  return withAdmin(
    kafka,
    `deleting group ${groupId}`,
    async (admin) => {
      if (!(await admin.listGroups()).groups.some((g) => g.groupId === groupId)) return true;
      const [group] = (await admin.describeGroups([groupId])).groups;
      if (group && group.members.length > 0) return false;
      await admin.deleteGroups([groupId]);
      return true;
    },
    { logger, deadlineMs: 30_000 },
  );
}
