import { Link, Table, Text } from "@chakra-ui/react";
import { Link as RouterLink, useNavigate } from "react-router";

import type { HITLDetail } from "../../api/client";
import { Assignees } from "../../components/Assignees";
import { StatusBadge } from "../../components/StatusBadge";
import { Deadline, TimeText } from "../../components/TimeText";
import { requestPath } from "../../utils/links";

// Below the md breakpoint (phones) the rows become stacked cards: six columns do not fit.
const stacked = { base: "block", md: "table-cell" } as const;

/** What a cell shows, said in front of its value where there is no column header (phones). */
const CellLabel = ({ children }: { children: string }) => (
  <Text as="span" color="fg.muted" fontSize="xs" hideFrom="md" me={1}>
    {children}
  </Text>
);

/** The requests of one inbox page; a row (or its subject link) opens the request. */
export const RequestTable = ({ details }: { details: HITLDetail[] }) => {
  const navigate = useNavigate();
  return (
    <Table.ScrollArea borderWidth="1px" borderRadius="md">
      <Table.Root aria-label="Requests" display={{ base: "block", md: "table" }} interactive size="sm">
        <Table.Header hideBelow="md">
          <Table.Row>
            <Table.ColumnHeader scope="col">Subject</Table.ColumnHeader>
            <Table.ColumnHeader scope="col">DAG / run / task</Table.ColumnHeader>
            <Table.ColumnHeader scope="col">Assigned to</Table.ColumnHeader>
            <Table.ColumnHeader scope="col">Created</Table.ColumnHeader>
            <Table.ColumnHeader scope="col">Deadline</Table.ColumnHeader>
            <Table.ColumnHeader scope="col">Status</Table.ColumnHeader>
          </Table.Row>
        </Table.Header>
        <Table.Body display={{ base: "block", md: "table-row-group" }}>
          {details.map((detail) => {
            const ti = detail.task_instance;
            const path = requestPath(ti);
            return (
              <Table.Row
                borderBottomWidth={{ base: "1px", md: "0" }}
                cursor="pointer"
                data-testid="request-row"
                display={{ base: "block", md: "table-row" }}
                py={{ base: 2, md: 0 }}
                key={`${ti.id}:${ti.try_number}`}
                onClick={(event) => {
                  if ((event.target as HTMLElement).closest("a") === null) void navigate(path);
                }}
              >
                <Table.Cell borderBottomWidth={{ base: 0, md: "1px" }} display={stacked}>
                  <Link asChild color="brand.fg" fontWeight="medium">
                    <RouterLink to={path}>{detail.subject}</RouterLink>
                  </Link>
                </Table.Cell>
                <Table.Cell borderBottomWidth={{ base: 0, md: "1px" }} display={stacked} py={{ base: 0.5, md: 2 }}>
                  <Text fontSize="sm">{ti.dag_id}</Text>
                  <Text color="fg.muted" fontSize="xs">
                    {ti.dag_run_id} / {ti.task_id}
                    {ti.map_index >= 0 ? ` [${ti.map_index}]` : ""}
                  </Text>
                </Table.Cell>
                <Table.Cell borderBottomWidth={{ base: 0, md: "1px" }} display={stacked} py={{ base: 0.5, md: 2 }}>
                  <CellLabel>Assigned to</CellLabel>
                  <Assignees groups={detail.assigned_groups} users={detail.assigned_users} />
                </Table.Cell>
                <Table.Cell borderBottomWidth={{ base: 0, md: "1px" }} display={stacked} py={{ base: 0.5, md: 2 }} whiteSpace="nowrap">
                  <CellLabel>Created</CellLabel>
                  <TimeText iso={detail.created_at} />
                </Table.Cell>
                <Table.Cell borderBottomWidth={{ base: 0, md: "1px" }} display={stacked} py={{ base: 0.5, md: 2 }} whiteSpace="nowrap">
                  <CellLabel>Deadline</CellLabel>
                  <Deadline deadline={detail.deadline} status={detail.status} />
                </Table.Cell>
                <Table.Cell borderBottomWidth={{ base: 0, md: "1px" }} display={stacked} py={{ base: 0.5, md: 2 }}>
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
