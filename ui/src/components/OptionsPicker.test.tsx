import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { renderWithProviders } from "../test/render";
import { MAX_OPTION_BUTTONS, OptionsPicker } from "./OptionsPicker";

const renderPicker = (props: { options: string[]; defaults?: string[] | null; multiple?: boolean }) => {
  const onSubmit = vi.fn();
  renderWithProviders(
    <OptionsPicker defaults={props.defaults ?? null} multiple={props.multiple ?? false} onSubmit={onSubmit} options={props.options} />,
  );
  return onSubmit;
};

describe("OptionsPicker with few options", () => {
  it("shows one button per option, named by the option, in the given order", () => {
    renderPicker({ options: ["Reject", "Approve", "Later"] });
    const group = screen.getByRole("group", { name: "Options" });
    expect(Array.from(group.querySelectorAll("button")).map((button) => button.textContent)).toEqual([
      "Reject",
      "Approve",
      "Later",
    ]);
    expect(screen.queryByRole("button", { name: "Submit" })).toBeNull();
  });

  it("highlights the default and describes it as such", () => {
    renderPicker({ defaults: ["Reject"], options: ["Approve", "Reject"] });
    const reject = screen.getByRole("button", { name: "Reject" });
    const approve = screen.getByRole("button", { name: "Approve" });
    expect(reject).toHaveAttribute("data-default", "true");
    expect(approve).not.toHaveAttribute("data-default");
    expect(reject).toHaveAccessibleDescription(/Default .*: Reject/u);
    expect(approve).not.toHaveAccessibleDescription();
  });

  it("answers with the clicked option", async () => {
    const onSubmit = renderPicker({ defaults: ["Reject"], options: ["Approve", "Reject"] });
    await userEvent.click(screen.getByRole("button", { name: "Approve" }));
    expect(onSubmit).toHaveBeenCalledWith(["Approve"]);
  });
});

describe("OptionsPicker with many options", () => {
  const options = Array.from({ length: MAX_OPTION_BUTTONS + 1 }, (_, index) => `Path ${index + 1}`);

  it("uses a drop-down with the default preselected and a Submit button", async () => {
    const onSubmit = renderPicker({ defaults: ["Path 3"], options });
    expect(screen.queryByRole("button", { name: "Path 1" })).toBeNull();
    const select = screen.getByRole("combobox", { name: "Option" });
    expect(select).toHaveValue("Path 3");
    await userEvent.selectOptions(select, "Path 5");
    await userEvent.click(screen.getByRole("button", { name: "Submit" }));
    expect(onSubmit).toHaveBeenCalledWith(["Path 5"]);
  });

  it("asks for a choice when there is no default", async () => {
    const onSubmit = renderPicker({ options });
    await userEvent.click(screen.getByRole("button", { name: "Submit" }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByRole("alert")).toHaveTextContent("Choose an option.");
  });

  it("still shows exactly the maximum number of options as buttons", () => {
    renderPicker({ options: options.slice(0, MAX_OPTION_BUTTONS) });
    expect(screen.getAllByRole("button")).toHaveLength(MAX_OPTION_BUTTONS);
  });
});

describe("OptionsPicker with multiple", () => {
  it("shows check boxes with the defaults checked and submits the choice in option order", async () => {
    const onSubmit = renderPicker({ defaults: ["b"], multiple: true, options: ["a", "b", "c"] });
    expect(screen.getByRole("checkbox", { name: "b" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "a" })).not.toBeChecked();
    await userEvent.click(screen.getByRole("checkbox", { name: "c" }));
    await userEvent.click(screen.getByRole("checkbox", { name: "a" }));
    await userEvent.click(screen.getByRole("button", { name: "Submit" }));
    expect(onSubmit).toHaveBeenCalledWith(["a", "b", "c"]);
  });

  it("refuses an empty choice", async () => {
    const onSubmit = renderPicker({ defaults: ["a"], multiple: true, options: ["a", "b"] });
    await userEvent.click(screen.getByRole("checkbox", { name: "a" }));
    await userEvent.click(screen.getByRole("button", { name: "Submit" }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByRole("alert")).toHaveTextContent("Choose at least one option.");
  });
});
