import { airflowPrefix } from "../api/auth";

interface TaskRef {
  dag_id: string;
  dag_run_id: string;
  task_id: string;
  map_index: number;
}

const enc = encodeURIComponent;

/** This app's route of a request (relative to the router's basename). */
export const requestPath = (ti: TaskRef, tryNumber?: number): string => {
  const path = `/dags/${enc(ti.dag_id)}/runs/${enc(ti.dag_run_id)}/tasks/${enc(ti.task_id)}/${ti.map_index}`;
  return tryNumber === undefined ? path : `${path}?try=${tryNumber}`;
};

/** The Airflow 3.0 UI page of a task instance (its index is the log view). */
const taskInstanceBase = (ti: TaskRef): string => {
  const base = `${airflowPrefix()}/dags/${enc(ti.dag_id)}/runs/${enc(ti.dag_run_id)}/tasks/${enc(ti.task_id)}`;
  return ti.map_index >= 0 ? `${base}/mapped/${ti.map_index}` : base;
};

export const airflowTaskDetailsUrl = (ti: TaskRef): string => `${taskInstanceBase(ti)}/details`;

export const airflowTaskLogsUrl = (ti: TaskRef, tryNumber?: number): string =>
  tryNumber === undefined ? taskInstanceBase(ti) : `${taskInstanceBase(ti)}?try_number=${tryNumber}`;

export const airflowDagUrl = (dagId: string): string => `${airflowPrefix()}/dags/${enc(dagId)}`;

export const airflowRunUrl = (dagId: string, runId: string): string =>
  `${airflowPrefix()}/dags/${enc(dagId)}/runs/${enc(runId)}`;

export const airflowHomeUrl = (): string => `${airflowPrefix()}/`;
