import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { makeDetail } from "../../test/fakeApi";
import { renderWithProviders } from "../../test/render";
import { AnswerSummary } from "./AnswerSummary";

const params = {
  secret: { schema: { format: "password", type: "string" }, value: null },
  tone: { schema: { enum: ["neutral", "formal"], title: "Tone", type: "string", values_display: { formal: "Formal" } }, value: "neutral" },
};

describe("AnswerSummary", () => {
  it("names the responder and channel and shows values by their display text", () => {
    renderWithProviders(
      <AnswerSummary
        detail={makeDetail({
          chosen_options: ["Approve"],
          params,
          params_input: { secret: "***", tone: "formal" },
          response_channel: "ui",
          responded_at: new Date().toISOString(),
          responded_by_user: { id: "alice", name: "Alice" },
          status: "responded",
        })}
      />,
    );
    const summary = screen.getByTestId("answer-summary");
    expect(summary).toHaveTextContent("Answered by Alice through the web UI");
    expect(summary).toHaveTextContent("Chosen: Approve");
    expect(screen.getByText("Tone").nextElementSibling).toHaveTextContent("Formal");
    expect(screen.getByText("secret").nextElementSibling).toHaveTextContent("***");
  });

  it("shows the comment given with the answer", () => {
    renderWithProviders(
      <AnswerSummary detail={makeDetail({ chosen_options: ["Reject"], comment: "totals wrong", status: "responded" })} />,
    );
    expect(screen.getByTestId("answer-comment")).toHaveTextContent("Comment: totals wrong");
  });

  it("says an admin answered on behalf of the assignees", () => {
    renderWithProviders(
      <AnswerSummary detail={makeDetail({ override: true, responded_by_user: { id: "admin", name: "admin" }, status: "responded" })} />,
    );
    expect(screen.getByTestId("answer-summary")).toHaveTextContent("on behalf of the assignees");
  });

  it("explains a timeout and a cancellation", () => {
    const { unmount } = renderWithProviders(
      <AnswerSummary detail={makeDetail({ chosen_options: ["Reject"], status: "timed_out" })} />,
    );
    expect(screen.getByTestId("answer-summary")).toHaveTextContent("Nobody answered before the deadline; the defaults were applied");
    expect(screen.getByTestId("answer-summary")).toHaveTextContent("Chosen: Reject");
    unmount();
    renderWithProviders(<AnswerSummary detail={makeDetail({ closed_ti_state: "failed", status: "cancelled" })} />);
    expect(screen.getByTestId("answer-summary")).toHaveTextContent("the task was set to failed while it waited");
  });
});
