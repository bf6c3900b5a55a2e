import { Alert } from "@chakra-ui/react";

import { ApiError } from "../api/client";

const describe = (error: unknown): string => {
  if (error instanceof ApiError) {
    if (typeof error.detail === "string") return error.detail;
    if (error.status === 404) return "Not found.";
    if (error.status === 403) return "You are not allowed to see this.";
    return `The server answered with HTTP ${error.status}.`;
  }
  return error instanceof Error ? error.message : String(error);
};

export const ErrorNotice = ({ error, title }: { error: unknown; title: string }) => (
  <Alert.Root status="error">
    <Alert.Indicator />
    <Alert.Content>
      <Alert.Title>{title}</Alert.Title>
      <Alert.Description>{describe(error)}</Alert.Description>
    </Alert.Content>
  </Alert.Root>
);
