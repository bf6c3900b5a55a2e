import { Link, Table, Text } from "@chakra-ui/react";
import { Link as RouterLink, useNavigate } from "react-router";

import type { HITLDetail } from "../../api/client";
import { Assignees } from "../../components/Assignees";
import { StatusBadge } from "../../components/StatusBadge";
import { Deadline, TimeText } from "../../components/TimeText";
import { requestPath } from "../../utils/links";

/** The requests of one inbox page; a row (or its subject link) opens the request. */
export const RequestTable = ({ details }: { details: HITLDetail[] }) => {
  const navigate = useNavigate();
  return (
    <Table.ScrollArea borderWidth="1px" borderRadius="md">
      <Table.Root aria-label="Requests" interactive size="sm">
        <Table.Header>
          <Table.Row>
            <Table.ColumnHeader scope="col">Subject</Table.ColumnHeader>
            <Table.ColumnHeader scope="col">DAG / run / task</Table.ColumnHeader>
            <Table.ColumnHeader scope="col">Assigned to</Table.ColumnHeader>
            <Table.ColumnHeader scope="col">Created</Table.ColumnHeader>
            <Table.ColumnHeader scope="col">Deadline</Table.ColumnHeader>
            <Table.ColumnHeader scope="col">Status</Table.ColumnHeader>
          </Table.Row>
        </Table.Header>
        <Table.Body>
          {details.map((detail) => {
            const ti = detail.task_instance;
            const path = requestPath(ti);
            return (
              <Table.Row
                cursor="pointer"
                data-testid="request-row"
                key={`${ti.id}:${ti.try_number}`}
                onClick={(event) => {
                  if ((event.target as HTMLElement).closest("a") === null) void navigate(path);
                }}
              >
                <Table.Cell>
                  <Link asChild color="brand.fg" fontWeight="medium">
                    <RouterLink to={path}>{detail.subject}</RouterLink>
                  </Link>
                </Table.Cell>
                <Table.Cell>
                  <Text fontSize="sm">{ti.dag_id}</Text>
                  <Text color="fg.muted" fontSize="xs">
                    {ti.dag_run_id} / {ti.task_id}
                    {ti.map_index >= 0 ? ` [${ti.map_index}]` : ""}
                  </Text>
                </Table.Cell>
                <Table.Cell>
                  <Assignees groups={detail.assigned_groups} users={detail.assigned_users} />
                </Table.Cell>
                <Table.Cell whiteSpace="nowrap">
                  <TimeText iso={detail.created_at} />
                </Table.Cell>
                <Table.Cell whiteSpace="nowrap">
                  <Deadline deadline={detail.deadline} status={detail.status} />
                </Table.Cell>
                <Table.Cell>
                  <StatusBadge status={detail.status} />
                </Table.Cell>
              </Table.Row>
            );
          })}
        </Table.Body>
      </Table.Root>
    </Table.ScrollArea>
  );
};
