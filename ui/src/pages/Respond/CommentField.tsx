import { Field, Textarea } from "@chakra-ui/react";

/** The longest comment the API accepts (`COMMENT_MAX_LENGTH` in `airflow/hitl/policy.py`). */
export const COMMENT_MAX_LENGTH = 2000;

interface CommentFieldProps {
  value: string;
  onChange: (value: string) => void;
  /** Options that may be chosen only with a comment (the request's `policy.require_comment_on`). */
  requiredFor: string[];
  disabled: boolean;
  error?: string;
}

/** The reason that goes with the answer: optional, except for the options the request names. */
export const CommentField = ({ disabled, error, onChange, requiredFor, value }: CommentFieldProps) => (
  <Field.Root data-field="comment" disabled={disabled} invalid={error !== undefined}>
    <Field.Label>Comment</Field.Label>
    <Textarea
      autoresize
      maxLength={COMMENT_MAX_LENGTH}
      onChange={(event) => onChange(event.target.value)}
      rows={2}
      value={value}
    />
    <Field.HelperText>
      {requiredFor.length > 0
        ? `Required when you choose ${requiredFor.join(" or ")}: say why. Optional otherwise.`
        : "Optional: why you answer so. Recorded with your answer."}
    </Field.HelperText>
    {error === undefined ? null : <Field.ErrorText>{error}</Field.ErrorText>}
  </Field.Root>
);

/** Why `comment` cannot go with `chosen`, or undefined (the server checks the same). */
export const commentProblem = (chosen: string[], comment: string, requiredFor: string[]): string | undefined => {
  const needing = chosen.filter((option) => requiredFor.includes(option));
  if (needing.length > 0 && comment.trim() === "") return `A comment is required when choosing ${needing.join(", ")}: say why.`;
  return undefined;
};
