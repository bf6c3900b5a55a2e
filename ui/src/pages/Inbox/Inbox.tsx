import { Badge, Button, Flex, Spinner, Stack, Tabs, Text } from "@chakra-ui/react";
import { useCallback } from "react";
import { useSearchParams } from "react-router";

import { ErrorNotice } from "../../components/ErrorNotice";
import { PageTitle } from "../../components/Layout";
import { useCounts } from "../../queries/useCounts";
import { hasPending, useRequestList } from "../../queries/useRequestList";
import { Filters } from "./Filters";
import { RequestTable } from "./RequestTable";
import { PAGE_SIZE, readInboxState, toListQuery, VIEWS, writeInboxState, type InboxState, type ViewId } from "./views";

const Pager = ({ page, total, onPage }: { page: number; total: number; onPage: (page: number) => void }) => {
  const first = total === 0 ? 0 : (page - 1) * PAGE_SIZE + 1;
  const last = Math.min(page * PAGE_SIZE, total);
  return (
    <Flex align="center" aria-label="Pages" as="nav" gap={3} justify="space-between" wrap="wrap">
      <Text aria-live="polite" data-testid="result-range" fontSize="sm">
        {total === 0 ? "No requests" : `${first}–${last} of ${total}`}
      </Text>
      <Flex gap={2}>
        <Button disabled={page <= 1} onClick={() => onPage(page - 1)} size="sm" variant="outline">
          Previous page
        </Button>
        <Button disabled={last >= total} onClick={() => onPage(page + 1)} size="sm" variant="outline">
          Next page
        </Button>
      </Flex>
    </Flex>
  );
};

/** The inbox: requests by segment, filtered, sorted and paged; all state lives in the URL. */
export const Inbox = () => {
  const [search, setSearch] = useSearchParams();
  const state = readInboxState(search);
  const list = useRequestList(toListQuery(state));
  const counts = useCounts(hasPending(list.data?.hitl_details));

  const update = useCallback(
    (patch: Partial<InboxState>) => {
      setSearch((current) => writeInboxState({ ...readInboxState(current), ...patch }), { replace: true });
    },
    [setSearch],
  );

  return (
    <Stack gap={4}>
      <PageTitle>Required Actions</PageTitle>
      <Tabs.Root
        lazyMount
        onValueChange={(details) => update({ page: 1, view: details.value as ViewId })}
        unmountOnExit
        value={state.view}
        variant="line"
      >
        <Tabs.List flexWrap="wrap">
          {VIEWS.map((view) => {
            const count = counts.data === undefined ? undefined : view.count(counts.data);
            return (
              <Tabs.Trigger aria-describedby={`count-${view.id}`} aria-label={view.label} key={view.id} value={view.id}>
                {view.label}
                <Badge
                  colorPalette={view.id === "mine" && count ? "purple" : "gray"}
                  data-testid={`count-${view.id}`}
                  id={`count-${view.id}`}
                  variant="subtle"
                >
                  {count ?? "–"}
                </Badge>
              </Tabs.Trigger>
            );
          })}
        </Tabs.List>
        {VIEWS.map((view) => (
          <Tabs.Content key={view.id} value={view.id}>
            <Stack gap={4}>
              <Filters onChange={update} state={state} />
              {list.isError ? <ErrorNotice error={list.error} title="Could not load the requests" /> : null}
              {list.isLoading ? (
                <Flex align="center" gap={2}>
                  <Spinner size="sm" />
                  <Text>Loading…</Text>
                </Flex>
              ) : null}
              {list.data !== undefined && list.data.hitl_details.length > 0 ? (
                <RequestTable details={list.data.hitl_details} />
              ) : null}
              {list.data !== undefined && list.data.hitl_details.length === 0 ? (
                <Flex align="center" gap={3} wrap="wrap">
                  <Text color="fg.muted">
                    {state.view === "mine" ? "Nothing is waiting for you." : "No requests match."}
                  </Text>
                  {state.view === "mine" ? (
                    <Button onClick={() => update({ page: 1, view: "pending" })} size="sm" variant="outline">
                      Show all pending
                    </Button>
                  ) : null}
                </Flex>
              ) : null}
              {list.data === undefined ? null : (
                <Pager onPage={(page) => update({ page })} page={state.page} total={list.data.total_entries} />
              )}
            </Stack>
          </Tabs.Content>
        ))}
      </Tabs.Root>
    </Stack>
  );
};
