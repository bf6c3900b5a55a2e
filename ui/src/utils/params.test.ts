import { describe, expect, it } from "vitest";

import {
  collectForm,
  fieldErrorsFrom422,
  fieldKind,
  groupBySection,
  initialState,
  MASK,
  toFieldSpecs,
  type ParamSchema,
} from "./params";

describe("fieldKind maps each JSON schema to the input Airflow's trigger form would use", () => {
  const cases: [string, ParamSchema, string][] = [
    ["plain string", { type: "string" }, "string"],
    ["no type at all", {}, "string"],
    ["multiline string", { format: "multiline", type: "string" }, "multiline"],
    ["password", { format: "password", type: "string" }, "password"],
    ["integer", { maximum: 10, minimum: 1, type: "integer" }, "integer"],
    ["number", { type: "number" }, "number"],
    ["nullable number", { type: ["null", "number"] }, "number"],
    ["boolean", { type: "boolean" }, "boolean"],
    ["enum", { enum: ["a", "b"], type: "string" }, "enum"],
    ["array of enum items", { items: { enum: ["x", "y"], type: "string" }, type: "array" }, "multiselect"],
    ["array with examples", { examples: ["x", "y"], type: "array" }, "multiselect"],
    ["array of strings", { items: { type: "string" }, type: "array" }, "stringlist"],
    ["array of numbers", { items: { type: "number" }, type: "array" }, "json"],
    ["object", { type: "object" }, "json"],
    ["date", { format: "date", type: "string" }, "date"],
    ["date-time", { format: "date-time", type: "string" }, "datetime"],
    ["time", { format: "time", type: "string" }, "time"],
  ];
  it.each(cases)("%s", (_name, schema, kind) => {
    expect(fieldKind(schema)).toBe(kind);
  });
});

describe("toFieldSpecs", () => {
  const fields = toFieldSpecs({
    comment: { description: "Why?", schema: { type: ["null", "string"] }, value: null },
    count: { schema: { maximum: 10, minimum: 1, title: "How many", type: "integer" }, value: 3 },
    reason: { schema: { minLength: 5, section: "Details", type: "string" }, value: null },
    tone: {
      schema: { enum: ["neutral", "formal"], section: "Details", type: "string", values_display: { formal: "Formal" } },
      value: "neutral",
    },
  });

  it("labels fields by title, else by key, in the given order", () => {
    expect(fields.map((field) => field.label)).toEqual(["comment", "How many", "reason", "tone"]);
  });

  it("requires a field without default unless null is allowed", () => {
    expect(Object.fromEntries(fields.map((field) => [field.name, field.required]))).toEqual({
      comment: false,
      count: false,
      reason: true,
      tone: false,
    });
  });

  it("shows values_display for enum choices and falls back to the value", () => {
    expect(fields[3]?.choices.map((choice) => choice.label)).toEqual(["neutral", "Formal"]);
  });

  it("groups fields by section in order of appearance", () => {
    expect(groupBySection(fields).map((group) => [group.section, group.fields.map((f) => f.name)])).toEqual([
      [undefined, ["comment", "count"]],
      ["Details", ["reason", "tone"]],
    ]);
  });

  it("accepts plain default values as params", () => {
    const [field] = toFieldSpecs({ limit: 5 });
    expect(field?.defaultValue).toBe(5);
    expect(field?.required).toBe(false);
  });
});

describe("collectForm", () => {
  const fields = toFieldSpecs({
    count: { schema: { maximum: 10, minimum: 1, type: "integer" }, value: 3 },
    notes: { schema: { type: "string" }, value: "none" },
    options: { schema: { type: "object" }, value: { a: 1 } },
    reason: { schema: { minLength: 5, type: "string" } },
    tags: { schema: { items: { enum: ["x", "y", "z"] }, type: "array" }, value: ["x"] },
    when: { schema: { format: "date-time", type: "string" } },
  });
  const base = Object.fromEntries(fields.map((field) => [field.name, initialState(field)]));

  it("reports a missing required field and a value out of range", () => {
    const result = collectForm(fields, { ...base, count: "11", reason: "" });
    expect(result.errors.count).toBe("Must be at most 10.");
    expect(result.errors.reason).toBe("A value is required.");
  });

  it("reports too short text, a fractional integer and invalid JSON", () => {
    const result = collectForm(fields, { ...base, count: "2.5", options: "{oops", reason: "abc" });
    expect(result.errors).toEqual({
      count: "Enter a whole number.",
      options: "Enter valid JSON.",
      reason: "Must be at least 5 characters long.",
      when: "A value is required.",
    });
  });

  it("converts valid input to typed values, keeping the choice order of the schema", () => {
    const result = collectForm(fields, {
      ...base,
      count: "7",
      options: '{"b": [1, 2]}',
      reason: "looks fine",
      tags: ["z", "x"],
      when: "2026-11-28T10:30",
    });
    expect(result.errors).toEqual({});
    expect(result.values).toMatchObject({
      count: 7,
      options: { b: [1, 2] },
      reason: "looks fine",
      tags: ["x", "z"],
    });
    expect(new Date(result.values.when as string).getTime()).toBe(new Date("2026-11-28T10:30").getTime());
  });

  it("leaves an emptied optional field out so that its default applies", () => {
    const result = collectForm(fields, { ...base, notes: "", reason: "valid reason", when: "2026-01-01T00:00" });
    expect(result.errors).toEqual({});
    expect("notes" in result.values).toBe(false);
  });
});

describe("a sensitive field whose default the server masks", () => {
  const fields = toFieldSpecs({
    api_key: { schema: { format: "password", minLength: 8, type: "string" }, value: MASK },
  });

  it("starts empty, is optional, and sends nothing when left empty (the real default applies)", () => {
    expect(fields[0]?.defaultHidden).toBe(true);
    expect(fields[0]?.required).toBe(false);
    expect(fields.map(initialState)).toEqual([""]);
    expect(collectForm(fields, { api_key: "" })).toEqual({ errors: {}, values: {} });
  });

  it("sends and checks what the responder types instead", () => {
    expect(collectForm(fields, { api_key: "short" }).errors.api_key).toBe("Must be at least 8 characters long.");
    expect(collectForm(fields, { api_key: "long enough" }).values).toEqual({ api_key: "long enough" });
  });

  it("is not taken for hidden when a plain field's default is three asterisks", () => {
    const plain = toFieldSpecs({ stars: { schema: { type: "string" }, value: MASK } });
    expect(plain[0]?.defaultHidden).toBe(false);
    expect(plain.map(initialState)).toEqual([MASK]);
  });
});

describe("fieldErrorsFrom422", () => {
  it("puts per-field messages at their fields and keeps the rest", () => {
    const parsed = fieldErrorsFrom422([
      { loc: ["body", "params_input", "count"], msg: "11 is greater than the maximum of 10", type: "value_error" },
      { loc: ["body", "chosen_options"], msg: "Field required", type: "missing" },
    ]);
    expect(parsed.fields).toEqual({ count: "11 is greater than the maximum of 10" });
    expect(parsed.other).toEqual(["Field required"]);
  });

  it("keeps a plain string detail as a general message", () => {
    expect(fieldErrorsFrom422("bad").other).toEqual(["bad"]);
  });
});
