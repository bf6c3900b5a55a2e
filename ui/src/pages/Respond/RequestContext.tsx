import { Box, Flex, Grid, Link, Text } from "@chakra-ui/react";
import type { ReactNode } from "react";

import type { HITLDetail } from "../../api/client";
import { Assignees } from "../../components/Assignees";
import { Deadline, TimeText } from "../../components/TimeText";
import { airflowDagUrl, airflowRunUrl, airflowTaskDetailsUrl, airflowTaskLogsUrl } from "../../utils/links";

const Row = ({ children, label }: { label: string; children: ReactNode }) => (
  <>
    <Text as="dt" color="fg.muted" fontSize="sm">
      {label}
    </Text>
    <Box as="dd" fontSize="sm" minWidth={0} overflowWrap="anywhere">
      {children}
    </Box>
  </>
);

/** Where the request comes from, who may answer, and links into the Airflow UI. */
export const RequestContext = ({ detail }: { detail: HITLDetail }) => {
  const ti = detail.task_instance;
  return (
    <Box as="section" aria-labelledby="context-heading" borderWidth="1px" borderRadius="md" p={4}>
      <Text as="h2" fontWeight="semibold" id="context-heading" mb={3}>
        Context
      </Text>
      <Grid as="dl" columnGap={4} rowGap={2} templateColumns="max-content 1fr">
        <Row label="DAG">
          <Link color="brand.fg" href={airflowDagUrl(ti.dag_id)} textDecoration="underline">
            {ti.dag_id}
          </Link>
        </Row>
        <Row label="Run">
          <Link color="brand.fg" href={airflowRunUrl(ti.dag_id, ti.dag_run_id)} textDecoration="underline">
            {ti.dag_run_id}
          </Link>
        </Row>
        <Row label="Task">{ti.task_id}</Row>
        {ti.map_index >= 0 ? <Row label="Map index">{ti.map_index}</Row> : null}
        <Row label="Try">{ti.try_number}</Row>
        <Row label="Task state">{ti.state ?? "unknown"}</Row>
        <Row label="Assigned to">
          <Assignees groups={detail.assigned_groups} users={detail.assigned_users} />
        </Row>
        <Row label="Created">
          <TimeText iso={detail.created_at} />
        </Row>
        <Row label="Deadline">
          <Deadline deadline={detail.deadline} status={detail.status} />
        </Row>
      </Grid>
      <Flex gap={4} mt={3} wrap="wrap">
        <Link color="brand.fg" href={airflowTaskDetailsUrl(ti)} textDecoration="underline">
          Task instance in Airflow
        </Link>
        <Link color="brand.fg" href={airflowTaskLogsUrl(ti, ti.try_number)} textDecoration="underline">
          Task logs
        </Link>
      </Flex>
    </Box>
  );
};
