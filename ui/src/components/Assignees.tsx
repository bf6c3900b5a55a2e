import { Badge, Flex, Text } from "@chakra-ui/react";

import type { HITLUser } from "../api/client";

/** Assigned users and groups; nobody assigned means anyone who may edit the DAG's tasks. */
export const Assignees = ({ groups, users }: { users: HITLUser[]; groups: string[] }) => {
  if (users.length === 0 && groups.length === 0) {
    return (
      <Text as="span" color="fg.muted">
        anyone allowed
      </Text>
    );
  }
  return (
    <Flex as="span" display="inline-flex" gap={1} wrap="wrap">
      {users.map((user) => (
        <Badge key={`user:${user.id}`} title={`user ${user.id}`} variant="outline">
          {user.name || user.id}
        </Badge>
      ))}
      {groups.map((group) => (
        <Badge colorPalette="blue" key={`group:${group}`} title={`group ${group}`} variant="subtle">
          group: {group}
        </Badge>
      ))}
    </Flex>
  );
};
