import { Box, Button, chakra, Field, Flex, NativeSelect, Stack, Text } from "@chakra-ui/react";
import { useId, useState } from "react";

/** Up to this many options are buttons; more are a drop-down. */
export const MAX_OPTION_BUTTONS = 6;

export type OptionsMode = "buttons" | "checkboxes" | "select";

export const optionsMode = (options: string[], multiple: boolean): OptionsMode => {
  if (multiple) return "checkboxes";
  return options.length > MAX_OPTION_BUTTONS ? "select" : "buttons";
};

interface OptionsPickerProps {
  options: string[];
  defaults: string[] | null;
  multiple: boolean;
  busy?: boolean;
  /** Called with the chosen option(s) when the responder submits. */
  onSubmit: (chosen: string[]) => void;
}

const Checkbox = chakra("input");

/**
 * How a responder picks: one button per option (a click answers), a drop-down plus "Submit" when
 * there are many options, or check boxes plus "Submit" when several may be chosen. The defaults
 * (what the deadline would apply) are highlighted and preselected.
 */
export const OptionsPicker = ({ busy = false, defaults, multiple, onSubmit, options }: OptionsPickerProps) => {
  const mode = optionsMode(options, multiple);
  const defaultList = (defaults ?? []).filter((option) => options.includes(option));
  const [chosen, setChosen] = useState<string[]>(mode === "buttons" ? [] : defaultList);
  const [problem, setProblem] = useState<string | undefined>();
  const hintId = useId();
  const errorId = useId();

  const submitChosen = () => {
    if (chosen.length === 0) {
      setProblem(multiple ? "Choose at least one option." : "Choose an option.");
      return;
    }
    setProblem(undefined);
    onSubmit(chosen);
  };

  const defaultHint =
    defaultList.length === 0 ? null : (
      <Text color="fg.muted" fontSize="sm" id={hintId}>
        Default (applied if nobody answers by the deadline): {defaultList.join(", ")}
      </Text>
    );

  if (mode === "buttons") {
    return (
      <Stack gap={2}>
        <Flex gap={3} role="group" aria-label="Options" wrap="wrap">
          {options.map((option) => {
            const isDefault = defaultList.includes(option);
            return (
              <Button
                aria-describedby={isDefault ? hintId : undefined}
                colorPalette="blue"
                data-default={isDefault ? "true" : undefined}
                disabled={busy}
                key={option}
                onClick={() => onSubmit([option])}
                type="button"
                variant={isDefault ? "solid" : "outline"}
              >
                {option}
              </Button>
            );
          })}
        </Flex>
        {defaultHint}
      </Stack>
    );
  }

  const errorText =
    problem === undefined ? null : (
      <Text color="fg.error" fontSize="sm" id={errorId} role="alert">
        {problem}
      </Text>
    );

  const submitButton = (
    <Box>
      <Button colorPalette="blue" disabled={busy} onClick={submitChosen} type="button">
        Submit
      </Button>
    </Box>
  );

  if (mode === "select") {
    return (
      <Stack gap={3}>
        <Field.Root invalid={problem !== undefined}>
          <Field.Label>Option</Field.Label>
          <NativeSelect.Root disabled={busy} maxWidth="md">
            <NativeSelect.Field
              aria-describedby={defaultList.length > 0 ? hintId : undefined}
              onChange={(event) => setChosen(event.target.value === "" ? [] : [event.target.value])}
              value={chosen[0] ?? ""}
            >
              {chosen.length === 0 ? <option value="">Choose an option</option> : null}
              {options.map((option) => (
                <option key={option} value={option}>
                  {defaultList.includes(option) ? `${option} (default)` : option}
                </option>
              ))}
            </NativeSelect.Field>
            <NativeSelect.Indicator />
          </NativeSelect.Root>
        </Field.Root>
        {defaultHint}
        {errorText}
        {submitButton}
      </Stack>
    );
  }

  return (
    <Stack gap={3}>
      <Box as="fieldset" aria-describedby={defaultList.length > 0 ? hintId : undefined}>
        <Text as="legend" fontSize="sm" fontWeight="medium" mb={1}>
          Options (choose one or more)
        </Text>
        <Stack gap={1}>
          {options.map((option) => {
            const isDefault = defaultList.includes(option);
            return (
              <chakra.label alignItems="center" display="flex" fontWeight={isDefault ? "semibold" : undefined} gap={2} key={option}>
                <Checkbox
                  accentColor="brand.solid"
                  checked={chosen.includes(option)}
                  data-default={isDefault ? "true" : undefined}
                  disabled={busy}
                  height="4"
                  onChange={(event) =>
                    setChosen((current) =>
                      event.target.checked
                        ? options.filter((o) => o === option || current.includes(o))
                        : current.filter((o) => o !== option),
                    )
                  }
                  type="checkbox"
                  width="4"
                />
                {option}
              </chakra.label>
            );
          })}
        </Stack>
      </Box>
      {defaultHint}
      {errorText}
      {submitButton}
    </Stack>
  );
};
