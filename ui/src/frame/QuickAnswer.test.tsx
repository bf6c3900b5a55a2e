import { describe, expect, it } from "vitest";

import { makeDetail } from "../test/fakeApi";
import { answersWithOneClick } from "./QuickAnswer";

const policy = { allow_self_approval: true, excluded_users: [], require_comment_on: [], required_votes: {} };

describe("one-click answers (the drawer, the task instance panel)", () => {
  it("answers option-only requests with one click", () => {
    expect(answersWithOneClick(makeDetail())).toBe(true);
  });

  it("sends requests whose options need a comment to the full view", () => {
    expect(answersWithOneClick(makeDetail({ policy: { ...policy, require_comment_on: ["Reject"] } }))).toBe(false);
  });
});
