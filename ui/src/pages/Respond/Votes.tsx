import { Box, Stack, Text } from "@chakra-ui/react";

import type { HITLDetail } from "../../api/client";
import { TimeText } from "../../components/TimeText";

/** Whether answers to the request are votes towards a quorum (`required_approvals`). */
export const needsVotes = (detail: HITLDetail): boolean =>
  Object.values(detail.policy.required_votes).some((needed) => needed > 1);

/** The quorum so far: per option how many of the votes it needs, and every vote with its reason. */
export const Votes = ({ detail }: { detail: HITLDetail }) => {
  const votes = detail.votes ?? [];
  const counts = (option: string) => votes.filter((vote) => vote.chosen_options.includes(option)).length;
  return (
    <Box aria-labelledby="votes-heading" as="section" borderWidth="1px" borderRadius="md" data-testid="votes" p={4}>
      <Text as="h2" fontWeight="semibold" id="votes-heading" mb={2}>
        Votes
      </Text>
      <Text data-testid="vote-tally">
        {detail.options
          .map((option) => `${option}: ${counts(option)} of ${detail.policy.required_votes[option] ?? 1}`)
          .join(" · ")}
      </Text>
      <Text color="fg.muted" fontSize="sm" mt={1}>
        The first option to get the votes it needs decides.
      </Text>
      {votes.length === 0 ? (
        <Text mt={2}>No votes yet.</Text>
      ) : (
        <Stack as="ol" gap={1} mt={2} ps={0} listStyleType="none">
          {votes.map((vote) => (
            <Text as="li" fontSize="sm" key={vote.user.id}>
              <strong>{vote.user.name}</strong>: {vote.chosen_options.join(", ")} (<TimeText iso={vote.voted_at} />)
              {vote.comment ? ` — ${vote.comment}` : ""}
            </Text>
          ))}
        </Stack>
      )}
    </Box>
  );
};
