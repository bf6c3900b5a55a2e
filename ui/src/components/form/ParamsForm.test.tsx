import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import { renderWithProviders } from "../../test/render";
import { initialState, toFieldSpecs, type FieldState } from "../../utils/params";
import { ParamsForm } from "./ParamsForm";

const PARAMS = {
  approved: { schema: { title: "Approved", type: "boolean" }, value: true },
  count: { schema: { maximum: 10, minimum: 1, title: "Count", type: "integer" }, value: 3 },
  day: { schema: { format: "date", type: "string" }, value: "2026-11-28" },
  extra: { schema: { section: "Advanced", type: "object" }, value: { a: 1 } },
  instructions: { description: "What to change", schema: { format: "multiline", type: "string" }, value: null },
  name: { schema: { type: "string" }, value: "x" },
  notes: { schema: { description_md: "See **the guide**", type: ["null", "string"] }, value: null },
  recipients: { schema: { section: "Advanced", type: "array" }, value: ["a@example.com"] },
  secret: { schema: { format: "password", type: "string" }, value: null },
  tags: { schema: { items: { enum: ["red", "green"] }, type: "array", values_display: { red: "Red" } }, value: ["green"] },
  tone: { schema: { enum: ["neutral", "formal"], type: "string", values_display: { formal: "Formal" } }, value: "neutral" },
  when: { schema: { format: "date-time", type: "string" }, value: null },
};

const Harness = ({ errors = {} }: { errors?: Record<string, string> }) => {
  const fields = toFieldSpecs(PARAMS);
  const [state, setState] = useState<Record<string, FieldState>>(
    Object.fromEntries(fields.map((field) => [field.name, initialState(field)])),
  );
  return (
    <ParamsForm
      errors={errors}
      fields={fields}
      onChange={(name, next) => setState((current) => ({ ...current, [name]: next }))}
      state={state}
    />
  );
};

describe("ParamsForm renders each field kind as a labelled control", () => {
  it("text, multiline, number, password, date and date-time inputs", () => {
    renderWithProviders(<Harness />);
    expect(screen.getByRole("textbox", { name: "name" })).toHaveValue("x");
    expect(screen.getByRole("textbox", { name: "instructions" }).tagName).toBe("TEXTAREA");
    const count = screen.getByRole("spinbutton", { name: "Count" });
    expect(count).toHaveValue(3);
    expect(count).toHaveAttribute("min", "1");
    expect(count).toHaveAttribute("max", "10");
    expect(screen.getByLabelText(/^secret/u)).toHaveAttribute("type", "password");
    expect(screen.getByLabelText("day")).toHaveAttribute("type", "date");
    expect(screen.getByLabelText(/^when/u)).toHaveAttribute("type", "datetime-local");
  });

  it("a boolean as a check box", () => {
    renderWithProviders(<Harness />);
    expect(screen.getByRole("checkbox", { name: "Approved" })).toBeChecked();
  });

  it("an enum as a drop-down showing values_display", () => {
    renderWithProviders(<Harness />);
    const tone = screen.getByRole("combobox", { name: "tone" });
    expect(Array.from((tone as HTMLSelectElement).options).map((option) => option.text)).toEqual(["neutral", "Formal"]);
    expect((tone as HTMLSelectElement).selectedOptions[0]?.text).toBe("neutral");
  });

  it("a multi-select array as a group of check boxes", () => {
    renderWithProviders(<Harness />);
    const group = screen.getByRole("group", { name: "tags" });
    expect(group).toBeInTheDocument();
    expect(screen.getByRole("checkbox", { name: "Red" })).not.toBeChecked();
    expect(screen.getByRole("checkbox", { name: "green" })).toBeChecked();
  });

  it("an object as JSON text and a string array one value per line", () => {
    renderWithProviders(<Harness />);
    const extra = screen.getByRole<HTMLTextAreaElement>("textbox", { name: "extra" });
    expect(JSON.parse(extra.value)).toEqual({ a: 1 });
    expect(screen.getByRole("textbox", { name: "recipients" })).toHaveValue("a@example.com");
  });

  it("sections as headed regions and Markdown descriptions rendered", () => {
    renderWithProviders(<Harness />);
    const advanced = screen.getByRole("region", { name: "Advanced" });
    expect(advanced).toContainElement(screen.getByRole("textbox", { name: "extra" }));
    expect(advanced).not.toContainElement(screen.getByRole("textbox", { name: "name" }));
    expect(screen.getByText("the guide").tagName).toBe("STRONG");
    expect(screen.getByText("What to change")).toBeInTheDocument();
  });

  it("marks a required field and shows errors at their field", () => {
    renderWithProviders(<Harness errors={{ count: "11 is greater than the maximum of 10" }} />);
    expect(screen.getByRole("textbox", { name: "instructions" })).toBeRequired();
    expect(screen.getByRole("textbox", { name: "name" })).not.toBeRequired();
    const count = screen.getByRole("spinbutton", { name: "Count" });
    expect(count).toBeInvalid();
    expect(count).toHaveAccessibleDescription(/greater than the maximum/u);
  });

  it("updates as the user types", async () => {
    renderWithProviders(<Harness />);
    const name = screen.getByRole("textbox", { name: "name" });
    await userEvent.clear(name);
    await userEvent.type(name, "new value");
    expect(name).toHaveValue("new value");
  });
});
