import { Alert, Box, Button, Flex, Grid, Heading, Link, Spinner, Stack, Text } from "@chakra-ui/react";
import { useState } from "react";
import { Link as RouterLink, useNavigate, useParams, useSearchParams } from "react-router";

import { ApiError, type HITLDetail } from "../../api/client";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Markdown } from "../../components/Markdown";
import { StatusBadge } from "../../components/StatusBadge";
import { useNextPending } from "../../queries/useNextPending";
import { useRequest, type RequestRef } from "../../queries/useRequest";
import { requestPath } from "../../utils/links";
import { isOverdue } from "../../utils/time";
import { AnswerSummary } from "./AnswerSummary";
import { RequestContext } from "./RequestContext";
import { ResponseForm } from "./ResponseForm";
import { UpstreamResults } from "./UpstreamResults";
import { needsVotes, Votes } from "./Votes";

const useRequestRef = (): RequestRef => {
  const params = useParams();
  const [search] = useSearchParams();
  const tryParam = search.get("try");
  const tryNumber = tryParam === null ? undefined : Number.parseInt(tryParam, 10);
  return {
    dagId: params.dagId ?? "",
    mapIndex: Number.parseInt(params.mapIndex ?? "-1", 10),
    runId: params.runId ?? "",
    taskId: params.taskId ?? "",
    tryNumber: tryNumber !== undefined && Number.isFinite(tryNumber) ? tryNumber : undefined,
  };
};

const TryLinks = ({ detail, current, latest }: { detail: HITLDetail; current?: number; latest: number }) => {
  if (latest <= 1 && current === undefined) return null;
  const tries = Array.from({ length: Math.max(latest, current ?? 0) }, (_, index) => index + 1);
  return (
    <Flex align="center" aria-label="Tries" as="nav" fontSize="sm" gap={2} wrap="wrap">
      <Text color="fg.muted">Tries:</Text>
      {tries.map((tryNumber) => {
        const selected = current === undefined ? tryNumber === latest : tryNumber === current;
        return (
          <Link
            aria-current={selected ? "page" : undefined}
            asChild
            color="brand.fg"
            fontWeight={selected ? "bold" : undefined}
            key={tryNumber}
            textDecoration={selected ? undefined : "underline"}
          >
            <RouterLink to={requestPath(detail.task_instance, tryNumber === latest && current === undefined ? undefined : tryNumber)}>
              {`Try ${tryNumber}`}
            </RouterLink>
          </Link>
        );
      })}
    </Flex>
  );
};

const NextPending = ({ detail }: { detail: HITLDetail }) => {
  const next = useNextPending(detail);
  const navigate = useNavigate();
  if (next.isLoading) return <Spinner size="sm" />;
  const nextRequest = next.data;
  return (
    <Flex align="center" gap={3} wrap="wrap">
      {nextRequest ? (
        <Button colorPalette="blue" onClick={() => void navigate(requestPath(nextRequest.task_instance))}>
          Next pending
        </Button>
      ) : (
        <Text color="fg.muted">No other pending requests.</Text>
      )}
      <Link asChild color="brand.fg" textDecoration="underline">
        <RouterLink to="/">Back to the inbox</RouterLink>
      </Link>
    </Flex>
  );
};

const ReadOnlyNotice = ({ children }: { children: string }) => (
  <Alert.Root data-testid="read-only-reason" status="info">
    <Alert.Indicator />
    <Alert.Content>
      <Alert.Title>You cannot answer this request</Alert.Title>
      <Alert.Description>{children}</Alert.Description>
    </Alert.Content>
  </Alert.Root>
);

/**
 * Why the caller cannot answer a pending request, or undefined when they may. The API says so
 * up front (`can_respond`, `cannot_respond_reason`); a 403 on submit is handled the same way.
 */
const blockedReason = (detail: HITLDetail, forbidden: string | undefined, isHistory: boolean) => {
  if (isHistory) return "This is an earlier try of the task; only the latest try takes answers.";
  if (forbidden !== undefined) return forbidden;
  if (detail.can_respond === false) return detail.cannot_respond_reason ?? "You are not allowed to answer it.";
  if (isOverdue(detail.deadline, detail.status)) {
    return "The deadline has passed; the defaults are applied shortly.";
  }
  return undefined;
};

/** One request: what is asked, its context and upstream results, and the answer or the form. */
export const Respond = () => {
  const ref = useRequestRef();
  // A fresh view (no leftover "answered" or "forbidden" state) for every request and try.
  return <RequestView key={JSON.stringify(ref)} requestRef={ref} />;
};

const RequestView = ({ requestRef: ref }: { requestRef: RequestRef }) => {
  const request = useRequest(ref);
  // Viewing an earlier try: the latest one tells how many tries there are.
  const latestRequest = useRequest({ ...ref, tryNumber: undefined });
  const [forbidden, setForbidden] = useState<string | undefined>();
  const [answeredHere, setAnsweredHere] = useState(false);

  if (request.isLoading) {
    return (
      <Flex align="center" gap={2}>
        <Spinner size="sm" />
        <Text>Loading the request…</Text>
      </Flex>
    );
  }
  if (request.isError || request.data === undefined) {
    const notFound = request.error instanceof ApiError && request.error.status === 404;
    return (
      <Stack gap={4}>
        <Heading as="h1" size="xl">
          {notFound ? "Request not found" : "Could not load the request"}
        </Heading>
        <ErrorNotice error={request.error} title={notFound ? "This task has no human-in-the-loop request." : "Error"} />
        <Link asChild color="brand.fg" textDecoration="underline">
          <RouterLink to="/">Back to the inbox</RouterLink>
        </Link>
      </Stack>
    );
  }

  const detail = request.data;
  const isHistory = ref.tryNumber !== undefined && ref.tryNumber !== detail.task_instance.try_number;
  const pending = detail.status === "pending";
  const blocked = pending ? blockedReason(detail, forbidden, isHistory) : undefined;

  return (
    <Stack gap={5}>
      <Box>
        <Flex align="center" gap={3} wrap="wrap">
          <Heading as="h1" size="xl">
            {detail.subject}
          </Heading>
          <StatusBadge status={detail.status} />
        </Flex>
        <Text color="fg.muted" fontSize="sm" mt={1}>
          {detail.task_instance.dag_id} / {detail.task_instance.dag_run_id} / {detail.task_instance.task_id}
          {detail.task_instance.map_index >= 0 ? ` [${detail.task_instance.map_index}]` : ""}
        </Text>
        <Box mt={2}>
          <TryLinks
            current={ref.tryNumber}
            detail={detail}
            latest={latestRequest.data?.task_instance.try_number ?? detail.task_instance.try_number}
          />
        </Box>
      </Box>
      <Grid gap={5} templateColumns={{ base: "1fr", lg: "minmax(0, 2fr) minmax(0, 1fr)" }}>
        <Stack gap={5} minWidth={0}>
          {detail.body ? (
            <Box aria-label="Description" as="section" data-testid="request-body">
              <Markdown>{detail.body}</Markdown>
            </Box>
          ) : null}
          {answeredHere ? (
            <Alert.Root role="status" status="success">
              <Alert.Indicator />
              <Alert.Title>Your answer was recorded.</Alert.Title>
            </Alert.Root>
          ) : null}
          {pending && blocked === undefined && !answeredHere && detail.respond_as_override === true ? (
            <Alert.Root data-testid="override-notice" status="warning">
              <Alert.Indicator />
              <Alert.Title>
                This request is assigned to others; as an admin you may still answer, recorded as an override.
              </Alert.Title>
            </Alert.Root>
          ) : null}
          {pending && blocked === undefined && !answeredHere ? (
            <ResponseForm
              detail={detail}
              key={detail.task_instance.id}
              onAnswered={() => setAnsweredHere(true)}
              onForbidden={setForbidden}
              requestRef={ref}
            />
          ) : null}
          {blocked === undefined ? null : <ReadOnlyNotice>{blocked}</ReadOnlyNotice>}
          {needsVotes(detail) ? <Votes detail={detail} /> : null}
          {pending ? null : <AnswerSummary detail={detail} />}
          {!pending || answeredHere ? <NextPending detail={detail} /> : null}
          <UpstreamResults dagId={ref.dagId} runId={ref.runId} taskId={ref.taskId} />
        </Stack>
        <Box>
          <RequestContext detail={detail} />
        </Box>
      </Grid>
    </Stack>
  );
};
