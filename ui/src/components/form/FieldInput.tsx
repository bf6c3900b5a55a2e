import { Box, chakra, Field, Input, NativeSelect, Stack, Text, Textarea } from "@chakra-ui/react";

import { choiceKey, type FieldSpec, type FieldState } from "../../utils/params";
import { Markdown } from "../Markdown";

interface FieldInputProps {
  field: FieldSpec;
  state: FieldState;
  error?: string;
  disabled?: boolean;
  onChange: (state: FieldState) => void;
}

const Description = ({ field, id }: { field: FieldSpec; id: string }) => {
  if (field.descriptionMd !== undefined) {
    return (
      <Box color="fg.muted" fontSize="sm" id={id}>
        <Markdown>{field.descriptionMd}</Markdown>
      </Box>
    );
  }
  if (field.description !== undefined) {
    return (
      <Text color="fg.muted" fontSize="sm" id={id}>
        {field.description}
      </Text>
    );
  }
  return null;
};

const hasDescription = (field: FieldSpec): boolean =>
  field.descriptionMd !== undefined || field.description !== undefined;

const Checkbox = chakra("input");

const RequiredMark = ({ required }: { required: boolean }) =>
  required ? (
    <Text aria-hidden="true" as="span" color="fg.error" ml={0.5}>
      *
    </Text>
  ) : null;

/** A field whose control is a group of check boxes (a fieldset named by its legend). */
const CheckboxGroup = ({ disabled, error, field, onChange, state }: FieldInputProps) => {
  const chosen = Array.isArray(state) ? state : [];
  const describedBy = [hasDescription(field) ? `${field.name}-description` : "", error ? `${field.name}-error` : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <Box aria-describedby={describedBy || undefined} as="fieldset" data-field={field.name}>
      <Text as="legend" fontSize="sm" fontWeight="medium" mb={1}>
        {field.label}
        <RequiredMark required={field.required} />
      </Text>
      <Stack gap={1}>
        {field.choices.map((choice) => {
          const value = choiceKey(choice.value);
          return (
            <chakra.label alignItems="center" display="flex" gap={2} key={value}>
              <Checkbox
                accentColor="brand.solid"
                checked={chosen.includes(value)}
                disabled={disabled}
                height="4"
                onChange={(event) =>
                  onChange(event.target.checked ? [...chosen, value] : chosen.filter((item) => item !== value))
                }
                type="checkbox"
                width="4"
              />
              {choice.label}
            </chakra.label>
          );
        })}
      </Stack>
      <Description field={field} id={`${field.name}-description`} />
      {error ? (
        <Text color="fg.error" fontSize="sm" id={`${field.name}-error`} mt={1}>
          {error}
        </Text>
      ) : null}
    </Box>
  );
};

const BooleanField = ({ disabled, error, field, onChange, state }: FieldInputProps) => (
  <Box data-field={field.name}>
    <chakra.label alignItems="center" display="flex" fontSize="sm" fontWeight="medium" gap={2}>
      <Checkbox
        accentColor="brand.solid"
        aria-describedby={
          [hasDescription(field) ? `${field.name}-description` : "", error ? `${field.name}-error` : ""]
            .filter(Boolean)
            .join(" ") || undefined
        }
        aria-invalid={error ? true : undefined}
        checked={state === true}
        disabled={disabled}
        height="4"
        name={field.name}
        onChange={(event) => onChange(event.target.checked)}
        type="checkbox"
        width="4"
      />
      {field.label}
    </chakra.label>
    <Description field={field} id={`${field.name}-description`} />
    {error ? (
      <Text color="fg.error" fontSize="sm" id={`${field.name}-error`} mt={1}>
        {error}
      </Text>
    ) : null}
  </Box>
);

const INPUT_TYPES: Partial<Record<FieldSpec["kind"], string>> = {
  date: "date",
  datetime: "datetime-local",
  integer: "number",
  number: "number",
  password: "password",
  string: "text",
  time: "time",
};

const HINTS: Partial<Record<FieldSpec["kind"], string>> = {
  json: "JSON",
  stringlist: "One value per line",
};

/** The control for one form field, chosen by its kind, with label, description and error. */
export const FieldInput = (props: FieldInputProps) => {
  const { disabled, error, field, onChange, state } = props;
  if (field.kind === "boolean") return <BooleanField {...props} />;
  if (field.kind === "multiselect") return <CheckboxGroup {...props} />;
  const text = typeof state === "string" ? state : "";
  const { schema } = field;
  const hint = HINTS[field.kind];

  let control;
  if (field.kind === "enum") {
    control = (
      <NativeSelect.Root disabled={disabled}>
        <NativeSelect.Field name={field.name} onChange={(event) => onChange(event.target.value)} value={text}>
          {field.nullable || text === "" ? (
            <option value="">{field.nullable ? "(none)" : "Choose a value"}</option>
          ) : null}
          {field.choices.map((choice) => (
            <option key={JSON.stringify(choice.value)} value={JSON.stringify(choice.value)}>
              {choice.label}
            </option>
          ))}
        </NativeSelect.Field>
        <NativeSelect.Indicator />
      </NativeSelect.Root>
    );
  } else if (field.kind === "multiline" || field.kind === "json" || field.kind === "stringlist") {
    control = (
      <Textarea
        autoresize
        fontFamily={field.kind === "json" ? "mono" : undefined}
        maxLength={schema.maxLength}
        name={field.name}
        onChange={(event) => onChange(event.target.value)}
        rows={field.kind === "json" ? 5 : 3}
        value={text}
      />
    );
  } else {
    const numeric = field.kind === "integer" || field.kind === "number";
    control = (
      <Input
        autoComplete={field.kind === "password" ? "off" : undefined}
        max={numeric ? schema.maximum : undefined}
        maxLength={field.kind === "string" || field.kind === "password" ? schema.maxLength : undefined}
        min={numeric ? schema.minimum : undefined}
        name={field.name}
        onChange={(event) => onChange(event.target.value)}
        placeholder={field.defaultHidden ? "Leave empty to keep the hidden default" : undefined}
        step={field.kind === "integer" ? 1 : numeric ? "any" : undefined}
        type={INPUT_TYPES[field.kind] ?? "text"}
        value={text}
      />
    );
  }

  return (
    <Field.Root data-field={field.name} disabled={disabled} invalid={error !== undefined} required={field.required}>
      <Field.Label>
        {field.label}
        <Field.RequiredIndicator />
      </Field.Label>
      {control}
      {hint === undefined ? null : <Field.HelperText>{hint}</Field.HelperText>}
      {hasDescription(field) ? (
        <Field.HelperText asChild>
          <div>
            <Description field={field} id={`${field.name}-description`} />
          </div>
        </Field.HelperText>
      ) : null}
      {error === undefined ? null : <Field.ErrorText>{error}</Field.ErrorText>}
    </Field.Root>
  );
};
