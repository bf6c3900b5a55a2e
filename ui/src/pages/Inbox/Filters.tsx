import { Field, Flex, Input, NativeSelect } from "@chakra-ui/react";
import { useEffect, useState } from "react";

import { useGroups } from "../../queries/useGroups";
import { SORTS, type InboxState, type SortId } from "./views";

type TextKey = "body" | "dag" | "subject" | "task";

const TEXT_FILTERS: { key: TextKey; label: string; placeholder: string }[] = [
  { key: "dag", label: "DAG id", placeholder: "part of the DAG id" },
  { key: "task", label: "Task id", placeholder: "part of the task id" },
  { key: "subject", label: "Subject contains", placeholder: "text in the subject" },
  { key: "body", label: "Body contains", placeholder: "text in the body" },
];

/** A text filter that updates the list shortly after typing stops. */
const TextFilter = ({ label, onChange, placeholder, value }: { label: string; placeholder: string; value: string; onChange: (value: string) => void }) => {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return undefined;
    const timer = setTimeout(() => onChange(text), 400);
    return () => clearTimeout(timer);
  }, [text, value, onChange]);
  return (
    <Field.Root maxWidth="190px">
      <Field.Label fontSize="sm">{label}</Field.Label>
      <Input
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter") onChange(text);
        }}
        placeholder={placeholder}
        size="sm"
        type="search"
        value={text}
      />
    </Field.Root>
  );
};

interface FiltersProps {
  state: InboxState;
  onChange: (patch: Partial<InboxState>) => void;
}

export const Filters = ({ onChange, state }: FiltersProps) => {
  const groups = useGroups();
  return (
    <Flex align="flex-end" aria-label="Filters" role="search" gap={3} wrap="wrap">
      {TEXT_FILTERS.map((filter) => (
        <TextFilter
          key={filter.key}
          label={filter.label}
          onChange={(value) => onChange({ [filter.key]: value, page: 1 })}
          placeholder={filter.placeholder}
          value={state[filter.key]}
        />
      ))}
      <Field.Root maxWidth="170px">
        <Field.Label fontSize="sm">Group</Field.Label>
        <NativeSelect.Root size="sm">
          <NativeSelect.Field onChange={(event) => onChange({ group: event.target.value, page: 1 })} value={state.group}>
            <option value="">Any group</option>
            {state.group !== "" && !(groups.data ?? []).some((group) => group.name === state.group) ? (
              <option value={state.group}>{state.group}</option>
            ) : null}
            {(groups.data ?? []).map((group) => (
              <option key={group.name} value={group.name}>
                {group.name}
              </option>
            ))}
          </NativeSelect.Field>
          <NativeSelect.Indicator />
        </NativeSelect.Root>
      </Field.Root>
      <Field.Root maxWidth="170px">
        <Field.Label fontSize="sm">Sort by</Field.Label>
        <NativeSelect.Root size="sm">
          <NativeSelect.Field onChange={(event) => onChange({ page: 1, sort: event.target.value as SortId })} value={state.sort}>
            {SORTS.map((sort) => (
              <option key={sort.id} value={sort.id}>
                {sort.label}
              </option>
            ))}
          </NativeSelect.Field>
          <NativeSelect.Indicator />
        </NativeSelect.Root>
      </Field.Root>
    </Flex>
  );
};
