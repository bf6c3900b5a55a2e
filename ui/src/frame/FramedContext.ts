import { createContext, useContext } from "react";

/** Whether the app is rendered inside Airflow's page (true) or on a page of its own. */
export const FramedContext = createContext(false);

export const useFramed = (): boolean => useContext(FramedContext);
