import { describe, expect, it } from "vitest";

import { makeDetail } from "../../test/fakeApi";
import { hasPending } from "../../queries/useRequestList";
import { PAGE_SIZE, readInboxState, toListQuery, writeInboxState } from "./views";

describe("inbox state in the URL", () => {
  it("defaults to pending for me, newest first, page 1", () => {
    const state = readInboxState(new URLSearchParams());
    expect(state).toMatchObject({ page: 1, sort: "newest", view: "mine" });
    expect(writeInboxState(state).toString()).toBe("");
    expect(toListQuery(state)).toEqual({
      for_me: true,
      limit: PAGE_SIZE,
      offset: 0,
      order_by: "-created_at",
      status: ["pending"],
    });
  });

  it("round-trips filters, sort and page and maps them to the list query", () => {
    const search = new URLSearchParams("view=responded&dag=etl&task=gate&subject=report&body=rows&group=finance&sort=deadline&page=3");
    const state = readInboxState(search);
    expect(readInboxState(writeInboxState(state))).toEqual(state);
    expect(toListQuery(state)).toEqual({
      assigned_group: "finance",
      body_search: "rows",
      dag_id_pattern: "etl",
      limit: PAGE_SIZE,
      offset: 2 * PAGE_SIZE,
      order_by: "deadline",
      status: ["responded"],
      subject_search: "report",
      task_id_pattern: "gate",
    });
  });

  it("ignores unknown views, sorts and pages", () => {
    expect(readInboxState(new URLSearchParams("view=nope&sort=random&page=-2"))).toMatchObject({
      page: 1,
      sort: "newest",
      view: "mine",
    });
  });

  it("lists every status in the 'all' view", () => {
    expect(toListQuery(readInboxState(new URLSearchParams("view=all"))).status).toBeUndefined();
  });
});

describe("refreshing", () => {
  it("refreshes only while a pending request is on screen", () => {
    expect(hasPending([makeDetail({ status: "responded" }), makeDetail({ status: "pending" })])).toBe(true);
    expect(hasPending([makeDetail({ status: "responded" }), makeDetail({ status: "timed_out" })])).toBe(false);
    expect(hasPending(undefined)).toBe(false);
  });
});
