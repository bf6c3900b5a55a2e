import { Box, Grid, Text } from "@chakra-ui/react";

import type { HITLDetail } from "../../api/client";
import { TimeText } from "../../components/TimeText";
import { toFieldSpecs, type FieldSpec } from "../../utils/params";

const CHANNELS: Record<string, string> = { api: "the REST API", cli: "the command line", ui: "the web UI" };

const formatValue = (value: unknown, field: FieldSpec | undefined): string => {
  if (value === null || value === undefined) return "(empty)";
  const display = field?.schema.values_display;
  const shown = (item: unknown): string => {
    const text = typeof item === "string" ? item : JSON.stringify(item);
    return display?.[text] ?? text;
  };
  return Array.isArray(value) ? value.map(shown).join(", ") : shown(value);
};

/** What was decided: who answered, when, through which channel, with which options and values. */
export const AnswerSummary = ({ detail }: { detail: HITLDetail }) => {
  const fields = new Map(toFieldSpecs(detail.params).map((field) => [field.name, field]));
  let headline: string;
  if (detail.status === "responded") {
    const who = detail.responded_by_user?.name ?? detail.responded_by_user?.id ?? "someone";
    const channel = detail.response_channel ? CHANNELS[detail.response_channel] ?? detail.response_channel : undefined;
    headline = `Answered by ${who}${channel ? ` through ${channel}` : ""}`;
  } else if (detail.status === "timed_out") {
    headline = "Nobody answered before the deadline; the defaults were applied";
  } else if (detail.status === "cancelled") {
    headline = detail.closed_ti_state
      ? `Closed without an answer: the task was set to ${detail.closed_ti_state} while it waited`
      : "Closed without an answer: the task ended while it waited";
  } else {
    headline = "Waiting for an answer";
  }
  const values = Object.entries(detail.params_input ?? {});
  return (
    <Box aria-labelledby="answer-heading" as="section" borderWidth="1px" borderRadius="md" data-testid="answer-summary" p={4}>
      <Text as="h2" fontWeight="semibold" id="answer-heading" mb={2}>
        Response
      </Text>
      <Text>
        {headline}
        {detail.responded_at ? (
          <>
            {" "}
            (<TimeText iso={detail.responded_at} />)
          </>
        ) : null}
        .
      </Text>
      {detail.override ? (
        <Text color="fg.muted" fontSize="sm" mt={1}>
          Answered by an admin on behalf of the assignees.
        </Text>
      ) : null}
      {detail.chosen_options && detail.chosen_options.length > 0 ? (
        <Text mt={2}>
          Chosen: <strong>{detail.chosen_options.join(", ")}</strong>
        </Text>
      ) : null}
      {detail.comment ? (
        <Text data-testid="answer-comment" mt={2} overflowWrap="anywhere" whiteSpace="pre-wrap">
          Comment: {detail.comment}
        </Text>
      ) : null}
      {values.length > 0 ? (
        <Grid as="dl" columnGap={4} mt={2} rowGap={1} templateColumns="max-content 1fr">
          {values.map(([name, value]) => (
            <Box display="contents" key={name}>
              <Text as="dt" color="fg.muted" fontSize="sm">
                {fields.get(name)?.label ?? name}
              </Text>
              <Text as="dd" fontSize="sm" overflowWrap="anywhere" whiteSpace="pre-wrap">
                {formatValue(value, fields.get(name))}
              </Text>
            </Box>
          ))}
        </Grid>
      ) : null}
      {detail.status === "responded" && detail.resumed_at === null ? (
        <Text color="fg.muted" fontSize="sm" mt={2}>
          The task resumes shortly.
        </Text>
      ) : null}
    </Box>
  );
};
