import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";

import { Providers } from "../Providers";
import { createQueryClient } from "../queryClient";
import { QuickActions } from "./QuickActions";

let openDrawer: (() => void) | undefined;

const DrawerHost = ({ register }: { register: (open: () => void) => void }) => {
  const [queryClient] = useState(createQueryClient);
  const [open, setOpen] = useState(true);
  register(() => setOpen(true));
  return (
    <Providers framed queryClient={queryClient}>
      {open ? <QuickActions onClose={() => setOpen(false)} open /> : null}
    </Providers>
  );
};

/** Opens the quick-action drawer on the current page (rendered on first use, reused after). */
export const showDrawer = (): void => {
  if (openDrawer !== undefined) {
    openDrawer();
    return;
  }
  const container = document.createElement("div");
  container.id = "hitl-quick-actions";
  document.body.append(container);
  createRoot(container).render(
    <StrictMode>
      <DrawerHost
        register={(open) => {
          openDrawer = open;
        }}
      />
    </StrictMode>,
  );
};
