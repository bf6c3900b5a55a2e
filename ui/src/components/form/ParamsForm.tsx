import { Box, Heading, Stack } from "@chakra-ui/react";

import { groupBySection, type FieldSpec, type FieldState } from "../../utils/params";
import { FieldInput } from "./FieldInput";

interface ParamsFormProps {
  fields: FieldSpec[];
  state: Record<string, FieldState>;
  errors: Record<string, string>;
  disabled?: boolean;
  onChange: (name: string, state: FieldState) => void;
}

/** The request's form: fields in the given order, grouped into their sections. */
export const ParamsForm = ({ disabled, errors, fields, onChange, state }: ParamsFormProps) => (
  <Stack gap={5}>
    {groupBySection(fields).map(({ fields: sectionFields, section }) => {
      const inputs = sectionFields.map((field) => (
        <FieldInput
          disabled={disabled}
          error={errors[field.name]}
          field={field}
          key={field.name}
          onChange={(next) => onChange(field.name, next)}
          state={state[field.name] ?? ""}
        />
      ));
      if (section === undefined) return <Stack gap={4} key="(no section)">{inputs}</Stack>;
      return (
        <Box as="section" aria-label={section} borderWidth="1px" borderRadius="md" key={section} p={4}>
          <Heading as="h3" mb={3} size="sm">
            {section}
          </Heading>
          <Stack gap={4}>{inputs}</Stack>
        </Box>
      );
    })}
  </Stack>
);
