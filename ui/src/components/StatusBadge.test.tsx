import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { renderWithProviders } from "../test/render";
import { StatusBadge } from "./StatusBadge";

describe("StatusBadge", () => {
  it.each([
    ["pending", "Pending"],
    ["responded", "Responded"],
    ["timed_out", "Timed out"],
    ["cancelled", "Cancelled"],
  ])("shows %s as %s", (status, label) => {
    renderWithProviders(<StatusBadge status={status} />);
    const badge = screen.getByTestId("status-badge");
    expect(badge).toHaveTextContent(label);
    expect(badge).toHaveAttribute("data-status", status);
  });

  it("gives each status its own colour", () => {
    const { unmount } = renderWithProviders(<StatusBadge status="pending" />);
    const pendingClass = screen.getByTestId("status-badge").className;
    unmount();
    renderWithProviders(<StatusBadge status="responded" />);
    expect(screen.getByTestId("status-badge").className).not.toBe(pendingClass);
  });

  it("shows an unknown status as it is", () => {
    renderWithProviders(<StatusBadge status="mystery" />);
    expect(screen.getByTestId("status-badge")).toHaveTextContent("mystery");
  });
});
