/**
 * Form fields from a request's `params` ({name: {value, schema, description}}, the shape of a
 * dumped Airflow Param), following the conventions of Airflow's Trigger-DAG form: the JSON schema
 * decides the input, `title`, `description`/`description_md`, `values_display` and `section`
 * decorate it, and `format: "password"` marks a sensitive field.
 */

export type JsonValue = boolean | number | string | null | JsonValue[] | { [key: string]: JsonValue };

export interface ParamSchema {
  type?: string | string[];
  format?: string;
  title?: string;
  description?: string;
  description_md?: string;
  section?: string;
  enum?: JsonValue[];
  values_display?: Record<string, string>;
  items?: ParamSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  examples?: JsonValue[];
  const?: JsonValue;
  [key: string]: unknown;
}

export interface ParamSpec {
  value?: JsonValue;
  schema?: ParamSchema;
  description?: string | null;
  sensitive?: boolean;
}

/** What the server shows instead of a sensitive value. */
export const MASK = "***";

export type FieldKind =
  | "boolean"
  | "date"
  | "datetime"
  | "enum"
  | "integer"
  | "json"
  | "multiline"
  | "multiselect"
  | "number"
  | "password"
  | "string"
  | "stringlist"
  | "time";

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  label: string;
  schema: ParamSchema;
  /** Plain-text description (shown as text). */
  description?: string;
  /** Markdown description (shown rendered, sanitised). */
  descriptionMd?: string;
  section?: string;
  required: boolean;
  nullable: boolean;
  defaultValue: JsonValue | undefined;
  /**
   * The server masks the default of a sensitive field (`***`): the input starts empty and, left
   * empty, sends nothing, so the real default applies on the server.
   */
  defaultHidden: boolean;
  /** Choices of enum / multiselect fields: value and display text. */
  choices: { value: JsonValue; label: string }[];
}

/** The form state of one field: text for text-like inputs, boolean for check boxes, lists for multi-selects. */
export type FieldState = boolean | string | string[];

const typesOf = (schema: ParamSchema): string[] => {
  if (Array.isArray(schema.type)) return schema.type;
  return schema.type === undefined ? [] : [schema.type];
};

/** The non-null type of a schema ("string" for ["null", "string"]). */
const mainType = (schema: ParamSchema): string | undefined => typesOf(schema).find((type) => type !== "null");

/** A choice's value as text (the key of `values_display`, the value of an HTML option). */
export const choiceKey = (value: JsonValue): string =>
  typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);

const displayOf = (schema: ParamSchema, value: JsonValue): string => {
  const key = choiceKey(value);
  return schema.values_display?.[key] ?? key;
};

/** Which input a field's schema calls for. */
export const fieldKind = (schema: ParamSchema): FieldKind => {
  const type = mainType(schema);
  if (schema.format === "password") return "password";
  if (Array.isArray(schema.enum) && type !== "array") return "enum";
  if (type === "boolean") return "boolean";
  if (type === "integer") return "integer";
  if (type === "number") return "number";
  if (type === "array") {
    if (Array.isArray(schema.items?.enum) || Array.isArray(schema.examples)) return "multiselect";
    const itemType = schema.items === undefined ? "string" : mainType(schema.items);
    return itemType === "string" || itemType === undefined ? "stringlist" : "json";
  }
  if (type === "object") return "json";
  if (schema.format === "date") return "date";
  if (schema.format === "date-time") return "datetime";
  if (schema.format === "time") return "time";
  if (schema.format === "multiline") return "multiline";
  return type === "string" || type === undefined ? "string" : "json";
};

const choicesOf = (kind: FieldKind, schema: ParamSchema): FieldSpec["choices"] => {
  if (kind === "enum") return (schema.enum ?? []).map((value) => ({ label: displayOf(schema, value), value }));
  if (kind === "multiselect") {
    const values = schema.items?.enum ?? schema.examples ?? [];
    return values.map((value) => ({ label: displayOf(schema, value), value }));
  }
  return [];
};

/** Turn a request's params into form fields, in the order given. */
export const toFieldSpecs = (params: Record<string, unknown>): FieldSpec[] =>
  Object.entries(params).map(([name, raw]) => {
    const spec = (typeof raw === "object" && raw !== null ? raw : { value: raw as JsonValue }) as ParamSpec;
    const schema: ParamSchema = spec.schema ?? {};
    const kind = fieldKind(schema);
    const nullable = typesOf(schema).includes("null");
    const defaultValue = spec.value ?? undefined;
    const defaultHidden = defaultValue === MASK && (kind === "password" || spec.sensitive === true);
    const description = spec.description ?? schema.description ?? undefined;
    return {
      choices: choicesOf(kind, schema),
      defaultHidden,
      defaultValue,
      description: schema.description_md === undefined ? description : undefined,
      descriptionMd: schema.description_md,
      kind,
      label: schema.title ?? name,
      name,
      nullable,
      required: defaultValue === undefined && !nullable,
      schema,
      section: schema.section,
    };
  });

/** Group fields by `section`, keeping the order in which sections first appear. */
export const groupBySection = (fields: FieldSpec[]): { section: string | undefined; fields: FieldSpec[] }[] => {
  const groups: { section: string | undefined; fields: FieldSpec[] }[] = [];
  for (const field of fields) {
    const group = groups.find((candidate) => candidate.section === field.section);
    if (group === undefined) groups.push({ fields: [field], section: field.section });
    else group.fields.push(field);
  }
  return groups;
};

const pad = (n: number): string => String(n).padStart(2, "0");

/** An ISO date-time as the value of a datetime-local input (in the browser's time zone). */
export const isoToLocalInput = (iso: string): string => {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
};

/** The initial form state of a field (from its default value). */
export const initialState = (field: FieldSpec): FieldState => {
  if (field.defaultHidden) return "";
  const value = field.defaultValue;
  switch (field.kind) {
    case "boolean":
      return value === true;
    case "multiselect":
      return Array.isArray(value) ? value.map(choiceKey) : [];
    case "stringlist":
      return Array.isArray(value) ? value.map(choiceKey).join("\n") : "";
    case "json":
      return value === undefined ? "" : JSON.stringify(value, null, 2);
    case "datetime":
      return typeof value === "string" ? isoToLocalInput(value) : "";
    case "enum":
      return value === undefined || value === null ? "" : JSON.stringify(value);
    default:
      return value === undefined || value === null ? "" : choiceKey(value);
  }
};

export type Conversion = { ok: true; value: JsonValue | undefined } | { ok: false; error: string };

/**
 * The JSON value of a field's form state; `undefined` when the field is left empty (the request's
 * default then applies on the server).
 */
export const toValue = (field: FieldSpec, state: FieldState): Conversion => {
  if (field.kind === "boolean") return { ok: true, value: state === true };
  if (field.kind === "multiselect") {
    const chosen = Array.isArray(state) ? state : [];
    return { ok: true, value: field.choices.filter((c) => chosen.includes(choiceKey(c.value))).map((c) => c.value) };
  }
  const text = typeof state === "string" ? state : "";
  if (text.trim() === "") return { ok: true, value: undefined };
  switch (field.kind) {
    case "integer":
    case "number": {
      const number = Number(text);
      if (!Number.isFinite(number)) return { error: "Enter a number.", ok: false };
      if (field.kind === "integer" && !Number.isInteger(number)) return { error: "Enter a whole number.", ok: false };
      return { ok: true, value: number };
    }
    case "json":
      try {
        return { ok: true, value: JSON.parse(text) as JsonValue };
      } catch {
        return { error: "Enter valid JSON.", ok: false };
      }
    case "stringlist":
      return { ok: true, value: text.split("\n").map((line) => line.trim()).filter((line) => line !== "") };
    case "enum":
      return { ok: true, value: JSON.parse(text) as JsonValue };
    case "datetime": {
      const date = new Date(text);
      if (Number.isNaN(date.getTime())) return { error: "Enter a date and time.", ok: false };
      return { ok: true, value: date.toISOString() };
    }
    default:
      return { ok: true, value: text };
  }
};

const typeMatches = (type: string, value: JsonValue): boolean => {
  switch (type) {
    case "null":
      return value === null;
    case "boolean":
      return typeof value === "boolean";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "string":
      return typeof value === "string";
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    default:
      return true;
  }
};

/**
 * The first problem of a value against the common JSON-schema keywords, as a message a responder
 * can act on; the server validates the full schema again and its messages are shown too.
 */
export const checkValue = (field: FieldSpec, value: JsonValue | undefined): string | undefined => {
  const { schema } = field;
  if (value === undefined || value === null) {
    return field.required ? "A value is required." : undefined;
  }
  const types = typesOf(schema);
  if (types.length > 0 && !types.some((type) => typeMatches(type, value))) {
    return `Must be of type ${types.filter((type) => type !== "null").join(" or ")}.`;
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) return `Must be at least ${schema.minimum}.`;
    if (schema.maximum !== undefined && value > schema.maximum) return `Must be at most ${schema.maximum}.`;
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum)
      return `Must be greater than ${schema.exclusiveMinimum}.`;
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum)
      return `Must be less than ${schema.exclusiveMaximum}.`;
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      return `Must be at least ${schema.minLength} characters long.`;
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      return `Must be at most ${schema.maxLength} characters long.`;
    if (schema.pattern !== undefined) {
      try {
        if (!new RegExp(schema.pattern, "u").test(value)) return `Must match the pattern ${schema.pattern}.`;
      } catch {
        // A pattern JavaScript cannot compile is left to the server's check.
      }
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      return `Choose at least ${schema.minItems}.`;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return `Choose at most ${schema.maxItems}.`;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => JSON.stringify(allowed) === JSON.stringify(value))) {
    return "Choose one of the listed values.";
  }
  return undefined;
};

export interface FormResult {
  values: Record<string, JsonValue>;
  errors: Record<string, string>;
}

/** Convert and check every field: the `params_input` to send, or the errors to show. */
export const collectForm = (fields: FieldSpec[], state: Record<string, FieldState>): FormResult => {
  const values: Record<string, JsonValue> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const converted = toValue(field, state[field.name] ?? initialState(field));
    if (!converted.ok) {
      errors[field.name] = converted.error;
      continue;
    }
    // A hidden default left in place is the server's to apply and check.
    if (converted.value === undefined && field.defaultHidden) continue;
    const effective = converted.value ?? field.defaultValue;
    const problem = checkValue(field, effective);
    if (problem !== undefined) errors[field.name] = problem;
    else if (converted.value !== undefined) values[field.name] = converted.value;
  }
  return { errors, values };
};

/** Per-field messages from a 422 body (`detail: [{loc: ["body", "params_input", name], msg}]`). */
export const fieldErrorsFrom422 = (
  detail: unknown,
): { fields: Record<string, string>; other: string[]; comment?: string } => {
  const fields: Record<string, string> = {};
  const other: string[] = [];
  let comment: string | undefined;
  if (typeof detail === "string") return { fields, other: [detail] };
  if (!Array.isArray(detail)) return { fields, other };
  for (const item of detail as { loc?: unknown[]; msg?: unknown }[]) {
    const loc = Array.isArray(item.loc) ? item.loc : [];
    const message = typeof item.msg === "string" ? item.msg : JSON.stringify(item);
    const at = loc.indexOf("params_input");
    const name = at >= 0 ? loc[at + 1] : undefined;
    if (typeof name === "string") fields[name] = message;
    else if (loc[0] === "body" && loc[1] === "comment") comment = message;
    else other.push(message);
  }
  return { comment, fields, other };
};
