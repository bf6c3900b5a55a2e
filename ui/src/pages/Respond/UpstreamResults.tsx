import { Box, chakra, Spinner, Stack, Text } from "@chakra-ui/react";
import { useState } from "react";

import { ErrorNotice } from "../../components/ErrorNotice";
import { useUpstreamTaskIds, useXComs } from "../../queries/useUpstream";

const Pre = chakra("pre");
const Details = chakra("details");
const Summary = chakra("summary");

const UpstreamTask = ({ dagId, runId, taskId }: { dagId: string; runId: string; taskId: string }) => {
  const [open, setOpen] = useState(false);
  const xcoms = useXComs(dagId, runId, taskId, open);
  return (
    <Details borderRadius="md" borderWidth="1px" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <Summary cursor="pointer" fontSize="sm" fontWeight="medium" px={3} py={2}>
        {taskId}
      </Summary>
      <Box px={3} pb={3}>
        {xcoms.isLoading ? <Spinner size="sm" /> : null}
        {xcoms.isError ? <ErrorNotice error={xcoms.error} title="Could not load the results" /> : null}
        {xcoms.data?.entries.length === 0 ? (
          <Text color="fg.muted" fontSize="sm">
            No XCom results.
          </Text>
        ) : null}
        {xcoms.data?.entries.map((entry) => (
          <Box key={`${entry.key}:${entry.map_index}`} mt={2}>
            <Text fontFamily="mono" fontSize="xs" fontWeight="semibold">
              {entry.key}
              {entry.map_index >= 0 ? ` [${entry.map_index}]` : ""}
            </Text>
            <Pre bg="bg.muted" borderRadius="md" fontSize="xs" maxHeight="64" overflow="auto" p={2} whiteSpace="pre-wrap">
              {JSON.stringify(entry.value, null, 2)}
            </Pre>
          </Box>
        ))}
        {xcoms.data !== undefined && xcoms.data.total > xcoms.data.entries.length ? (
          <Text color="fg.muted" fontSize="xs" mt={1}>
            Showing {xcoms.data.entries.length} of {xcoms.data.total} entries.
          </Text>
        ) : null}
      </Box>
    </Details>
  );
};

/** The results (XCom) of the tasks directly upstream, collapsed until opened. */
export const UpstreamResults = ({ dagId, runId, taskId }: { dagId: string; runId: string; taskId: string }) => {
  const upstream = useUpstreamTaskIds(dagId, taskId);
  return (
    <Box as="section" aria-labelledby="upstream-heading">
      <Text as="h2" fontWeight="semibold" id="upstream-heading" mb={2}>
        Upstream results
      </Text>
      {upstream.isLoading ? <Spinner size="sm" /> : null}
      {upstream.isError ? <ErrorNotice error={upstream.error} title="Could not load the upstream tasks" /> : null}
      {upstream.data?.length === 0 ? (
        <Text color="fg.muted" fontSize="sm">
          This task has no upstream tasks.
        </Text>
      ) : null}
      <Stack gap={2}>
        {upstream.data?.map((upstreamId) => (
          <UpstreamTask dagId={dagId} key={upstreamId} runId={runId} taskId={upstreamId} />
        ))}
      </Stack>
    </Box>
  );
};
