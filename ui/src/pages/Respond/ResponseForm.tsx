import { Alert, Box, Button, Stack, Text } from "@chakra-ui/react";
import { useMemo, useState } from "react";

import { ApiError, type HITLDetail } from "../../api/client";
import { ParamsForm } from "../../components/form/ParamsForm";
import { OptionsPicker } from "../../components/OptionsPicker";
import { useRespond } from "../../queries/useRespond";
import type { RequestRef } from "../../queries/useRequest";
import { collectForm, fieldErrorsFrom422, initialState, toFieldSpecs, type FieldState } from "../../utils/params";
import { CommentField, commentProblem } from "./CommentField";

interface ResponseFormProps {
  detail: HITLDetail;
  requestRef: RequestRef;
  /** Called when the server refuses the caller (403), with its reason. */
  onForbidden: (reason: string) => void;
  /** Called once the answer is recorded. */
  onAnswered: () => void;
}

const messageOf = (error: ApiError): string =>
  typeof error.detail === "string" ? error.detail : `The server answered with HTTP ${error.status}.`;

/**
 * The form (if the request has params) and the options. Choosing an option button submits the
 * form with that option; check boxes and the drop-down submit with "Submit". Fields are checked
 * before sending; the server's per-field errors (422) are shown at the fields.
 */
export const ResponseForm = ({ detail, onAnswered, onForbidden, requestRef }: ResponseFormProps) => {
  const fields = useMemo(() => toFieldSpecs(detail.params), [detail.params]);
  const [state, setState] = useState<Record<string, FieldState>>(() =>
    Object.fromEntries(fields.map((field) => [field.name, initialState(field)])),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | undefined>();
  const [comment, setComment] = useState("");
  const [commentError, setCommentError] = useState<string | undefined>();
  const respond = useRespond(requestRef);
  const requiredFor = detail.policy.require_comment_on;

  const submit = (chosen: string[]) => {
    const result = collectForm(fields, state);
    setErrors(result.errors);
    const missingComment = commentProblem(chosen, comment, requiredFor);
    setCommentError(missingComment);
    if (missingComment !== undefined) {
      setFormError(missingComment);
      document.querySelector<HTMLElement>('[data-field="comment"] textarea')?.focus();
      return;
    }
    if (Object.keys(result.errors).length > 0) {
      setFormError("Please correct the highlighted fields.");
      const first = fields.find((field) => result.errors[field.name] !== undefined);
      if (first !== undefined) {
        document.querySelector<HTMLElement>(`[data-field="${CSS.escape(first.name)}"] :is(input, textarea, select)`)?.focus();
      }
      return;
    }
    setFormError(undefined);
    const reason = comment.trim();
    respond.mutate(
      { chosen_options: chosen, params_input: result.values, ...(reason === "" ? {} : { comment: reason }) },
      {
        onSuccess: onAnswered,
        onError: (error) => {
          if (!(error instanceof ApiError)) {
            setFormError(error.message);
            return;
          }
          if (error.status === 403) {
            onForbidden(messageOf(error));
            return;
          }
          if (error.status === 422) {
            const parsed = fieldErrorsFrom422(error.detail);
            setErrors(parsed.fields);
            setCommentError(parsed.comment);
            setFormError(parsed.other.join(" ") || "Please correct the highlighted fields.");
            return;
          }
          setFormError(messageOf(error));
        },
      },
    );
  };

  return (
    <Box aria-labelledby="respond-heading" as="section" borderWidth="1px" borderRadius="md" p={4}>
      <Text as="h2" fontWeight="semibold" id="respond-heading" mb={3}>
        Your response
      </Text>
      <form
        aria-labelledby="respond-heading"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          // Enter in a text field: answer with the single option when there is only one.
          if (detail.options.length === 1 && detail.options[0] !== undefined) submit([detail.options[0]]);
        }}
      >
        <Stack gap={5}>
          {fields.length > 0 ? (
            <ParamsForm
              disabled={respond.isPending}
              errors={errors}
              fields={fields}
              onChange={(name, next) => {
                setState((current) => ({ ...current, [name]: next }));
                setErrors((current) =>
                  current[name] === undefined
                    ? current
                    : Object.fromEntries(Object.entries(current).filter(([key]) => key !== name)),
                );
              }}
              state={state}
            />
          ) : null}
          <CommentField
            disabled={respond.isPending}
            error={commentError}
            onChange={(next) => {
              setComment(next);
              setCommentError(undefined);
            }}
            requiredFor={requiredFor}
            value={comment}
          />
          {formError === undefined ? null : (
            <Alert.Root role="alert" status="error">
              <Alert.Indicator />
              <Alert.Title>{formError}</Alert.Title>
            </Alert.Root>
          )}
          {detail.options.length > 0 ? (
            <OptionsPicker
              busy={respond.isPending}
              defaults={detail.defaults}
              multiple={detail.multiple}
              onSubmit={submit}
              options={detail.options}
            />
          ) : (
            <Box>
              <Button colorPalette="blue" disabled={respond.isPending} onClick={() => submit([])} type="button">
                Submit
              </Button>
            </Box>
          )}
        </Stack>
      </form>
    </Box>
  );
};
