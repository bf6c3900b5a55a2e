import { Badge } from "@chakra-ui/react";

/** Display text and colour of each request status. */
export const STATUS_LOOK: Record<string, { label: string; palette: string }> = {
  cancelled: { label: "Cancelled", palette: "gray" },
  pending: { label: "Pending", palette: "purple" },
  responded: { label: "Responded", palette: "green" },
  timed_out: { label: "Timed out", palette: "orange" },
};

export const StatusBadge = ({ status }: { status: string }) => {
  const look = STATUS_LOOK[status] ?? { label: status, palette: "gray" };
  return (
    <Badge colorPalette={look.palette} data-status={status} data-testid="status-badge" variant="subtle">
      {look.label}
    </Badge>
  );
};
